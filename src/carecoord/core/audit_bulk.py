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

On PostgreSQL a model's INSERT takes its rows as one JSON document, a list of one object per row keyed by
column, which the server turns back into rows (json_populate_record): the statement's text and its single
parameter are the same whatever the number of rows, so psycopg converts the text once and caches it (a
multi-row VALUES statement's text grows with its rows and its parameters; past 4 KB or 50 parameters psycopg
parses it again on every call, a single FHIR create's included), and the values go as one json.dumps instead
of one literal each. Models with a field whose values might not come back the same through JSON (a type not
in JSON_TYPES, a field with get_placeholder), or a batch holding a value JSON cannot carry (a float that is
not finite), keep the multi-row VALUES form.
"""

import datetime as dt
import decimal
import ipaddress
import json
import uuid

from django.db import connections, router, transaction
from django.db.models.signals import post_save, pre_save

from .audit import seal_after_commit
from .models import AuditEvent
from .prepared import run_statement

# PostgreSQL's limit on the parameters of one statement (with server-side binding; client-side has none).
MAX_PARAMS = 65535

# Rows of one model in one JSON INSERT (at most; _json_size). Its text and parameter count do not grow with its
# rows, but its document does: a longer list goes in several statements, so that one statement (history
# versions carry whole resources) stays a few MB. About what MAX_PARAMS allowed a model of 13+ columns in VALUES
# form: what fitted one statement still does.
JSON_ROWS = 5000

# Field types (of the field, or of the key a relation points to) whose values come back equal through JSON and
# the server's conversion of the JSON text to the column's type (tests/core/test_audit_bulk_json.py writes each
# kind of awkward value); any other type keeps the VALUES form.
JSON_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateField",
        "DateTimeField",
        "DecimalField",
        "GenericIPAddressField",
        "IntegerField",
        "JSONField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallAutoField",
        "SmallIntegerField",
        "TextField",
        "UUIDField",
    }
)


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
    size = JSON_ROWS if _json_columns(db, model, fields) else _values_size(db, fields, objs)
    for start in range(0, len(objs), size):
        batch = objs[start : start + size]
        sql, params, constant = _statement(db, model, fields, batch, raw)
        keys = [found[0] for found in _run(db, sql, params, constant=constant)]
        _set_keys(batch, sorted(keys), using)


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
    parts, params, constant = [], [], True
    for number, (model, objs, raw) in enumerate(batches):
        fields = _fields(model)
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        if len(objs) > (JSON_ROWS if _json_columns(db, model, fields) else _values_size(db, fields, objs)):
            parts = None
            break
        sql, values, same_text = _statement(db, model, fields, objs, raw)
        parts.append(f"t{number} AS ({sql})")
        params += values
        constant = constant and same_text
    if parts is None or len(params) > MAX_PARAMS:
        for model, objs, raw in batches:
            insert_rows(model, objs, using=using, raw=raw)
        return
    keys = " UNION ALL ".join(
        f"SELECT {number}, {db.ops.quote_name(model._meta.pk.column)} FROM t{number}"  # noqa: S608 -- names only
        for number, (model, _, _) in enumerate(batches)
    )
    returned = _run(db, f"WITH {', '.join(parts)} {keys}", params, constant=constant)
    for number, (_, objs, _) in enumerate(batches):
        # A multi-row INSERT draws its keys from the sequence in the order of its rows (the JSON form's rows in
        # their ORDER BY's order, their place in the document): sorted, they are the rows' keys in order,
        # whatever order the WITH returns them in.
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


def _values_size(db, fields: list, objs: list) -> int:
    return max(db.ops.bulk_batch_size(fields, objs), 1)


def _statement(db, model, fields: list, objs: list, raw: bool) -> tuple[str, list, bool]:
    """
    The INSERT of `objs`, its parameters, and whether its text is the same for any rows: the JSON form where
    the model and the values allow, else VALUES.
    """
    rows = _rows(db, fields, objs, raw)
    columns = _json_columns(db, model, fields)
    if columns is not None:
        document = _json_document(columns, rows)
        if document is not None:
            return _json_sql(db, model, fields, columns), [document], True
    return _insert_sql(db, model, fields, len(objs)), [value for row in rows for value in row], False


def _run(db, sql: str, params: list, *, constant: bool) -> list[tuple]:
    """
    Runs the INSERT and returns its rows. A statement whose text does not change with its rows (the JSON form)
    runs as a server-side prepared statement (core.prepared.run_statement): planned once per connection, where
    a single create's statement took 0.2 ms to plan on every run (EXPLAIN ANALYZE, PostgreSQL 15).
    """
    if constant:
        return run_statement(db, sql, params, one=False)
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _insert_sql(db, model, fields: list, rows: int) -> str:
    quote, meta = db.ops.quote_name, model._meta
    # Names from the model's meta, quoted; every value a parameter.
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608
    row = f"({', '.join(['%s'] * len(fields))})"
    return head + ", ".join([row] * rows) + f" RETURNING {quote(meta.pk.column)}"


# --- the JSON form (PostgreSQL) -----------------------------------------------------------------------------------

# Per (model, database alias): each field's (column, is a JSON column), or None when the model keeps VALUES.
_json_cache: dict = {}

# Where a JSON column's value goes in a row's object: a key of its own, not its column's name, so that
# json_populate_record (which turns JSON null into SQL NULL) leaves it alone and the statement reads it as it
# is: a JSON null stays JSON null, SQL NULL is the key left out.
JSON_VALUE_KEY = "{}:json"


def _json_columns(db, model, fields: list) -> tuple | None:
    if db.vendor != "postgresql":
        return None
    key = (model, db.alias)
    if key not in _json_cache:
        _json_cache[key] = _json_columns_of(fields)
    return _json_cache[key]


def _json_columns_of(fields: list) -> tuple | None:
    if not fields:
        return None
    columns = []
    for field in fields:
        kind = (field.target_field if field.is_relation else field).get_internal_type()
        if hasattr(field, "get_placeholder") or kind not in JSON_TYPES:
            return None
        columns.append((field.column, kind == "JSONField"))
    return tuple(columns)


def _json_sql(db, model, fields: list, columns: tuple) -> str:
    quote, meta = db.ops.quote_name, model._meta
    picked = [
        f"(e.doc -> '{JSON_VALUE_KEY.format(column)}')::jsonb" if is_json else f"r.{quote(column)}"
        for column, is_json in columns
    ]
    # Names from the model's meta, quoted; the values in the one parameter. The rows go in the order of their
    # place in the document (ORDER BY): each draws its key from the sequence so. The server converts each
    # value with its column's type, length limits included (a value too long fails as in VALUES).
    return (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"SELECT {', '.join(picked)} FROM json_array_elements(%s::json) WITH ORDINALITY AS e(doc, n) "
        f"CROSS JOIN LATERAL json_populate_record(NULL::{quote(meta.db_table)}, e.doc) AS r "
        f"ORDER BY e.n RETURNING {quote(meta.pk.column)}"
    )


class _NotJson(Exception):
    """A value the JSON form cannot carry exactly."""


def _json_document(columns: tuple, rows: list[list]) -> str | None:
    """The rows as _json_sql's document, or None if a value cannot go through JSON unchanged."""
    try:
        return json.dumps([_json_row(columns, row) for row in rows], allow_nan=False, separators=(",", ":"))
    except (_NotJson, ValueError):
        return None


def _json_row(columns: tuple, row: list) -> dict:
    out = {}
    for (column, is_json), value in zip(columns, row, strict=True):
        if is_json:
            if value is not None:
                out[JSON_VALUE_KEY.format(column)] = _jsonb_content(value)
        elif value is not None:
            out[column] = value if type(value) in _AS_IS else _json_scalar(value)
    return out


_AS_IS = frozenset({str, int, bool, float})


def _json_scalar(value):
    """A value as the text its column's type reads back to the same value (get_db_prep_save's types)."""
    if isinstance(value, dt.date):  # datetime too: isoformat keeps the microseconds and the UTC offset
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal | ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    if isinstance(value, str | int):  # choices' enum members
        return value
    raise _NotJson(type(value).__name__)


def _jsonb_content(value):
    """What a JSONField's Jsonb holds, when it would be written as plain json.dumps writes it."""
    from django.db.backends.postgresql.psycopg_any import Jsonb  # psycopg: PostgreSQL only

    if type(value) is Jsonb and value.dumps is json.dumps:
        return value.obj
    raise _NotJson(type(value).__name__)


def _rows(db, fields: list, objs: list, raw: bool) -> list[list]:
    """Each instance's values as the database takes them, in field order (pre_save may set them, unless raw)."""
    return [
        [f.get_db_prep_save(getattr(obj, f.attname) if raw else f.pre_save(obj, True), db) for f in fields]
        for obj in objs
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
