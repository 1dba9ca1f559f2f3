"""
Writes of a transaction Bundle that wait for the end of the Bundle (or the next entry that could read them) and
then go in one INSERT each: audit entries (core.audit_bulk; each action keeps its own entry, with audit_record's
content and time: core.audit.audit_entry), the FHIR interactions' own and those the services record inside the
transaction (core.audit.entries_wait; one whose savepoint rolled back is dropped), the history versions of the
records the Bundle's creates make (versions_deferred), and new rows a service handed over instead of inserting
them (`wait_to_insert`: an Observation create's measurement and its audit entry). All are written in the
Bundle's transaction, so a Bundle that fails leaves none of them, and an entry whose block fails leaves none
either. A single create (interactions.create outside a Bundle) opens the same scope for its own transaction:
its rows, version and audit entries go in at its end, one INSERT each.

Waiting rows have their ids (public_id) and times already; their integer keys come with the INSERT. Whatever
reads their table inside the Bundle first calls `insert_waiting_rows(model)`: every non-POST entry (flush), a
search (conditional references and creates), an Observation match against what is on file.

Only `process_bundle` (a transaction Bundle) and a single create open `deferred_writes()`; everywhere else audit
entries and versions are written at once.
"""

import contextlib
import contextvars
from dataclasses import dataclass, field

from django.db import router

from carecoord.core.audit import entries_wait, still_waiting
from carecoord.core.audit_bulk import audit_record_many, insert_rows
from carecoord.core.models import AuditEvent

from .models import ResourceVersion


@dataclass
class PendingVersion:
    mapper: object
    obj: object
    row: ResourceVersion
    lazy: bool  # the resource is the record's to_fhir, computed when written


@dataclass
class Pending:
    audits: list[AuditEvent] = field(default_factory=list)
    versions: dict[tuple, PendingVersion] = field(default_factory=dict)  # (type, id, version) -> the row
    rows: list = field(default_factory=list)  # unsaved model instances, their fields final (wait_to_insert)
    inserts: int = 0  # how many times waiting rows were inserted (a block's marks below hold until then)
    in_savepoint: bool = False  # inside a create's savepoint: inserting rows of other entries there is an error
    # Inside a create (versions_deferred): the models whose new records' versions wait, the versions added
    # in the block, and what the block changed of versions waiting from before it (to restore on rollback).
    models: frozenset = frozenset()
    added: list[tuple] | None = None
    changed: dict[tuple, tuple] | None = None

    def defers(self, ident: tuple, obj, new_row: bool) -> bool:
        return ident in self.versions or (new_row and type(obj) in self.models)

    def before_change(self, ident: tuple) -> None:
        """Called before a waiting version is added or changed."""
        if self.added is None:
            return
        item = self.versions.get(ident)
        if item is None:
            self.added.append(ident)
        elif ident not in self.added and ident not in self.changed:
            row = item.row
            self.changed[ident] = (item.mapper, item.obj, item.lazy, row.last_updated, row.method, row.resource)


_pending: contextvars.ContextVar[Pending | None] = contextvars.ContextVar("fhir_deferred_writes", default=None)


@contextlib.contextmanager
def deferred_writes():
    """Use inside the Bundle's transaction: what waits is written when the block ends without an error."""
    pending = Pending()
    token = _pending.set(pending)
    try:
        with entries_wait(pending.audits):  # the list itself: flush and _drop_added change it in place
            yield
        flush()
    finally:
        _pending.reset(token)


def pending() -> Pending | None:
    return _pending.get()


