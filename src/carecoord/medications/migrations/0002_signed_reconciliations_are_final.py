"""
A signed reconciliation, its decisions and the reconciled list it made are final, enforced by the database
on both engines: an UPDATE or DELETE of any of them aborts with "signed reconciliation is final". The
services refuse first with a readable message; this is the guarantee beneath them. A newer reconciliation
supersedes a signed one; nothing edits it.
"""

from django.db import migrations

MESSAGE = "signed reconciliation is final: start a new reconciliation instead"

# table -> the condition (on OLD) under which a row may no longer change
GUARDS = {
    "reconciliation": "OLD.status = 'signed'",
    "reconciliationdecision": (
        "(SELECT status FROM medications_reconciliation WHERE id = OLD.reconciliation_id) = 'signed'"
    ),
    "medicationlist": "OLD.kind = 'reconciled'",
    "medicationstatement": (
        "(SELECT kind FROM medications_medicationlist WHERE id = OLD.medication_list_id) = 'reconciled'"
    ),
}


def _postgres(table: str, condition: str) -> list[str]:
    function = f"medications_{table}_final"
    return [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            IF {condition} THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql""",
        f"""CREATE TRIGGER {function} BEFORE UPDATE OR DELETE ON medications_{table}
        FOR EACH ROW EXECUTE FUNCTION {function}()""",
    ]


POSTGRES_FORWARD = [statement for table, condition in GUARDS.items() for statement in _postgres(table, condition)]
POSTGRES_BACKWARD = [
    statement
    for table in GUARDS
    for statement in (
        f"DROP TRIGGER IF EXISTS medications_{table}_final ON medications_{table}",
        f"DROP FUNCTION IF EXISTS medications_{table}_final()",
    )
]

SQLITE_TRIGGERS = {
    f"medications_{table}_final_{event.lower()}": f"""
CREATE TRIGGER medications_{table}_final_{event.lower()}
BEFORE {event} ON medications_{table}
FOR EACH ROW WHEN {condition}
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END"""
    for table, condition in GUARDS.items()
    for event in ("UPDATE", "DELETE")
}


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRES_FORWARD, "sqlite": list(SQLITE_TRIGGERS.values())}.get(vendor)
    if statements is None:
        raise RuntimeError(f"No signed-reconciliation guard for database engine {vendor!r}.")
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in POSTGRES_BACKWARD:
            schema_editor.execute(statement)
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("medications", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
