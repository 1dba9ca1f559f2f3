"""
The HL7 v2 listener scenario: how many ADT messages per second CareCoord takes in over MLLP. Run by
bench/run.py after the page scenarios (`--only hl7v2` runs it alone):

    .venv/bin/python -m bench.run --scale small --only hl7v2 --no-http [--requests 200]

The listener is the one `carecoord adt-listen` runs (`MllpServer`, a thread per connection, each message
stored, parsed, matched and acted on in its own transaction, then acknowledged), serving in this process on
an ephemeral port; the clients are plain sockets with MLLP framing that wait for each ACK before sending the
next message (as HL7 senders do). The messages are stories a hospital sends: for each patient an A01
admission then an A03 discharge (home, with diagnoses), so half the messages open an episode with LACE,
deadlines, checklist and four worklist tasks (the heaviest thing a message does).

- one connection: `--requests` messages (default 200: 100 patients) one after another on one connection;
- concurrent: the same number over CONNECTIONS connections at once, each sending its own patients' stories.

Reported: messages per second (messages / wall time), the ACK round trip p50/p95 per message, and the ACK
codes (every one must be AA). The feed belongs to its own organization (`bench-hl7v2-feed`, made on first
use with a pool of patients the hospital identifies by MRN), so the page scenarios' data is untouched;
each run adds its stays (new visit numbers) to that organization.
"""

import datetime as dt
import socket
import threading
import time
from collections import Counter

from .stats import Samples

FEED_SLUG = "bench-hl7v2-feed"
AUTHORITY = "BENCHGEN"
FACILITY = "BENCH GENERAL HOSPITAL"
CONNECTIONS = 4
FAMILIES = ["OKAFOR", "NGUYEN", "GARCIA", "KOWALSKI", "O'BRIEN", "MÜLLER", "SMITH", "HASSAN", "ROSSI", "TANAKA"]
GIVENS = ["ADA", "BEN", "CLEO", "DMITRI", "ELENA", "FATIMA", "GEORGE", "HANA", "IVAN", "JUNE", "KOFI", "LUCIA"]
DIAGNOSES = [
    ("I50.9", "Heart failure, unspecified"),
    ("J44.1", "Chronic obstructive pulmonary disease with (acute) exacerbation"),
    ("N18.4", "Chronic kidney disease, stage 4"),
    ("E11.9", "Type 2 diabetes mellitus without complications"),
]


def run_all(ctx, args, console, only: set[str]) -> dict:
    """Runs the listener scenario when chosen; returns {"hl7v2": {...}} or {}."""
    if only and "hl7v2" not in only:
        return {}
    console.print("• HL7 v2 listener (MLLP over localhost, in-process server)")
    started = time.monotonic()
    result = listener_throughput(max(args.requests, 2 * CONNECTIONS))
    result["seconds"] = round(time.monotonic() - started, 1)
    for name in ("one_connection", "concurrent"):
        r = result[name]
        console.print(
            f"  {name.replace('_', ' ')}: {r['messages']} messages over {r['connections']} connection(s) in "
            f"{r['wall_s']} s = [bold]{r['msgs_per_s']} msg/s[/]; ACK p50 {r['ack']['p50_ms']} ms, "
            f"p95 {r['ack']['p95_ms']} ms; codes {r['codes']}"
        )
    return {"hl7v2": result}


