"""The audit trail: written inside the caller's transaction, sealed into a hash chain after commit, verifiable."""

import csv
import io
import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from hypothesis import example, given
from hypothesis import strategies as st

from carecoord.core.audit import (
    AUDIT_CSV_COLUMNS,
    GENESIS_HASH,
    audit_csv_stream,
    audit_record,
    audit_seal,
    audit_verify,
    event_digest,
)
from carecoord.core.choices import AuditAction, AuditOutcome
from carecoord.core.context import RequestInfo, reset_request_info, set_request_info
from carecoord.core.csvsafe import csv_safe
from carecoord.core.models import AuditChainHead, AuditEvent
from carecoord.records.db_guards import AUDIT_TABLE, triggers_lifted
from tests.factories import PatientFactory

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def record(actor, n: int = 1, **kwargs) -> list[AuditEvent]:
    return [audit_record(actor=actor, event=f"test.event{i}", **kwargs) for i in range(n)]


def sealed_events(actor, n: int = 3) -> list[AuditEvent]:
    record(actor, n, detail={"b": [1, 2.5, "é"], "a": {"z": None}})
    audit_seal()
    return list(AuditEvent.objects.order_by("sequence"))


def raw_sql(sql: str, params: list) -> None:
    """A superuser's direct edit: the append-only triggers are disabled first, as a DBA could."""
    with triggers_lifted([AUDIT_TABLE]), connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- writing ----------------------------------------------------------------------------------------------


def test_record_names_who_for_which_organization_and_patient(actor):
    patient = PatientFactory(organization=actor.organization)
    token = set_request_info(RequestInfo(source_ip="10.1.2.3", user_agent="x" * 400))
    try:
        event = audit_record(
            actor=actor, event="patient.view", action=AuditAction.READ, target=patient, patient=patient
        )
    finally:
        reset_request_info(token)
    event.refresh_from_db()
    assert event.user == actor.user
    assert event.user_email == actor.user.email
    assert event.acting_organization == actor.organization
    assert event.tenant_organization == actor.organization
    assert event.patient_public_id == patient.public_id
    assert event.object_type == "patients.Patient"
    assert event.object_id == str(patient.public_id)
    assert event.source_ip == "10.1.2.3"
    assert len(event.user_agent) == 300
    assert event.outcome == AuditOutcome.SUCCESS
    assert event.sequence is None  # sealed only after commit


def test_the_tenant_is_the_patients_home_organization(actor, other_actor):
    patient = PatientFactory(organization=other_actor.organization)
    event = audit_record(actor=actor, event="patient.view", target=patient, patient=patient)
    assert event.acting_organization == actor.organization
    assert event.tenant_organization == other_actor.organization


def test_rolled_back_transaction_leaves_no_audit_row_and_seals_nothing(actor, django_capture_on_commit_callbacks):
    def failing_action():
        with transaction.atomic():
            audit_record(actor=actor, event="patient.update")
            raise RuntimeError("the action failed")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        failing_action()
    assert AuditEvent.objects.count() == 0
    assert callbacks == []


def test_events_are_sealed_after_commit(actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        record(actor, 3)
    assert callbacks
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[0].previous_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.previous_hash == before.hash
    for event in events:
        assert len(event.hash) == 64
        assert event.hash == event_digest(event, event.previous_hash, event.sequence)
    head = AuditChainHead.objects.get(id=1)
    assert (head.sequence, head.hash) == (3, events[-1].hash)


def test_sealing_continues_the_chain_in_batches(actor):
    record(actor, 2)
    assert audit_seal() == 2
    record(actor, 5)
    assert audit_seal(batch=2) == 5
    assert audit_seal() == 0
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [e.sequence for e in events] == list(range(1, 8))
    assert events[2].previous_hash == events[1].hash
    assert audit_verify().ok


# --- verifying --------------------------------------------------------------------------------------------


def test_verify_an_intact_chain(actor):
    sealed_events(actor, 4)
    record(actor, 2)  # not sealed yet
    report = audit_verify()
    assert report.ok
    assert report.checked == 4
    assert report.unsealed == 2
    assert report.broken_event_id is None
    assert report.reason == ""


def test_verify_an_empty_log(db):
    assert audit_verify().ok


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("event", "x"),
        ("user_email", "someone.else@example.org"),
        ("outcome", "denied"),
        ("object_id", "00000000-0000-0000-0000-000000000000"),
        ("detail", '{"a": {"z": null}, "b": [1, 2.5, "e"]}'),
    ],
)
def test_verify_names_the_altered_row(actor, column, value):
    events = sealed_events(actor, 4)
    victim = events[1]
    raw_sql(f"UPDATE core_auditevent SET {column}=%s WHERE id=%s", [value, victim.pk])  # noqa: S608
    report = audit_verify()
    assert not report.ok
    assert report.broken_event_id == victim.pk
    assert report.broken_sequence == victim.sequence
    assert "altered" in report.reason
    assert report.checked == 1


