"""
Audit entries written together: `audit_record_many` inserts events made by `audit.audit_entry` (what
`audit_record` writes, its time taken when the action happened) in one statement inside the caller's
transaction, sending the signals a save sends for each (core.breakglass flags entries on pre_save), and queues
the same sealing after commit as `audit_record`. For callers that know many actions of one transaction before
it commits (a FHIR transaction Bundle's interactions: interop/fhir/deferred.py); each action keeps its entry.

`insert_rows` is the INSERT behind it, for other rows written together too (the Bundle's history versions and
new measurements): bulk_create's statement and values, without the ORM compiling each value on its way
(most of a Bundle's final writes' time).
"""

from django.db import connections, router, transaction
from django.db.models.signals import post_save, pre_save

from .audit import seal_after_commit
from .models import AuditEvent


def audit_record_many(entries: list[AuditEvent]) -> None:
    """
    Inserts unsaved entries (audit_entry's), in their order, inside the caller's transaction: required, since
    an entry committed apart from the actions it records would outlive their rollback. Sealed after commit.
    """
    if not entries:
        return
    using = router.db_for_write(AuditEvent)
    if not transaction.get_connection(using).in_atomic_block:
        raise RuntimeError("audit_record_many runs inside the transaction of the actions it records.")
    for entry in entries:
        if entry.pk is not None:
            raise PermissionError("Audit events are append-only; they cannot be changed.")
        pre_save.send(sender=AuditEvent, instance=entry, raw=False, using=using, update_fields=None)
    insert_rows(AuditEvent, entries, using=using)
    for entry in entries:
        post_save.send(sender=AuditEvent, instance=entry, created=True, update_fields=None, raw=False, using=using)
    seal_after_commit(using)


def insert_rows(model, objs: list, *, using: str, raw: bool = False) -> None:
    """
    Inserts unsaved instances of `model`, in their order, in as few multi-row INSERTs as the database takes,
    and sets their keys: what bulk_create writes (each value from its field's pre_save, unless `raw`: then the
    value the instance holds, as save() prepared it already; then its field's get_db_prep_save). No signals.
    """
    if not objs:
        return
    db = connections[using]
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    if not db.features.can_return_rows_from_bulk_insert or any(hasattr(f, "get_placeholder") for f in fields):
        _insert_with_orm(model, objs, fields, using, raw)
        return
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")  # as bulk_create: no unsaved relation
    quote = db.ops.quote_name
    # Names from the model's meta, quoted; every value a parameter.
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608
    row = f"({', '.join(['%s'] * len(fields))})"
    tail = f" RETURNING {quote(meta.pk.column)}"
    size = max(db.ops.bulk_batch_size(fields, objs), 1)
    for start in range(0, len(objs), size):
        batch = objs[start : start + size]
        params = [
            f.get_db_prep_save(getattr(obj, f.attname) if raw else f.pre_save(obj, True), db)
            for obj in batch
            for f in fields
        ]
        with db.cursor() as cursor:
            cursor.execute(head + ", ".join([row] * len(batch)) + tail, params)
            keys = [found[0] for found in cursor.fetchall()]
        for obj, key in zip(batch, keys, strict=True):
            obj.pk = key
            obj._state.adding, obj._state.db = False, using


def _insert_with_orm(model, objs: list, fields: list, using: str, raw: bool) -> None:
    manager = model._base_manager.using(using)
    returning = model._meta.db_returning_fields
    for obj in objs:
        (values,) = manager._insert([obj], fields=fields, returning_fields=returning, raw=raw, using=using)
        for field, value in zip(returning, values, strict=True):
            setattr(obj, field.attname, value)
        obj._state.adding, obj._state.db = False, using
