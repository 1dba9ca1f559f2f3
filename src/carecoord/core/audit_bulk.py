"""
Audit entries written together: `audit_record_many` inserts events made by `audit.audit_entry` (what
`audit_record` writes, its time taken when the action happened) in one statement inside the caller's
transaction, sending the signals a save sends for each (core.breakglass flags entries on pre_save), and queues
the same sealing after commit as `audit_record`. For callers that know many actions of one transaction before
it commits (a FHIR transaction Bundle's interactions: interop/fhir/deferred.py); each action keeps its entry.

`insert_rows` is the INSERT behind it, for other rows written together too (the Bundle's history versions and
new measurements): bulk_create's statement and values, without the ORM compiling each value on its way
(most of a Bundle's final writes' time). `insert_together` writes the rows of several models so, in one
statement on PostgreSQL (one INSERT per model inside a WITH): one round trip instead of one per table.
"""

from django.db import connections, router, transaction
from django.db.models.signals import post_save, pre_save

from .audit import seal_after_commit
from .models import AuditEvent

# PostgreSQL's limit on the parameters of one statement (with server-side binding; client-side has none).
MAX_PARAMS = 65535


def audit_record_many(entries: list[AuditEvent], *, along: list[tuple] = ()) -> None:
    """
    Inserts unsaved entries (audit_entry's), in their order, inside the caller's transaction: required, since
    an entry committed apart from the actions it records would outlive their rollback. Sealed after commit.
    `along`: other rows of the transaction, (model, instances, raw) each as insert_rows takes them, inserted
    before the entries and with them (insert_together).
    """
    if not entries:
        insert_together(along, using=router.db_for_write(AuditEvent))
        return
    using = router.db_for_write(AuditEvent)
    if not transaction.get_connection(using).in_atomic_block:
        raise RuntimeError("audit_record_many runs inside the transaction of the actions it records.")
    for entry in entries:
        if entry.pk is not None:
            raise PermissionError("Audit events are append-only; they cannot be changed.")
        pre_save.send(sender=AuditEvent, instance=entry, raw=False, using=using, update_fields=None)
    insert_together([*along, (AuditEvent, entries, False)], using=using)
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
    fields = _fields(model)
    if not db.features.can_return_rows_from_bulk_insert or any(hasattr(f, "get_placeholder") for f in fields):
        _insert_with_orm(model, objs, fields, using, raw)
        return
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")  # as bulk_create: no unsaved relation
    size = max(db.ops.bulk_batch_size(fields, objs), 1)
    for start in range(0, len(objs), size):
        batch = objs[start : start + size]
        with db.cursor() as cursor:
            cursor.execute(_insert_sql(db, model, fields, len(batch)), _params(db, fields, batch, raw))
            keys = [found[0] for found in cursor.fetchall()]
        _set_keys(batch, keys, using)


def insert_together(batches: list[tuple], *, using: str) -> None:
    """
    insert_rows for each (model, instances, raw), in their order. On PostgreSQL, in one statement when more
    than one model has rows (a WITH holding each model's INSERT, its rows numbered by the model's sequence):
    the statement is atomic, all its rows are written or none.
    """
    batches = [(model, objs, raw) for model, objs, raw in batches if objs]
    db = connections[using]
    if len(batches) < 2 or not _together_possible(db, batches):
        for model, objs, raw in batches:
            insert_rows(model, objs, using=using, raw=raw)
        return
    parts, params = [], []
    for number, (model, objs, raw) in enumerate(batches):
        fields = _fields(model)
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        parts.append(f"t{number} AS ({_insert_sql(db, model, fields, len(objs))})")
        params += _params(db, fields, objs, raw)
    if len(params) > MAX_PARAMS:
        for model, objs, raw in batches:
            insert_rows(model, objs, using=using, raw=raw)
        return
    keys = " UNION ALL ".join(
        f"SELECT {number}, {db.ops.quote_name(model._meta.pk.column)} FROM t{number}"  # noqa: S608 -- names only
        for number, (model, _, _) in enumerate(batches)
    )
    with db.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} {keys}", params)
        returned = cursor.fetchall()
    for number, (_, objs, _) in enumerate(batches):
        # A multi-row INSERT draws its keys from the sequence in the order of its rows: sorted, they are the
        # rows' keys in order, whatever order the WITH returns them in.
        _set_keys(objs, sorted(key for at, key in returned if at == number), using)


def _together_possible(db, batches: list[tuple]) -> bool:
    """A WITH of INSERTs (PostgreSQL), each model's key drawn from a sequence, each value a plain parameter."""
    if db.vendor != "postgresql" or not db.features.can_return_rows_from_bulk_insert:
        return False
    for model, _, _ in batches:
        meta = model._meta
        if meta.auto_field is None or meta.pk is not meta.auto_field:
            return False
        if any(hasattr(f, "get_placeholder") for f in _fields(model)):
            return False
    return True


def _fields(model) -> list:
    meta = model._meta
    return [f for f in meta.local_concrete_fields if f is not meta.auto_field]


def _insert_sql(db, model, fields: list, rows: int) -> str:
    quote, meta = db.ops.quote_name, model._meta
    # Names from the model's meta, quoted; every value a parameter.
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608
    row = f"({', '.join(['%s'] * len(fields))})"
    return head + ", ".join([row] * rows) + f" RETURNING {quote(meta.pk.column)}"


def _params(db, fields: list, objs: list, raw: bool) -> list:
    return [
        f.get_db_prep_save(getattr(obj, f.attname) if raw else f.pre_save(obj, True), db)
        for obj in objs
        for f in fields
    ]


def _set_keys(objs: list, keys: list, using: str) -> None:
    for obj, key in zip(objs, keys, strict=True):
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