def test_verify_detects_a_rewritten_hash(actor):
    events = sealed_events(actor, 3)
    raw_sql("UPDATE core_auditevent SET hash=%s WHERE id=%s", ["f" * 64, events[1].pk])
    report = audit_verify()
    assert report.broken_event_id == events[1].pk


def test_verify_detects_a_broken_link(actor):
    events = sealed_events(actor, 3)
    raw_sql("UPDATE core_auditevent SET previous_hash=%s WHERE id=%s", ["f" * 64, events[2].pk])
    report = audit_verify()
    assert report.broken_event_id == events[2].pk
    assert "link" in report.reason


@pytest.mark.parametrize("index", [0, 2])
def test_verify_detects_a_deleted_row_as_a_missing_sequence(actor, index):
    events = sealed_events(actor, 5)
    victim = events[index]
    raw_sql("DELETE FROM core_auditevent WHERE id=%s", [victim.pk])
    report = audit_verify()
    assert not report.ok
    assert f"sequence {victim.sequence} is missing" in report.reason
    assert report.broken_event_id == events[index + 1].pk


def test_verify_detects_the_removal_of_the_last_rows(actor):
    events = sealed_events(actor, 4)
    raw_sql("DELETE FROM core_auditevent WHERE id=%s", [events[-1].pk])
    report = audit_verify()
    assert not report.ok
    assert report.checked == 3
    assert "end" in report.reason


def test_verify_detects_a_row_moved_back_to_unsealed(actor):
    events = sealed_events(actor, 3)
    raw_sql("UPDATE core_auditevent SET sequence=NULL WHERE id=%s", [events[-1].pk])
    assert not audit_verify().ok


# --- append-only ------------------------------------------------------------------------------------------


def test_saving_an_existing_event_is_refused(actor):
    (event,) = record(actor)
    event.event = "changed"
    with pytest.raises(PermissionError):
        event.save()
    event.refresh_from_db()
    assert event.event == "test.event0"


def test_deleting_events_is_refused(actor):
    (event,) = record(actor)
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- CSV export -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("'=1", "''=1"),  # an existing leading quote is kept, so the original stays recoverable
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_csv_safe(value, safe):
    assert csv_safe(value) == safe


def unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


@given(st.text())
@example("'=1+1")
@example("'")
@example("=")
def test_csv_safe_never_starts_a_formula_and_keeps_the_text(text):
    cell = csv_safe(text)
    assert not cell.startswith(DANGEROUS_FIRST)
    assert unescape(cell) == text


def test_csv_export_neutralizes_formulas(actor):
    actor.user.email = "=cmd|' /C calc'!A0@example.org"
    audit_record(actor=actor, event="+patient.view")
    events = AuditEvent.objects.select_related("acting_organization", "tenant_organization")
    rows = list(csv.reader(io.StringIO("".join(audit_csv_stream(events)))))
    assert rows[0] == AUDIT_CSV_COLUMNS
    row = dict(zip(AUDIT_CSV_COLUMNS, rows[1], strict=True))
    assert row["user_email"].startswith("'=")
    assert row["event"] == "'+patient.view"
    assert row["acting_organization"] == actor.organization.slug


# --- the audit-verify command -----------------------------------------------------------------------------


def test_command_seals_and_reports_an_intact_chain(actor):
    record(actor, 3)
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "Sealed 3 pending events" in out.getvalue()
    assert "intact: 3 events verified" in out.getvalue()
    assert AuditEvent.objects.filter(sequence__isnull=True).count() == 0


def test_command_without_sealing_reports_pending_events(actor):
    sealed_events(actor, 2)
    record(actor, 1)
    out = io.StringIO()
    call_command("audit_verify", "--no-seal", stdout=out)
    assert "2 events verified, 1 pending" in out.getvalue()


def test_command_names_the_broken_sequence(actor):
    events = sealed_events(actor, 4)
    raw_sql("UPDATE core_auditevent SET event='x' WHERE id=%s", [events[2].pk])
    with pytest.raises(CommandError, match=rf"BROKEN at sequence 3 \(event id {events[2].pk}\)"):
        call_command("audit_verify", stdout=io.StringIO())


def test_command_fails_when_the_chain_end_was_removed(actor):
    events = sealed_events(actor, 3)
    raw_sql("DELETE FROM core_auditevent WHERE id=%s", [events[-1].pk])
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("audit_verify", stdout=io.StringIO())


def test_a_transaction_recording_several_events_seals_once_after_commit(actor, django_capture_on_commit_callbacks):
    from carecoord.core.audit import audit_record, audit_seal_when_due

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for n in range(3):
            audit_record(actor=actor, event=f"test.event{n}")
    assert [c for c in callbacks if c is audit_seal_when_due] == [audit_seal_when_due]


def test_sealing_queued_in_a_rolled_back_savepoint_is_queued_again(actor, django_capture_on_commit_callbacks):
    from carecoord.core.audit import audit_record, audit_seal_when_due

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                audit_record(actor=actor, event="test.undone")
                raise RuntimeError
        except RuntimeError:
            pass
        audit_record(actor=actor, event="test.kept")
    assert [c for c in callbacks if c is audit_seal_when_due] == [audit_seal_when_due]
