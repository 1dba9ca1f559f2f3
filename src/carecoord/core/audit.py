"""
The audit trail: `audit_record` writes one event inside the caller's transaction (so a rolled-back action
leaves no audit row; a read outside any transaction commits its event alone, one statement; inside
`entries_wait`, a FHIR create's or transaction Bundle's, the event waits to be written with the others
before the commit, and is dropped if a savepoint rolls its action back), and
`audit_seal` links new events into a SHA-256 hash chain, in batches, outside every user transaction.
A process seals after a commit or a read when the last sealing it ran is CARECOORD_AUDIT_SEAL_SECONDS old
(0: after every one); the worker's `seal_audit_events` takes whatever is left each minute. Until sealed an
event is already stored and the database's audit guard refuses any change to it (core migrations); sealing
makes a later change by someone who can lift the guard detectable.
`audit_verify` recomputes the chain and names the first row that no longer matches.
A refused access (`audit_denied`) is the exception to "rolled back with its action": within a request it is
written at the commit, or after the request when the action's transaction rolled back.
"""

import contextlib
import contextvars
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection, connections, models, router, transaction
from django.db.models.signals import post_save, pre_save

from . import clock
from .choices import AuditAction, AuditOutcome
from .context import current_request_info
from .csvsafe import csv_lines
from .models import AuditChainHead, AuditEvent, Organization, User
from .prepared import Prepared, prepared_for, run_statement

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
SEAL_BATCH = 1000


def audit_record(
    *,
    actor=None,
    event: str,
    action: str = AuditAction.READ,
    target: models.Model | None = None,
    patient=None,
    outcome: str = AuditOutcome.SUCCESS,
    detail: dict | None = None,
    user: User | None = None,
    organization: Organization | None = None,
) -> AuditEvent:
    """Appends one audit event; `actor` supplies user and acting organization unless given explicitly."""
    entry = audit_entry(
        actor=actor, event=event, action=action, target=target, patient=patient, outcome=outcome, detail=detail,
        user=user, organization=organization,
    )  # fmt: skip
    waiting = _entries_waiting.get()
    if waiting is not None and transaction.get_connection().in_atomic_block:
        _wait(waiting, entry)
    else:
        _write(entry)
    return entry


# Inside `entries_wait` (a FHIR create or transaction Bundle: interop/fhir/deferred.py), the entries audit_record
# makes inside the transaction: their owner writes them together (audit_bulk.audit_record_many) before it commits.
_entries_waiting: contextvars.ContextVar[list | None] = contextvars.ContextVar("audit_entries_waiting", default=None)


@contextlib.contextmanager
def entries_wait(entries: list[AuditEvent]):
    """
    Within the block, an entry audit_record makes inside a transaction is appended to `entries` instead of
    written: the caller writes `still_waiting(entries)` in that transaction before the block ends.
    """
    token = _entries_waiting.set(entries)
    try:
        yield
    finally:
        _entries_waiting.reset(token)


def _wait(entries: list[AuditEvent], entry: AuditEvent) -> None:
    # Django drops an on_commit callback registered in a savepoint that rolls back: the no-op registered now
    # tells whether the entry's action was rolled back with one (a service catching its own failed block).
    mark = _Mark()
    transaction.on_commit(mark)
    entry._rolled_back_unless = mark
    entries.append(entry)


class _Mark:
    def __call__(self) -> None:
        pass


def still_waiting(entries: list[AuditEvent], using: str | None = None) -> list[AuditEvent]:
    """The entries (of `entries_wait`) whose action was not rolled back by a savepoint since, in their order."""
    queued = {id(callback) for _, callback, _ in transaction.get_connection(using).run_on_commit}
    kept = []
    for entry in entries:
        mark = getattr(entry, "_rolled_back_unless", None)
        if mark is None or id(mark) in queued:  # no mark: the owner drops it itself (deferred.versions_deferred)
            kept.append(entry)
    return kept


def _write(entry: AuditEvent) -> None:
    _insert(entry)
    if transaction.get_connection().in_atomic_block:
        seal_after_commit()
    else:
        audit_seal_when_due()


