"""
Writes of a transaction Bundle that wait for the end of the Bundle (or the next entry that could read them) and
then go in one INSERT each: the FHIR interactions' own audit entries (core.audit_bulk; each action keeps its own
entry, with audit_record's content and time: core.audit.audit_entry) and the history versions of the records
the Bundle's creates make (versions_deferred). Both are written in the Bundle's transaction, so a Bundle that
fails leaves none of them, and an entry whose savepoint rolls back leaves none either, as before.

Only `process_bundle` opens `deferred_writes()` (a transaction Bundle); everywhere else audit entries and
versions are written at once.
"""

import contextlib
import contextvars
from dataclasses import dataclass, field

from carecoord.core.audit_bulk import audit_record_many
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
    """
    current = _pending.get()
    if current is None:
        yield
        return
    before = (current.models, current.added, current.changed)
    current.models, current.added, current.changed = frozenset(models), [], {}
    ok = False
    try:
        yield
        ok = True
    finally:
        added, changed = current.added, current.changed
        current.models, current.added, current.changed = before
        if ok:
            for ident in added:
                item = current.versions.get(ident)
                if item is not None and item.lazy:
                    item.row.resource, item.lazy = item.mapper.to_fhir(item.obj), False
        elif savepoint:
            for ident in added:
                current.versions.pop(ident, None)
            for ident, (mapper, obj, lazy, last_updated, method, resource) in changed.items():
                item = current.versions[ident]
                item.mapper, item.obj, item.lazy = mapper, obj, lazy
                item.row.last_updated, item.row.method, item.row.resource = last_updated, method, resource


def flush() -> None:
    """Writes what waits (versions first, then audit entries, each in its order); a no-op outside a Bundle."""
    current = _pending.get()
    if current is None:
        return
    if current.versions:
        rows = []
        for item in current.versions.values():
            if item.lazy:
                item.row.resource = item.mapper.to_fhir(item.obj)
            rows.append(item.row)
        current.versions = {}
        ResourceVersion.objects.bulk_create(rows)
    if current.audits:
        audits, current.audits = current.audits, []
        audit_record_many(audits)