def listener_throughput(messages: int) -> dict:
    from carecoord.interop.hl7v2.handler import handle_message
    from carecoord.interop.hl7v2.mllp import MllpServer

    organization = _feed_organization()
    patients = max(CONNECTIONS, messages // 2)
    _ensure_pool(organization, patients)

    def on_message(raw: bytes, peer: str) -> str:
        return handle_message(raw, organization=organization, peer=peer).ack

    server = MllpServer(("127.0.0.1", 0), on_message, idle_timeout=60)
    server.start()
    try:
        stamp = dt.datetime.now(dt.UTC).strftime("%y%m%d%H%M%S")
        one = _run(server.port, _stories(organization, range(patients), f"{stamp}A"), connections=1)
        groups = [range(k, patients, CONNECTIONS) for k in range(CONNECTIONS)]
        four = _run(server.port, [_stories(organization, g, f"{stamp}B") for g in groups], connections=CONNECTIONS)
    finally:
        server.stop()
    return {"patients": patients, "one_connection": one, "concurrent": four}


def _feed_organization():
    from carecoord.core.models import Organization

    organization, _ = Organization.objects.get_or_create(
        slug=FEED_SLUG,
        defaults={"name": "Bench HL7 feed clinic", "kind": "coordination_organization", "state": "IL",
                  "timezone": "America/Chicago", "require_mfa": False},
    )  # fmt: skip
    return organization


def _identity(i: int) -> dict:
    return {
        "mrn": f"HL7-{i:05d}",
        "family": FAMILIES[i % len(FAMILIES)],
        "given": GIVENS[(i // len(FAMILIES)) % len(GIVENS)] + ("" if i < 120 else f"{chr(65 + i % 26)}"),
        "born": dt.date(1930, 1, 1) + dt.timedelta(days=(i * 97) % 20000),
        "sex": "F" if i % 2 else "M",
    }


def _ensure_pool(organization, count: int) -> None:
    """The patients the hospital identifies by MRN (registered once, untimed; later runs find them)."""
    from carecoord.interop.hl7v2.matching import match_patient
    from carecoord.interop.hl7v2.parse import Identifier, PatientData

    for i in range(count):
        who = _identity(i)
        data = PatientData(
            identifiers=(Identifier(value=who["mrn"], authority=AUTHORITY, type="MR"),),
            family_name=who["family"], given_name=who["given"], middle_name="", birth_date=who["born"],
            sex=who["sex"],
        )  # fmt: skip
        match_patient(organization, data, create_unknown=True)


def _stories(organization, indexes, run: str) -> list[tuple[str, str]]:
    """(control id, message) pairs: each patient's A01 then A03, in order."""
    now = dt.datetime.now(organization.tz)
    admitted = (now - dt.timedelta(days=3)).strftime("%Y%m%d%H%M%S")
    discharged = (now - dt.timedelta(hours=2)).strftime("%Y%m%d%H%M%S")
    out = []
    for i in indexes:
        who = _identity(i)
        code, text = DIAGNOSES[i % len(DIAGNOSES)]
        visit = f"V{run}-{i}"
        for event, sent in (("A01", admitted), ("A03", discharged)):
            control = f"{run}-{i}-{event}"
            out.append((control, _message(event, control, who, visit, admitted, discharged if event == "A03" else "",
                                          sent, code, text)))  # fmt: skip
    return out


def _message(event, control, who, visit, admitted, discharged, sent, code, text) -> str:
    pv1 = ["PV1", "1", "I", f"4W^401^A^{FACILITY}", "E"] + [""] * 41
    pv1[7], pv1[19], pv1[44], pv1[45] = "1234^SMITH^ANNA^^^DR", visit, admitted, discharged
    pv1[36] = "01" if event == "A03" else ""
    segments = [
        f"MSH|^~\\&|ADT|{FACILITY}|CARECOORD|BENCH|{sent}||ADT^{event}^ADT_{event}|{control}|P|2.5.1",
        f"EVN|{event}|{sent}",
        f"PID|1||{who['mrn']}^^^{AUTHORITY}^MR||{who['family']}^{who['given']}||{who['born']:%Y%m%d}|{who['sex']}"
        "|||12 Elm St^^Springfield^IL^62701",
        "|".join(pv1).rstrip("|"),
        f"DG1|1||{code}^{text}^I10||{admitted}|A",
    ]
    return "\r".join(segments) + "\r"


def _run(port: int, work, *, connections: int) -> dict:
    """Sends the messages over `connections` connections at once (work: one list, or one list per connection)."""
    from carecoord.interop.hl7v2.mllp import exchange

    lists = [work] if connections == 1 else work
    samples, codes, lock = Samples(), Counter(), threading.Lock()

    def sender(items):
        local, seen = Samples(), Counter()
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            for control, message in items:
                ack = local.time(exchange, sock, message)
                msa = next((line for line in ack.split("\r") if line.startswith("MSA|")), "MSA|??")
                seen[msa.split("|")[1]] += 1
                if control not in msa:
                    seen["wrong-control-id"] += 1
        with lock:
            samples.seconds.extend(local.seconds)
            codes.update(seen)

    threads = [threading.Thread(target=sender, args=(items,)) for items in lists]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    total = sum(len(items) for items in lists)
    return {
        "messages": total,
        "connections": connections,
        "wall_s": round(wall, 2),
        "msgs_per_s": round(total / wall, 1) if wall else None,
        "ack": samples.summary(),
        "codes": dict(codes),
    }