# Refused accesses recorded inside a transaction during this request and not yet committed (audit_denied).
_denials_waiting: contextvars.ContextVar[list | None] = contextvars.ContextVar("audit_denials", default=None)


def audit_denied(*, actor, event: str, detail: dict) -> None:
    """
    Records a refused access (outcome denied). Inside a transaction, an entry written at once would be rolled
    back with the action it refused (a FHIR create naming another organization's patient fails, and its
    transaction with it): within a request (`denials_outlive_rollback`), the entry is written when the
    transaction commits, or when the request ends if it never does. Either way it keeps the attempt's time.
    """
    entry = audit_entry(actor=actor, event=event, action=AuditAction.READ, outcome=AuditOutcome.DENIED, detail=detail)
    waiting = _denials_waiting.get()
    if waiting is None or not transaction.get_connection().in_atomic_block:
        _write(entry)
        return
    waiting.append(entry)
    # Discarded by Django if the transaction (or the savepoint it was registered in) rolls back.
    transaction.on_commit(lambda: _write_waiting_denial(waiting, entry))


def _write_waiting_denial(waiting: list, entry: AuditEvent) -> None:
    if any(item is entry for item in waiting):
        waiting[:] = [item for item in waiting if item is not entry]
        _write(entry)


@contextlib.contextmanager
def denials_outlive_rollback():
    """Around a request: refused accesses recorded in transactions that rolled back are written at its end."""
    waiting: list[AuditEvent] = []
    token = _denials_waiting.set(waiting)
    try:
        yield
    finally:
        _denials_waiting.reset(token)
        for entry in list(waiting):
            try:
                _write_waiting_denial(waiting, entry)
            except DatabaseError:  # the database that failed the request: say so, do not mask its answer
                logger.exception("A refused access could not be audited (event %s).", entry.event)


def audit_entry(
    *,
    actor=None,
    event: str,
    action: str = AuditAction.READ,
    target: models.Model | None = None,
    patient=None,
    outcome: str = AuditOutcome.SUCCESS,
    detail: dict | None = None,
    user: User | None = None,
    organization: Organization | None = None,
) -> AuditEvent:
    """The unsaved event `audit_record` writes for these arguments (its time: now)."""
    user = user or (actor.user if actor else None)
    acting = organization or (actor.organization if actor else None)
    info = current_request_info()
    entry = AuditEvent(
        occurred_at=clock.now(),
        user=user if user and user.pk else None,
        user_email=(user.email if user else "")[:254],
        acting_organization=acting,
        tenant_organization=_tenant_of(patient, target) or acting,
        action=action,
        event=event,
        object_type=target._meta.label if target is not None else "",
        object_id=str(getattr(target, "public_id", "") or getattr(target, "pk", "") or "") if target else "",
        patient_public_id=getattr(patient, "public_id", None),
        source_ip=info.source_ip,
        user_agent=info.user_agent[:300],
        outcome=outcome,
        detail=detail or {},
    )
    # Break-glass opens only restricted records: an entry about a patient known not to be restricted needs no
    # look-up of the user's break-glass windows (core.breakglass.flag_break_glass).
    entry.patient_restricted = getattr(patient, "restricted", None)
    return entry


def _insert(entry: AuditEvent) -> None:
    """
    `entry.save(force_insert=True)` with its INSERT written once per connection: every request writes at least
    one event, and the ORM's save compiled the same statement each time (a fifth of a FHIR read's CPU). The
    values are prepared by each field as the ORM prepares them, and the signals a save sends are sent
    (core.breakglass flags entries on pre_save).
    """
    if entry.pk is not None:
        raise PermissionError("Audit events are append-only; they cannot be changed.")
    using = router.db_for_write(AuditEvent)
    db = connections[using]
    if not db.features.can_return_columns_from_insert:
        entry.save(force_insert=True, using=using)
        return
    pre_save.send(sender=AuditEvent, instance=entry, raw=False, using=using, update_fields=None)
    fields, sql = prepared_for("audit.insert", lambda: _insert_statement(db), using=using)
    params = [field.get_db_prep_save(field.pre_save(entry, True), db) for field in fields]
    entry.pk = run_statement(db, sql, params, one=True)[0]
    entry._state.adding, entry._state.db = False, using
    post_save.send(sender=AuditEvent, instance=entry, created=True, update_fields=None, raw=False, using=using)


