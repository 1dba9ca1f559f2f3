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

On PostgreSQL a model's INSERT takes one array per column (`SELECT ... FROM unnest(%s::type[], ...)`): its
text is the same whatever the number of rows, so psycopg converts it once and caches it (a multi-row VALUES
statement's text grows with its rows; past 4 KB psycopg parses it again on every call), and its parameters
are one per column (a JSON column's, one JSON document the server makes an array of). Models with a field
whose values might not come back the same through an array (a type not in UNNEST_TYPES, a field with
get_placeholder) keep the multi-row VALUES form.
"""

import re

from django.db import connections, router, transaction
from django.db.models.signals import post_save, pre_save

from .audit import seal_after_commit
from .models import AuditEvent

# PostgreSQL's limit on the parameters of one statement (with server-side binding; client-side has none).
MAX_PARAMS = 65535

# Rows of one model in one unnest INSERT (at most; _unnest_size). Its text and parameter count do not grow
# with its rows, but its arrays do: a longer list goes in several statements, so that one statement (the
# literal psycopg builds, the arrays the server parses; history versions carry whole resources) stays a few
# MB. About what MAX_PARAMS allowed a model of 13+ columns in VALUES form: what fitted one statement still does.
UNNEST_ROWS = 5000

# Fewer rows of a model than this keep the VALUES form: dumping one array per column is Python code per
# element, which for a single FHIR create (four rows of three models) cost more than psycopg parsing the short
# VALUES text again (11.3 M -> 12.6 M instructions per create, valgrind); from a Bundle's tens of rows up, the
# unnest form is cheaper.
UNNEST_MIN_ROWS = 16

# Field types (of the field, or of the key a relation points to) whose values come back equal through a
# PostgreSQL array of their column's type (tests/core/test_audit_bulk_unnest.py writes each kind of awkward
# value); any other type keeps the VALUES form.
UNNEST_TYPES = frozenset(
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
    types = _unnest_types(db, model, fields) if len(objs) >= UNNEST_MIN_ROWS else None
    size = _unnest_size(fields) if types else max(db.ops.bulk_batch_size(fields, objs), 1)
    for start in range(0, len(objs), size):
        batch = objs[start : start + size]
        if types:
            sql, params = _unnest_statement(db, model, fields, types, batch, raw)
        else:
            sql, params = _insert_sql(db, model, fields, len(batch)), _params(db, fields, batch, raw)
        with db.cursor() as cursor:
            cursor.execute(sql, params)
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
    parts, params, too_many = [], [], False
    for number, (model, objs, raw) in enumerate(batches):
        fields = _fields(model)
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        types = _unnest_types(db, model, fields) if len(objs) >= UNNEST_MIN_ROWS else None
        if types:
            too_many = too_many or len(objs) > _unnest_size(fields)
            sql, values = _unnest_statement(db, model, fields, types, objs, raw)
            parts.append(f"t{number} AS ({sql})")
            params += values
        else:
            parts.append(f"t{number} AS ({_insert_sql(db, model, fields, len(objs))})")
            params += _params(db, fields, objs, raw)
    if too_many or len(params) > MAX_PARAMS:
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
        # A multi-row INSERT draws its keys from the sequence in the order of its rows (the unnest form's rows
        # in their ORDER BY's order, their number in the list): sorted, they are the rows' keys in order,
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


def _insert_sql(db, model, fields: list, rows: int) -> str:
    quote, meta = db.ops.quote_name, model._meta
    # Names from the model's meta, quoted; every value a parameter.
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608
    row = f"({', '.join(['%s'] * len(fields))})"
    return head + ", ".join([row] * rows) + f" RETURNING {quote(meta.pk.column)}"


# Per (model, database alias): each field's array cast, or None when the model keeps the VALUES form.
_unnest_cache: dict = {}


def _unnest_types(db, model, fields: list) -> tuple | None:
    """The PostgreSQL type of each field's array (its column's type without length or precision), or None."""
    if db.vendor != "postgresql":
        return None
    key = (model, db.alias)
    if key not in _unnest_cache:
        _unnest_cache[key] = _unnest_types_of(db, fields)
    return _unnest_cache[key]


def _unnest_types_of(db, fields: list) -> tuple | None:
    if not fields:
        return None
    types = []
    for field in fields:
        if hasattr(field, "get_placeholder"):
            return None
        kind = (field.target_field if field.is_relation else field).get_internal_type()
        db_type = field.db_type(db)
        if kind not in UNNEST_TYPES or not db_type:
            return None
        # As Django's own unnest INSERT (postgresql/compiler.py): without its parameters, so that a value too
        # long for a varchar(n) column fails as in VALUES, where a cast to varchar(n) would cut it silently.
        types.append(re.sub(r"\([^)]*\)", "", db_type).strip())
    return tuple(types)


def _unnest_size(fields: list) -> int:
    """Rows of one unnest INSERT: UNNEST_ROWS, fewer if the VALUES form it may fall back to would pass MAX_PARAMS."""
    return max(1, min(UNNEST_ROWS, MAX_PARAMS // len(fields)))


# A JSON column's argument: the column as one JSON document, [{"v": value} or {} for SQL NULL, ...], made a
# jsonb[] by the server. psycopg's array literal of Jsonb values costs several times their json.dumps (a regex
# and an escape per element, Python code); this is one dumps per value and one string, escaped once.
_JSON_ARRAY = "(SELECT array_agg(e -> 'v' ORDER BY i) FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY x(e, i))"


def _unnest_sql(db, model, fields: list, types: tuple) -> str:
    quote, meta = db.ops.quote_name, model._meta
    names = [f"c{n}" for n in range(len(fields))]
    arrays = [_JSON_ARRAY if t == "jsonb" else f"%s::{t}[]" for t in types]
    # Names from the model's meta, quoted, types from its fields; every value in an array parameter. The rows
    # go in the order of their number in the arrays (ORDER BY): each draws its key from the sequence so.
    return (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"SELECT {', '.join(names)} FROM unnest({', '.join(arrays)}) "
        f"WITH ORDINALITY AS r({', '.join(names)}, n) ORDER BY n RETURNING {quote(meta.pk.column)}"
    )


def _unnest_statement(db, model, fields: list, types: tuple, objs: list, raw: bool) -> tuple[str, list]:
    """
    The unnest INSERT of `objs` and its parameters, one per field; the VALUES form if a JSON value is not the
    Jsonb get_db_prep_save gives on PostgreSQL.
    """
    rows = _rows(db, fields, objs, raw)
    columns = [list(column) for column in zip(*rows, strict=True)]
    for number, db_type in enumerate(types):
        if db_type == "jsonb":
            columns[number] = _json_column(columns[number])
            if columns[number] is None:
                return _insert_sql(db, model, fields, len(objs)), [value for row in rows for value in row]
    return _unnest_sql(db, model, fields, types), columns


def _json_column(values: list) -> str | None:
    """_JSON_ARRAY's document: each value as psycopg would dump it (its Jsonb's dumps), or None."""
    from django.db.backends.postgresql.psycopg_any import Jsonb  # psycopg: PostgreSQL only

    parts = []
    for value in values:
        if value is None:
            parts.append("{}")
        elif type(value) is Jsonb and value.dumps is not None and isinstance(text := value.dumps(value.obj), str):
            parts.append(f'{{"v":{text}}}')
        else:
            return None
    return f"[{','.join(parts)}]"


def _rows(db, fields: list, objs: list, raw: bool) -> list[list]:
    """Each instance's values as the database takes them, in field order (pre_save may set them, unless raw)."""
    return [
        [f.get_db_prep_save(getattr(obj, f.attname) if raw else f.pre_save(obj, True), db) for f in fields]
        for obj in objs
    ]


def _params(db, fields: list, objs: list, raw: bool) -> list:
    return [value for row in _rows(db, fields, objs, raw) for value in row]


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
