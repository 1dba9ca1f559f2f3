"""
T23: the database refuses changes to audit rows (UPDATE except the one-time sealing, DELETE, TRUNCATE), a
DBA who disables the guard is caught by the verifier, and no route edits or deletes audit rows.
"""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver

from carecoord.core.audit import audit_record, audit_seal, audit_verify
from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.records.db_guards import AUDIT_TABLE, REFUSED, triggers_lifted
from tests.factories import make_actor

pytestmark = pytest.mark.django_db


def execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


def refused(sql: str, params=()) -> str:
    """Runs `sql` in a savepoint and returns the database's refusal message (fails if it was accepted)."""
    with pytest.raises(DatabaseError) as info, transaction.atomic():
        execute(sql, params)
    return str(info.value)


def sealed(actor, n: int = 3) -> list[AuditEvent]:
    for i in range(n):
        audit_record(actor=actor, event=f"guard.event{i}")
    audit_seal()
    return list(AuditEvent.objects.order_by("sequence"))


@pytest.mark.parametrize("column", ["event", "outcome", "user_email", "detail", "occurred_at"])
def test_update_of_a_sealed_row_is_refused(actor, column):
    event = sealed(actor, 2)[0]
    values = {"event": "x", "outcome": "denied", "user_email": "x@example.org", "detail": "{}"}
    value = values.get(column, "2000-01-01 00:00:00")
    message = refused(f"UPDATE {AUDIT_TABLE} SET {column} = %s WHERE id = %s", [value, event.pk])  # noqa: S608
    assert REFUSED in message
    assert audit_verify().ok


def test_orm_update_and_bulk_delete_are_refused(actor):
    sealed(actor, 2)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().update(event="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all()._raw_delete(connection.alias)
    assert AuditEvent.objects.filter(event__startswith="guard.").count() == 2


def test_delete_is_refused_sealed_or_not(actor):
    events = sealed(actor, 2)
    audit_record(actor=actor, event="guard.unsealed")
    unsealed = AuditEvent.objects.get(event="guard.unsealed")
    for pk in (events[0].pk, unsealed.pk):
        assert REFUSED in refused(f"DELETE FROM {AUDIT_TABLE} WHERE id = %s", [pk])  # noqa: S608
    assert REFUSED in refused(f"DELETE FROM {AUDIT_TABLE}")  # noqa: S608
    assert AuditEvent.objects.count() == 3


def test_truncate_is_refused_on_postgresql(actor):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; DELETE without WHERE is covered above")
    sealed(actor, 1)
    assert "TRUNCATE refused" in refused(f"TRUNCATE {AUDIT_TABLE}")
    assert AuditEvent.objects.count() == 1


def test_sealing_is_allowed_once_and_only_for_the_hash_columns(actor):
    audit_record(actor=actor, event="guard.a")
    event = AuditEvent.objects.get()
    # An unsealed row still refuses a change of its content, alone or disguised as sealing.
    refused(f"UPDATE {AUDIT_TABLE} SET event = 'x' WHERE id = %s", [event.pk])  # noqa: S608
    refused(
        f"UPDATE {AUDIT_TABLE} SET sequence = 1, previous_hash = %s, hash = %s, outcome = 'denied' WHERE id = %s",  # noqa: S608
        ["0" * 64, "a" * 64, event.pk],
    )
    assert audit_seal() == 1
    event.refresh_from_db()
    assert event.sequence == 1
    # Sealed once: a second "sealing" (rewriting the hash) is refused.
    refused(f"UPDATE {AUDIT_TABLE} SET hash = %s WHERE id = %s", ["f" * 64, event.pk])  # noqa: S608
    refused(f"UPDATE {AUDIT_TABLE} SET sequence = NULL, hash = '', previous_hash = '' WHERE id = %s", [event.pk])  # noqa: S608
    assert audit_verify().ok


def test_the_verifier_names_the_row_a_dba_altered_with_the_guard_disabled(actor):
    events = sealed(actor, 5)
    victim = events[3]
    with triggers_lifted([AUDIT_TABLE]):
        execute(f"UPDATE {AUDIT_TABLE} SET outcome = 'success', event = 'x' WHERE id = %s", [victim.pk])  # noqa: S608
    report = audit_verify()
    assert (report.broken_event_id, report.broken_sequence) == (victim.pk, victim.sequence)
    assert "altered" in report.reason
    # The guard is back after the DBA's edit.
    refused(f"DELETE FROM {AUDIT_TABLE} WHERE id = %s", [events[0].pk])  # noqa: S608


def test_a_failed_dba_edit_leaves_the_guard_in_place(actor):
    events = sealed(actor, 1)
    with pytest.raises(RuntimeError), transaction.atomic(), triggers_lifted([AUDIT_TABLE]):
        raise RuntimeError("the edit failed")
    refused(f"DELETE FROM {AUDIT_TABLE} WHERE id = %s", [events[0].pk])  # noqa: S608


# --- no route edits or deletes audit rows ------------------------------------------------------------------


def _routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def test_no_route_changes_audit_rows(org, client_for):
    audit_routes = [route for route, _ in _routes() if "audit" in route]
    assert "audit/" in audit_routes
    admin = make_actor(org, Role.ORG_ADMIN)
    auditor = make_actor(org, Role.AUDITOR)
    sealed(admin, 3)
    before = list(AuditEvent.objects.order_by("sequence").values_list("id", "event", "outcome", "hash"))
    log_routes = {"audit/", "audit/export.csv"}
    for actor in (admin, auditor):
        client = client_for(actor)
        client.raise_request_exception = False  # other audit pages (break-glass review) are judged by the rows
        for route in audit_routes:
            url = "/" + route.replace("^", "").replace("$", "")
            for method in ("post", "put", "patch", "delete"):
                response = getattr(client, method)(url, {"id": before[0][0], "event": "x", "sequence": 1})
                if route in log_routes:
                    assert response.status_code == 405, (method, url)
    kept = AuditEvent.objects.filter(id__in=[row[0] for row in before]).order_by("sequence")
    after = list(kept.values_list("id", "event", "outcome", "hash"))
    assert after == before
    audit_seal()
    assert audit_verify().ok


# --- flush (Django's whole-database wipe, used between transactional tests) --------------------------------


@pytest.mark.django_db(transaction=True)
def test_flush_stands_the_guard_aside_and_puts_it_back(org):
    actor = make_actor(org, Role.COORDINATOR)
    sealed(actor, 2)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    actor = make_actor(org.__class__.objects.create(name="X", slug="x-guard", kind="clinic", state="IL"), "auditor")
    sealed(actor, 1)
    refused(f"DELETE FROM {AUDIT_TABLE}")  # noqa: S608