def _insert_statement(db) -> tuple[list, str]:
    fields = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]
    quote = db.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    slots = ", ".join(["%s"] * len(fields))
    table, key = quote(AuditEvent._meta.db_table), quote(AuditEvent._meta.pk.column)
    return fields, f"INSERT INTO {table} ({columns}) VALUES ({slots}) RETURNING {key}"  # noqa: S608


def seal_after_commit(using: str | None = None) -> None:
    """Queues one sealing (when due) for the end of the transaction, however many events it records."""
    queued = transaction.get_connection(using).run_on_commit  # (savepoint ids, callback, robust)
    if not any(callback is audit_seal_when_due for _, callback, _ in queued):
        transaction.on_commit(audit_seal_when_due, using=using)


# When this process last started a sealing (clock.now(): tests move it); None before the first.
_last_sealing: list = [None]


def audit_seal_when_due() -> None:
    """
    Seals when this process's last sealing started CARECOORD_AUDIT_SEAL_SECONDS ago or more: under load one
    sealing takes the events of many requests (a read was four statements and a commit more with its own).
    """
    interval = dt.timedelta(seconds=getattr(settings, "CARECOORD_AUDIT_SEAL_SECONDS", 0))
    now, last = clock.now(), _last_sealing[0]
    if interval and last is not None and dt.timedelta(0) <= now - last < interval:
        return
    _last_sealing[0] = now
    audit_seal_quietly()


def _tenant_of(patient, target) -> Organization | None:
    for obj in (patient, target):
        org = getattr(obj, "organization", None)
        if isinstance(org, Organization):
            return org
    return None


def audit_seal_quietly() -> None:
    try:
        audit_seal()
    except Exception:
        logger.warning("audit sealing deferred", exc_info=True)


