"""
The FHIR scenarios, run by bench/run.py after the scheduling ones (or alone: `python -m bench.fhir`):

- fhir_import: `import_paths` (what `carecoord import-fhir` runs) on every Synthea transaction Bundle of
  ../shared/data/synthea into a scratch organization: resources per second counting every entry of the
  Bundles, and counting the entries kept (created, or found already on file). Everything happens in one
  transaction rolled back at the end, so the benchmark data stays as generated (each file is a savepoint
  instead of its own commit: one WAL flush less per file, nothing measurable next to the seconds a file
  takes).
- fhir_export: in the same transaction, the bulk-export writer (export.write_export, what a $export job runs
  in the worker) over every type, for the imported organization: resources per second.
- fhir_profile: one patient's Bundle imported under cProfile with its SQL captured (after the directory files
  and another patient, so modules are loaded and caches warm): where the time goes.
- fhir_read / fhir_create: over HTTP against `carecoord serve` (gunicorn), `concurrency` clients with their own
  keep-alive connections and one bearer token: GET Patient/<id> of the benchmark caseload, and POST of a body
  weight Observation (measurement_record behind it). The created measurements and their history rows are
  deleted afterwards (their audit entries stay).
"""

import contextlib
import cProfile
import io
import json
import os
import pstats
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from .env import DATA_DIR, PROJECT_DIR
from .stats import Samples

SHARED_SYNTHEA = PROJECT_DIR.parent / "shared" / "data" / "synthea"
NAMES = ("fhir_import", "fhir_export", "fhir_profile", "fhir_read", "fhir_create")
BENCH_NOTE = "bench-fhir-create"
PROFILE_FILE = "Buster_Hoeger_ad2e3fc5-2b5d-4cb9-8d03-9ea0f4ac8423.json"  # 84 entries, a typical small one


class _Rollback(Exception):
    """Ends a scratch transaction."""


@contextlib.contextmanager
def rolled_back():
    from django.db import transaction

    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def _scratch_organization(kind: str):
    from carecoord.core.models import Organization

    return Organization.objects.create(
        name=f"Bench FHIR {kind}",
        slug=f"bench-fhir-{kind}-{uuid.uuid4().hex[:8]}",
        kind="clinic",
        state="MA",
        timezone="America/New_York",
        require_mfa=False,
    )


def run_all(ctx, args, console, only: set[str]) -> dict:
    """Runs the chosen FHIR scenarios (all with --only fhir); returns their results by name."""
    chosen = [name for name in NAMES if not only or name in only or "fhir" in only]
    results: dict = {}
    if not chosen:
        return results
    if any(name in chosen for name in ("fhir_import", "fhir_export", "fhir_profile")):
        if not SHARED_SYNTHEA.is_dir():
            for name in ("fhir_import", "fhir_export", "fhir_profile"):
                results[name] = {"status": f"skipped: {SHARED_SYNTHEA} is not there"}
        else:
            if "fhir_import" in chosen or "fhir_export" in chosen:
                console.print("• FHIR import of the Synthea bundles, then $export of them (in-process, rolled back)")
                results.update(import_and_export(console))
            if "fhir_profile" in chosen:
                console.print(f"• FHIR import of one Bundle under cProfile ({PROFILE_FILE})")
                results["fhir_profile"] = profile_one_import()
    http = [name for name in ("fhir_read", "fhir_create") if name in chosen]
    if http and getattr(args, "no_http", False):
        results.update({name: {"status": "skipped: --no-http"} for name in http})
    elif http:
        results.update(over_http(ctx, args, console, http))
    return results


# --- import and export ---------------------------------------------------------------------------------------


def _entries(paths: list[Path]) -> int:
    return sum(len(json.loads(path.read_text(encoding="utf-8")).get("entry") or []) for path in paths)


def _kept(totals: Counter) -> tuple[int, int, int]:
    created = sum(n for key, n in totals.items() if key.endswith(" created"))
    on_file = sum(n for key, n in totals.items() if key.endswith(" already on file"))
    skipped = sum(n for key, n in totals.items() if key.endswith(" not kept"))
    return created, on_file, skipped


