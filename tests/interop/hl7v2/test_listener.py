"""
The MLLP listener for real: the server runs in a thread on an ephemeral port, the tests talk to it through
sockets with MLLP framing, read the ACKs and then look at what was stored.
"""

import socket
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from carecoord.careplans.models import Task
from carecoord.interop.hl7v2.mllp import END_BLOCK, START_BLOCK, MllpServer, exchange, frame, send
from carecoord.interop.hl7v2.models import InboundMessage, MessageStatus
from carecoord.patients.models import Patient
from carecoord.transitions.models import Encounter, TransitionEpisode

from .messages import DATA, MAX_BYTES, adt, connect, msa, sample, with_control_id


def test_public_samples_over_one_connection(listener):
    names = ["ADT-A01-01.hl7", "ADT-A02-01.hl7", "ADT-A08-01.hl7", "ADT-A03-01.hl7"]
    with connect(listener) as sock:
        acks = [msa(exchange(sock, with_control_id(sample(name), f"S-{n}"))) for n, name in enumerate(names)]
    assert acks == [("AA", f"S-{n}") for n in range(len(names))]
    messages = InboundMessage.objects.order_by("received_at", "id")
    assert [m.message_type for m in messages] == ["ADT^A01", "ADT^A02", "ADT^A08", "ADT^A03"]
    assert {m.status for m in messages} == {MessageStatus.PROCESSED}
    assert all(m.peer.startswith("127.0.0.1:") for m in messages)
    encounter = Encounter.objects.get()
    assert encounter.status == "finished"
    assert [entry["event"] for entry in encounter.history] == ["admit", "transfer", "update", "discharge"]
    assert TransitionEpisode.objects.get().encounter == encounter


def test_messages_with_a_byte_order_mark_are_accepted(listener):
    for name in ("ADT01-23.hl7", "ADT04-23.hl7"):
        raw = sample(name)
        assert raw.startswith(b"\xef\xbb\xbf")
        assert msa(send("127.0.0.1", listener.port, raw))[0] == "AA"
    assert Patient.objects.count() == 2


def test_the_same_message_twice_creates_nothing_new(listener):
    message = adt("A03", control_id="TWICE-1", discharged="20260302100000", disposition="03")
    first = send("127.0.0.1", listener.port, message)
    before = (Patient.objects.count(), Encounter.objects.count(), TransitionEpisode.objects.count(),
              Task.objects.count(), InboundMessage.objects.count())  # fmt: skip
    second = send("127.0.0.1", listener.port, message)
    after = (Patient.objects.count(), Encounter.objects.count(), TransitionEpisode.objects.count(),
             Task.objects.count(), InboundMessage.objects.count())  # fmt: skip
    assert msa(first) == msa(second) == ("AA", "TWICE-1")
    assert before == after
    assert before[2] == 1
    assert before[3] >= 4


@pytest.mark.parametrize(
    ("name", "code", "control_id", "error_code"),
    [("no-msh.hl7", "AR", "", "100"), ("wrong-version.hl7", "AR", "BAD-VERSION-1", "203"),
     ("bad-dates.hl7", "AE", "BAD-DATES-1", "102"), ("unknown-event.hl7", "AR", "UNKNOWN-EVENT-1", "201")],
)  # fmt: skip
def test_malformed_messages_get_an_error_ack_and_change_nothing(listener, name, code, control_id, error_code):
    ack = send("127.0.0.1", listener.port, (DATA / "malformed" / name).read_bytes())
    assert msa(ack) == (code, control_id)
    assert f"{error_code}^" in ack or f"{error_code}&" in ack
    stored = InboundMessage.objects.get()
    assert (stored.status, stored.ack_code) == (MessageStatus.REJECTED, code)
    assert stored.error
    assert not Encounter.objects.exists()
    assert not Patient.objects.exists()


def test_a_story_admit_discharge_cancel(listener):
    with connect(listener) as sock:
        replies = [
            exchange(sock, adt("A01", control_id="ST-1")),
            exchange(sock, adt("A03", control_id="ST-2", discharged="20260302100000", disposition="03",
                               discharged_to="Rosewood Nursing Home")),
            exchange(sock, adt("A13", control_id="ST-3", event_time="20260302120000")),
        ]  # fmt: skip
    assert [msa(r)[0] for r in replies] == ["AA", "AA", "AA"]
    encounter = Encounter.objects.get()
    assert encounter.status == "in-progress"
    assert encounter.discharged_at is None
    assert encounter.history[1]["changes"]["discharged_to"][1] == "Rosewood Nursing Home"
    assert TransitionEpisode.objects.get().status == "cancelled"
    assert not Task.objects.filter(focus_type="transitions.TransitionEpisode", status="requested").exists()


def test_noise_between_frames_is_ignored(listener):
    with connect(listener) as sock:
        sock.sendall(b"\r\nhello\r\n")
        assert msa(exchange(sock, adt("A01", control_id="N-1")))[0] == "AA"


def test_a_message_split_across_packets_is_reassembled(listener):
    data = frame(adt("A01", control_id="SPLIT-1"))
    with connect(listener) as sock:
        for start in range(0, len(data), 37):
            sock.sendall(data[start : start + 37])
            time.sleep(0.001)
        reply = sock.recv(65536)
    assert reply.startswith(START_BLOCK)
    assert reply.endswith(END_BLOCK)
    assert msa(reply[1:-2].decode())[0] == "AA"


def test_an_oversized_frame_closes_the_connection_and_the_listener_goes_on(listener):
    with connect(listener) as sock:
        sock.sendall(START_BLOCK + b"MSH|" + b"x" * (MAX_BYTES + 10))
        sock.settimeout(5)
        assert sock.recv(1024) == b""  # closed without an ACK
    assert not InboundMessage.objects.exists()
    assert msa(send("127.0.0.1", listener.port, adt("A01", control_id="AFTER-1")))[0] == "AA"


def test_stop_closes_idle_connections_promptly(feed_org):
    server = MllpServer(("127.0.0.1", 0), lambda raw, peer: "", idle_timeout=60)
    server.start()
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5
    idle.settimeout(5)
    assert idle.recv(1) == b""
    idle.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1)


def test_the_command_refuses_an_unknown_organization(transactional_db):
    with pytest.raises(CommandError, match="No active organization"):
        call_command("adt_listen", "--org", "nobody", "--port", "0")