@contextlib.contextmanager
def versions_deferred(models, *, savepoint: bool):
    """
    Inside a Bundle, the versions a create's block records for new records of `models` (the mapper's) wait
    too: the save's version and the create's own (its answer) become one row, and one to_fhir. When the block
    fails and `savepoint` rolls it back, what it added or changed is dropped or restored; when it ends, a
    version still without its resource gets it now (the record as the block left it).
    The rows and audit entries the block handed over (wait_to_insert, the interaction's audit entry) are
    dropped when it fails, savepoint or not: the entry left out of the Bundle leaves nothing of itself.
    """
    current = _pending.get()
    if current is None:
        yield
        return
    before = (current.models, current.added, current.changed, current.in_savepoint)
    current.models, current.added, current.changed = frozenset(models), [], {}
    current.in_savepoint = current.in_savepoint or savepoint
    marks = (len(current.rows), len(current.audits), current.inserts)
    ok = False
    try:
        yield
        ok = True
    finally:
        added, changed = current.added, current.changed
        current.models, current.added, current.changed, current.in_savepoint = before
        if ok:
            for ident in added:
                item = current.versions.get(ident)
                if item is not None and item.lazy:
                    item.row.resource, item.lazy = item.mapper.to_fhir(item.obj), False
        else:
            _drop_added(current, marks)
            if savepoint:
                for ident in added:
                    current.versions.pop(ident, None)
                for ident, (mapper, obj, lazy, last_updated, method, resource) in changed.items():
                    item = current.versions[ident]
                    item.mapper, item.obj, item.lazy = mapper, obj, lazy
                    item.row.last_updated, item.row.method, item.row.resource = last_updated, method, resource


def _drop_added(current: Pending, marks: tuple) -> None:
    """Drops the rows and audit entries a failed block added (all waiting rows are its own after an insert)."""
    rows, audits, inserts = marks
    if current.inserts != inserts:
        rows = 0  # the block (one without a savepoint) inserted the rows waiting: what waits now is its own
    del current.rows[rows:]
    del current.audits[audits:]


def wait_to_insert(obj, audit: AuditEvent) -> None:
    """
    Inside deferred_writes (a transaction Bundle or a single FHIR create): `obj` (unsaved) gets the values its
    save would give it (auto_now times) now, and is inserted with the other waiting rows, its audit entry with
    the other entries. Its model's save signals are not sent: the FHIR create records the history version itself.
    """
    current = _pending.get()
    if current is None:
        raise RuntimeError("wait_to_insert runs inside deferred_writes (a transaction Bundle or FHIR create).")
    for field_ in obj._meta.local_concrete_fields:
        if field_ is not obj._meta.auto_field:
            field_.pre_save(obj, True)  # what save's INSERT runs (a raw INSERT, later, keeps these values)
    current.rows.append(obj)
    current.audits.append(audit)


def waiting() -> bool:
    """Whether new rows may wait now (inside deferred_writes): writers then hand them to wait_to_insert."""
    return _pending.get() is not None


def insert_waiting_rows(*models) -> None:
    """
    Inserts the waiting rows (when `models` are given, only if a row of one of them waits) before they are
    read. Call it outside a create's savepoint: rolled back with it, rows of the entries before would be lost.
    """
    current = _pending.get()
    if current is None or not current.rows:
        return
    if models and not any(type(obj) in models for obj in current.rows):
        return
    if current.in_savepoint:
        raise RuntimeError("Rows waiting in a Bundle are inserted before a create's savepoint opens, not in it.")
    for model, objs, raw in _take_rows(current):
        insert_rows(model, objs, using=router.db_for_write(model), raw=raw)


def _take_rows(current: Pending) -> list[tuple]:
    """The waiting rows as (model, instances, raw: their save's values, as prepared), no longer waiting."""
    rows, current.rows = current.rows, []
    if not rows:
        return []
    current.inserts += 1
    by_model: dict = {}
    for obj in rows:
        by_model.setdefault(type(obj), []).append(obj)
    return [(model, objs, True) for model, objs in by_model.items()]


def flush() -> None:
    """
    Writes what waits (versions, rows and audit entries, each in its order); a no-op outside a Bundle. They go
    in one statement where the database takes it (audit_bulk.insert_together), else one INSERT per table.
    """
    current = _pending.get()
    if current is None:
        return
    versions = []
    for item in current.versions.values():
        if item.lazy:
            item.row.resource = item.mapper.to_fhir(item.obj)
        versions.append(item.row)
    current.versions = {}
    audits = still_waiting(current.audits, router.db_for_write(AuditEvent)) if current.audits else []
    current.audits.clear()
    audit_record_many(audits, along=[(ResourceVersion, versions, False), *_take_rows(current)])
