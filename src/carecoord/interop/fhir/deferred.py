"""
Writes of a transaction Bundle that wait for the end of the Bundle (or the next entry that could read them) and
then go in one INSERT each: the FHIR interactions' own audit entries (core.audit_bulk; each action keeps its own
entry, with audit_record's content and time: core.audit.audit_entry), the history versions of the records
the Bundle's creates make (versions_deferred), and new rows a service handed over instead of inserting them
(`wait_to_insert`: an Observation create's measurement and its audit entry). All are written in the Bundle's
transaction, so a Bundle that fails leaves none of them, and an entry whose block fails leaves none either.

Waiting rows have their ids (public_id) and times already; their integer keys come with the INSERT. Whatever
reads their table inside the Bundle first calls `insert_waiting_rows(model)`: every non-POST entry (flush), a
search (conditional references and creates), an Observation match against what is on file.

Only `process_bundle` opens `deferred_writes()` (a transaction Bundle); everywhere else audit entries and
versions are written at once.
"""

import contextlib
import contextvars
from dataclasses import dataclass, field

from django.db import router

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
    Inside a transaction Bundle: `obj` (unsaved) gets the values its save would give it (auto_now times) now,
    and is inserted with the Bundle's other waiting rows, its audit entry with the Bundle's entries. Its model's
    save signals are not sent: the FHIR create records the history version itself.
    """
    current = _pending.get()
    if current is None:
        raise RuntimeError("wait_to_insert runs inside a transaction Bundle (deferred_writes).")
    for field_ in obj._meta.local_concrete_fields:
        if field_ is not obj._meta.auto_field:
            field_.pre_save(obj, True)  # what save's INSERT runs (a raw INSERT, later, keeps these values)
    current.rows.append(obj)
    current.audits.append(audit)


def waiting() -> bool:
    """Whether new rows may wait now (inside a transaction Bundle): writers then hand them to wait_to_insert."""
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
    rows, current.rows = current.rows, []
    current.inserts += 1
    by_model: dict = {}
    for obj in rows:
        by_model.setdefault(type(obj), []).append(obj)
    for model, objs in by_model.items():
        insert_rows(model, objs, using=router.db_for_write(model), raw=True)  # their save's values, as prepared


def flush() -> None:
    """Writes what waits (rows, versions, then audit entries, each in its order); a no-op outside a Bundle."""
    current = _pending.get()
    if current is None:
        return
    insert_waiting_rows()
    if current.versions:
        rows = []
        for item in current.versions.values():
            if item.lazy:
                item.row.resource = item.mapper.to_fhir(item.obj)
            rows.append(item.row)
        current.versions = {}
        insert_rows(ResourceVersion, rows, using=router.db_for_write(ResourceVersion))
    if current.audits:
        audits, current.audits = current.audits, []
        audit_record_many(audits)