def event_digest(event: AuditEvent, previous_hash: str, sequence: int) -> str:
    """The SHA-256 of an event's content and its place in the chain."""
    payload = {
        "sequence": sequence,
        "previous_hash": previous_hash,
        "id": event.pk,
        "occurred_at": event.occurred_at.isoformat(),
        "user_id": event.user_id,
        "user_email": event.user_email,
        "acting_organization_id": event.acting_organization_id,
        "tenant_organization_id": event.tenant_organization_id,
        "action": event.action,
        "event": event.event,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "patient_public_id": str(event.patient_public_id) if event.patient_public_id else None,
        "source_ip": event.source_ip,
        "user_agent": event.user_agent,
        "outcome": event.outcome,
        "detail": event.detail,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def audit_seal(batch: int = SEAL_BATCH) -> int:
    """Links unsealed events into the chain in id order; returns how many it sealed."""
    sealed = 0
    while True:
        with transaction.atomic():
            count = _seal_batch(batch)
        if count is None:  # another process is sealing right now; it will take ours too
            return sealed
        sealed += count
        if count < batch:
            return sealed


def _seal_batch(batch: int) -> int | None:
    """Seals up to `batch` events inside the caller's transaction; None when another holds the chain's head."""
    head = _locked_chain_head()
    if head is None:
        return None
    pending = _pending(batch)
    links = []
    for event in pending:
        head.sequence += 1
        event_hash = event_digest(event, head.hash, head.sequence)
        links.append((head.sequence, head.hash, event_hash, event.pk))
        head.hash = event_hash
    if pending:
        _write_links(links, head)
    return len(pending)


def _pending(batch: int) -> list[AuditEvent]:
    """The oldest unsealed events (one statement, compiled once per connection: core.prepared)."""
    statement = prepared_for(
        ("audit.pending", batch),
        lambda: Prepared(AuditEvent.objects.filter(sequence__isnull=True).order_by("id")[:batch], {}),
    )
    return statement.all()


def _write_links(links: list[tuple], head: AuditChainHead) -> None:
    """Gives each event its place in the chain (the one update the audit guard allows) and moves the head."""
    quote = connection.ops.quote_name
    event_table, head_table = quote(AuditEvent._meta.db_table), quote(AuditChainHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {event_table} SET {quote('sequence')} = %s, {quote('previous_hash')} = %s, "  # noqa: S608
            f"{quote('hash')} = %s WHERE {quote('id')} = %s",
            links,
        )
        cursor.execute(
            f"UPDATE {head_table} SET {quote('sequence')} = %s, {quote('hash')} = %s WHERE {quote('id')} = %s",  # noqa: S608
            [head.sequence, head.hash, head.pk],
        )


def _locked_chain_head() -> AuditChainHead | None:
    """The chain's head, locked for this transaction; None when another transaction holds it (PostgreSQL)."""
    if not connection.features.has_select_for_update_skip_locked:  # SQLite: the write lock serializes sealers
        head = prepared_for("audit.head", lambda: Prepared(AuditChainHead.objects.filter(id=1)[:1], {})).first()
        return head or AuditChainHead.objects.get_or_create(id=1)[0]
    locked = prepared_for(
        "audit.head.locked",
        lambda: Prepared(AuditChainHead.objects.select_for_update(skip_locked=True).filter(id=1)[:1], {}),
    )
    head = locked.first()
    if head is None and not AuditChainHead.objects.filter(id=1).exists():
        AuditChainHead.objects.get_or_create(id=1)
        head = locked.first()
    return head


@dataclass(frozen=True)
class ChainReport:
    checked: int
    unsealed: int
    broken_event_id: int | None = None
    broken_sequence: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        # A removed chain end names no event, only a reason.
        return not self.reason


def audit_verify() -> ChainReport:
    """Recomputes every sealed event's hash in chain order; reports the first mismatch."""
    previous = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    for event in AuditEvent.objects.filter(sequence__isnull=False).order_by("sequence").iterator(2000):
        reason = ""
        if event.sequence != expected_sequence:
            reason = f"sequence {expected_sequence} is missing (a row was deleted)"
        elif event.previous_hash != previous:
            reason = "its link to the previous event does not match"
        elif event_digest(event, previous, event.sequence) != event.hash:
            reason = "its content no longer matches its hash (the row was altered)"
        if reason:
            return ChainReport(checked, _unsealed_count(), event.pk, event.sequence, reason)
        previous = event.hash
        expected_sequence += 1
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head and (head.sequence != checked or head.hash != previous):
        return ChainReport(checked, _unsealed_count(), None, head.sequence, "the chain's end was removed")
    return ChainReport(checked, _unsealed_count())


def _unsealed_count() -> int:
    return AuditEvent.objects.filter(sequence__isnull=True).count()


AUDIT_CSV_COLUMNS = [
    "occurred_at",
    "user_email",
    "acting_organization",
    "tenant_organization",
    "action",
    "event",
    "object_type",
    "object_id",
    "patient_public_id",
    "source_ip",
    "outcome",
    "sequence",
    "hash",
]


def audit_csv_rows(events: Iterable[AuditEvent]) -> Iterator[list[str]]:
    yield AUDIT_CSV_COLUMNS
    for e in events:
        yield [
            e.occurred_at.isoformat(),
            e.user_email,
            e.acting_organization.slug if e.acting_organization else "",
            e.tenant_organization.slug if e.tenant_organization else "",
            e.action,
            e.event,
            e.object_type,
            e.object_id,
            e.patient_public_id,
            e.source_ip,
            e.outcome,
            e.sequence,
            e.hash,
        ]


def audit_csv_stream(events: Iterable[AuditEvent]) -> Iterator[str]:
    """The audit CSV, through the one CSV writer (RFC 4180, formula cells neutralized: core.csvsafe)."""
    yield from csv_lines(audit_csv_rows(events))