def import_and_export(console) -> dict:
    from carecoord.interop.fhir.export import system_types, write_export
    from carecoord.interop.fhir.importer import import_actor, import_paths, ordered

    paths = ordered([SHARED_SYNTHEA])
    entries = _entries(paths)
    results: dict = {}
    with rolled_back():
        organization = _scratch_organization("import")
        per_file: list[float] = []
        last = [time.perf_counter()]

        def tick(_report):
            now = time.perf_counter()
            per_file.append(now - last[0])
            last[0] = now

        started = time.perf_counter()
        report = import_paths(organization, paths, on_file=tick)
        seconds = time.perf_counter() - started
        created, on_file, skipped = _kept(report.totals)
        kept = created + on_file
        by_type = Counter()
        for key, count in report.totals.items():
            if not key.endswith(" not kept"):
                by_type[key.split(" ", 1)[0]] += count
        per_file.sort()
        results["fhir_import"] = {
            "files": len(paths),
            "failed_files": len(report.failed),
            "entries": entries,
            "kept": kept,
            "created": created,
            "already_on_file": on_file,
            "not_kept": skipped,
            "seconds": round(seconds, 1),
            "entries_per_s": round(entries / seconds, 1),
            "kept_per_s": round(kept / seconds, 1),
            "file_seconds_p50": round(per_file[len(per_file) // 2], 2),
            "file_seconds_max": round(per_file[-1], 2),
            "kept_by_type": dict(by_type.most_common()),
        }
        console.print(f"  import: {results['fhir_import']}")
        with tempfile.TemporaryDirectory(prefix="bench-fhir-export-") as directory:
            started = time.perf_counter()
            written = write_export(import_actor(organization), system_types(), None, Path(directory))
            seconds = time.perf_counter() - started
            size = sum(p.stat().st_size for p in Path(directory).glob("*.ndjson"))
        total = sum(item["count"] for item in written)
        results["fhir_export"] = {
            "resources": total,
            "seconds": round(seconds, 2),
            "resources_per_s": round(total / seconds, 1),
            "megabytes": round(size / 1e6, 1),
            "by_type": {item["type"]: item["count"] for item in written},
        }
    return results


def profile_one_import(top: int = 25) -> dict:
    """Imports the directory files, then one patient's Bundle under cProfile with its SQL captured."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from carecoord.interop.fhir.importer import import_paths

    directory = sorted(SHARED_SYNTHEA.glob("hospitalInformation*.json")) + sorted(
        SHARED_SYNTHEA.glob("practitionerInformation*.json")
    )
    target = SHARED_SYNTHEA / PROFILE_FILE
    warm_up = next(p for p in sorted(SHARED_SYNTHEA.glob("*_*_*.json")) if p.name != PROFILE_FILE)
    with rolled_back():
        organization = _scratch_organization("profile")
        import_paths(organization, [*directory, warm_up])  # and the process's first imports of modules
        profiler = cProfile.Profile()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            profiler.enable()
            report = import_paths(organization, [target])
            profiler.disable()
            seconds = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    text = io.StringIO()
    stats.stream = text
    stats.sort_stats("cumulative").print_stats(top)
    queries = captured.captured_queries
    kinds = Counter(q["sql"].lstrip().split(" ", 1)[0].upper() for q in queries)
    sql_seconds = sum(float(q.get("time") or 0) for q in queries)
    buckets = _buckets(stats)
    slowest = sorted(queries, key=lambda q: float(q.get("time") or 0), reverse=True)[:5]
    by_statement: Counter = Counter()
    for q in queries:
        by_statement[q["sql"].lstrip().split(" ", 1)[0].upper()] += float(q.get("time") or 0)
    (DATA_DIR / "fhir-import-profile.txt").write_text(text.getvalue())
    return {
        "file": PROFILE_FILE,
        "entries": _entries([target]),
        "kept": sum(_kept(report.totals)[:2]),
        "seconds": round(seconds, 2),
        "queries": len(queries),
        "queries_by_kind": dict(kinds.most_common()),
        "sql_seconds": round(sql_seconds, 2),
        "sql_seconds_by_kind": {kind: round(t, 3) for kind, t in by_statement.most_common()},
        "slowest_queries": [{"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:300]} for q in slowest],
        "cumulative_seconds": buckets,
        "profile": str(DATA_DIR / "fhir-import-profile.txt"),
    }


# Where an import spends its time, by the functions that own each step (cumulative seconds; they nest, so
# they do not add up).
BUCKETS = {
    "validate (fhir.resources / pydantic)": ("interop/fhir/validation.py", "validate_resource"),
    "find_existing (idempotency lookups)": ("interop/fhir/interactions.py", "find_existing"),
    "mapper create, through the services": ("interop/fhir/interactions.py", "_run"),
    "history (record_version)": ("interop/fhir/history.py", "record_version"),
    "to_fhir (every mapper)": ("interop/fhir/resources/", "to_fhir"),
    "audit_record": ("core/audit.py", "audit_record"),
    "reference rewriting": ("interop/fhir/bundle.py", "_rewrite_references"),
    "reading the file (JSON)": ("interop/fhir/importer.py", "_as_bundle"),
}


def _buckets(stats: pstats.Stats) -> dict:
    found = {}
    for label, (fragment, function) in BUCKETS.items():
        total = 0.0
        for (path, _, name), (_, _, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
            if fragment in path and name == function:
                total += cumulative
        found[label] = round(total, 2)
    return found


# --- over HTTP ------------------------------------------------------------------------------------------------


def over_http(ctx, args, console, names: list[str]) -> dict:
    from carecoord.interop.fhir.clients import api_client_create, api_client_deactivate, token_issue

    from .server import Server

    client, secret = api_client_create(organization=ctx.organization, name="Bench FHIR", scopes="system/*.*")
    server = Server(workers=args.workers, log_path=DATA_DIR / "server-fhir.log")
    console.print(f"Starting carecoord serve on 127.0.0.1:{server.port} ({args.workers} workers) for FHIR…")
    server.start()
    results = {}
    try:
        for name in names:
            token, _ = token_issue(client_id=client.client_id, client_secret=secret)  # tokens last five minutes
            console.print(f"• {name.replace('_', ' ')} over HTTP, {args.concurrency} clients")
            runner = read_patients if name == "fhir_read" else create_observations
            results[name] = runner(ctx, args, server.port, token, server.request_threads)
            console.print(f"  {results[name]['throughput_rps']} requests/s, p95 {results[name]['p95_ms']} ms")
        if "fhir_read" in names:
            results["fhir_read_floor"] = _read_floor(ctx, args, console, client, secret, server.request_threads)
    finally:
        server.stop()
        api_client_deactivate(client=client)
        _clean_created()
    return results


def _read_floor(ctx, args, console, client, secret, server_threads: int) -> dict:
    """The read's floor (bench/read_floor.py) in the same run, and ours as a ratio to it."""
    from carecoord.interop.fhir.clients import token_issue

    from .read_floor import read_floors

    console.print("• fhir read floor: the same read by a bare WSGI app on the same gunicorn settings")
    token, _ = token_issue(client_id=client.client_id, client_secret=secret)
    floors = read_floors(ctx, args, token, server_threads, DATA_DIR)
    for shape, found in floors.items():
        if isinstance(found, dict) and found.get("throughput_rps"):
            console.print(f"  {shape}: {found['throughput_rps']} requests/s, p95 {found['p95_ms']} ms")
    return floors


def _concurrent(port: int, total: int, concurrency: int, send) -> dict:
    from .server import HttpSession

    samples, statuses, lock = Samples(), Counter(), threading.Lock()
    counter = iter(range(total))

    def worker():
        session = HttpSession(port)
        local, seen = Samples(), Counter()
        for i in iter(lambda: next(counter, None), None):
            status, _, _ = local.time(send, session, i)
            seen[status] += 1
        session.close()
        with lock:
            samples.seconds.extend(local.seconds)
            statuses.update(seen)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"threads": concurrency, "statuses": dict(statuses), **samples.summary(wall_seconds=wall)}


def _timed_after_warm_up(port: int, args, server_threads: int, send) -> dict:
    """An untimed burst reaching every server thread (each compiles its statements once), then the timed run."""
    from .server import warm_up_size

    _concurrent(port, *warm_up_size(server_threads), send)
    return _concurrent(port, max(args.requests, 4 * args.concurrency), args.concurrency, send)


def _headers(token: str) -> dict:
    return {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}


def read_patients(ctx, args, port: int, token: str, server_threads: int) -> dict:
    ids = [str(p.public_id) for p in ctx.patients]
    headers = _headers(token)

    def send(session, i):
        return session.request("GET", f"/fhir/R4/Patient/{ids[i % len(ids)]}", extra=headers)

    return _timed_after_warm_up(port, args, server_threads, send)


def create_observations(ctx, args, port: int, token: str, server_threads: int) -> dict:
    import datetime as dt

    ids = [str(p.public_id) for p in ctx.patients]
    headers = {**_headers(token), "Content-Type": "application/fhir+json", "Prefer": "return=minimal"}
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def send(session, i):
        body = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
            "subject": {"reference": f"Patient/{ids[i % len(ids)]}"},
            "effectiveDateTime": when,
            "valueQuantity": {"value": 60 + i % 40, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
            "note": [{"text": BENCH_NOTE}],
        }
        return session.request("POST", "/fhir/R4/Observation", json.dumps(body).encode(), headers)

    return _timed_after_warm_up(port, args, server_threads, send)


def _clean_created() -> None:
    from carecoord.checkins.models import Measurement
    from carecoord.interop.fhir.models import ResourceVersion

    created = Measurement.objects.filter(note=BENCH_NOTE)
    ids = list(created.values_list("public_id", flat=True))
    ResourceVersion.objects.filter(resource_type="Observation", resource_id__in=ids).delete()
    created.delete()


def main(argv: list[str] | None = None) -> int:
    import argparse

    from rich.console import Console

    from .env import configure, setup_django

    parser = argparse.ArgumentParser(prog="python -m bench.fhir", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["small", "medium", "large"], default="small")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help=f"comma-separated: {', '.join(NAMES)}")
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args(argv)
    configure(args.scale)
    setup_django()
    from django.db import connection

    from .scenarios import build_context

    console = Console()
    ctx = build_context(args.scale)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    results = run_all(ctx, args, console, only)
    results["database"] = connection.vendor
    results["loadavg"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    out = DATA_DIR / f"fhir-{args.scale}-{connection.vendor}.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    console.print_json(json.dumps(results, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
