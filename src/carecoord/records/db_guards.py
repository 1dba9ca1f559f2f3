"""
Database guards beneath the application.

The audit table is append-only in the database itself (HIPAA 164.312(b); ONC 170.315(d)(2)/(d)(3)): on
PostgreSQL a row trigger refuses UPDATE and DELETE and a statement trigger refuses TRUNCATE; on SQLite row
triggers refuse UPDATE and DELETE (SQLite has no TRUNCATE, and DELETE without WHERE still fires the trigger).
The one update allowed is sealing: a row not yet sealed (no sequence, empty hashes) may receive its sequence,
previous hash and hash once, every other column unchanged. After that the row is frozen.

A DBA (the table owner) can still disable the triggers; the hash chain is what catches that
(`carecoord audit-verify`). `triggers_lifted` is that DBA path, used by `flush` (which wipes every table),
by the retention purge for the clinical tables it empties (never the audit table) and by tests simulating
a tampering superuser. On PostgreSQL it is transactional (ALTER TABLE ... DISABLE TRIGGER inside the caller's
transaction, so a rollback restores the guard); on SQLite the triggers are dropped and re-created from
their own stored SQL.
"""

import contextlib

from django.db import connections

AUDIT_TABLE = "core_auditevent"
REFUSED = "permission denied: audit events are append-only"
# Columns a sealing update must leave as they were.
FROZEN_COLUMNS = (
    "id",
    "occurred_at",
    "user_id",
    "user_email",
    "acting_organization_id",
    "tenant_organization_id",
    "action",
    "event",
    "object_type",
    "object_id",
    "patient_public_id",
    "source_ip",
    "user_agent",
    "outcome",
    "detail",
)
_SEALING = (
    "OLD.sequence IS NULL AND OLD.hash = '' AND OLD.previous_hash = '' "
    "AND NEW.sequence IS NOT NULL AND length(NEW.hash) = 64 AND length(NEW.previous_hash) = 64"
)

POSTGRES_FORWARD = [
    f"""CREATE OR REPLACE FUNCTION core_audit_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {_SEALING}
           AND ({", ".join(f"NEW.{c}" for c in FROZEN_COLUMNS)})
               IS NOT DISTINCT FROM ({", ".join(f"OLD.{c}" for c in FROZEN_COLUMNS)}) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION USING MESSAGE = '{REFUSED} (' || TG_OP || ' refused)', ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION core_audit_no_truncate() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSED} (TRUNCATE refused)' USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql""",
    f"""CREATE TRIGGER core_audit_append_only BEFORE UPDATE OR DELETE ON {AUDIT_TABLE}
    FOR EACH ROW EXECUTE FUNCTION core_audit_append_only()""",
    f"""CREATE TRIGGER core_audit_no_truncate BEFORE TRUNCATE ON {AUDIT_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION core_audit_no_truncate()""",
]
POSTGRES_BACKWARD = [
    f"DROP TRIGGER IF EXISTS core_audit_append_only ON {AUDIT_TABLE}",
    f"DROP TRIGGER IF EXISTS core_audit_no_truncate ON {AUDIT_TABLE}",
    "DROP FUNCTION IF EXISTS core_audit_append_only()",
    "DROP FUNCTION IF EXISTS core_audit_no_truncate()",
]
_SQLITE_UNCHANGED = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in FROZEN_COLUMNS)
SQLITE_FORWARD = {
    "core_audit_no_update": f"""CREATE TRIGGER core_audit_no_update BEFORE UPDATE ON {AUDIT_TABLE}
FOR EACH ROW WHEN NOT ({_SEALING} AND {_SQLITE_UNCHANGED})
BEGIN
    SELECT RAISE(ABORT, '{REFUSED}');
END""",
    "core_audit_no_delete": f"""CREATE TRIGGER core_audit_no_delete BEFORE DELETE ON {AUDIT_TABLE}
FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, '{REFUSED}');
END""",
}


def install_audit_guard(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRES_FORWARD, "sqlite": list(SQLITE_FORWARD.values())}.get(vendor)
    if statements is None:
        raise RuntimeError(f"No audit guard for database engine {vendor!r}.")
    for statement in statements:
        schema_editor.execute(statement)


def remove_audit_guard(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in POSTGRES_BACKWARD:
            schema_editor.execute(statement)
    elif vendor == "sqlite":
        for name in SQLITE_FORWARD:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


@contextlib.contextmanager
def triggers_lifted(tables, using: str = "default"):
    """
    Disables the user triggers of `tables` for the duration (the DBA path). Run it inside a transaction
    on PostgreSQL so a failure re-enables them by rollback; on SQLite the triggers are re-created on exit.
    """
    connection = connections[using]
    tables = list(dict.fromkeys(tables))
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses a table with pending (deferred) foreign-key checks: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's INITIALLY DEFERRED, as before
            try:
                yield
            except BaseException:
                if not connection.in_atomic_block:  # inside a transaction, its rollback re-enables them
                    _enable(cursor, quote, tables)
                raise
            _enable(cursor, quote, tables)
            return
        placeholders = ", ".join(["%s"] * len(tables))
        cursor.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({placeholders})",  # noqa: S608
            tables,
        )
        saved = cursor.fetchall()
        for name, _sql in saved:
            cursor.execute(f"DROP TRIGGER {quote(name)}")
        try:
            yield
        finally:
            for _name, sql in saved:
                cursor.execute(sql)


def _enable(cursor, quote, tables) -> None:
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table in tables:
        cursor.execute(f"ALTER TABLE {quote(table)} ENABLE TRIGGER USER")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def tables_with_triggers(tables, using: str = "default") -> list[str]:
    """Those of `tables` that carry user triggers (the ones a purge must lift)."""
    connection = connections[using]
    tables = list(tables)
    if not tables:
        return []
    placeholders = ", ".join(["%s"] * len(tables))
    if connection.vendor == "postgresql":
        sql = (
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "  # noqa: S608
            f"WHERE NOT t.tgisinternal AND c.relname IN ({placeholders})"
        )
    else:
        sql = f"SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, tables)
        return sorted(row[0] for row in cursor.fetchall())
