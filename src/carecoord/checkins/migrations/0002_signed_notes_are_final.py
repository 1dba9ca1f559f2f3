"""
Signed notes and addenda are final, enforced by the database on both engines: an UPDATE or DELETE of a
progress note whose status is 'final' (signed), or of any addendum, aborts with "signed note is final".
The services refuse first with a readable message; this is the guarantee beneath them.
"""

from django.db import migrations

MESSAGE = "signed note is final: add an addendum instead"


def _postgres_function(name: str, condition: str) -> str:
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
    BEGIN
        IF {condition} THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql"""


POSTGRES_FORWARD = [
    _postgres_function("checkins_refuse_signed_note", "OLD.status = 'final'"),
    _postgres_function("checkins_refuse_addendum_change", "TRUE"),
    """CREATE TRIGGER checkins_note_final BEFORE UPDATE OR DELETE ON checkins_progressnote
    FOR EACH ROW EXECUTE FUNCTION checkins_refuse_signed_note()""",
    """CREATE TRIGGER checkins_addendum_final BEFORE UPDATE OR DELETE ON checkins_noteaddendum
    FOR EACH ROW EXECUTE FUNCTION checkins_refuse_addendum_change()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS checkins_note_final ON checkins_progressnote",
    "DROP TRIGGER IF EXISTS checkins_addendum_final ON checkins_noteaddendum",
    "DROP FUNCTION IF EXISTS checkins_refuse_signed_note()",
    "DROP FUNCTION IF EXISTS checkins_refuse_addendum_change()",
]

SQLITE_TRIGGERS = {
    f"checkins_{table}_final_{event.lower()}": f"""
CREATE TRIGGER checkins_{table}_final_{event.lower()}
BEFORE {event} ON checkins_{table}
FOR EACH ROW {when}
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END"""
    for table, when in (("progressnote", "WHEN OLD.status = 'final'"), ("noteaddendum", ""))
    for event in ("UPDATE", "DELETE")
}


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRES_FORWARD, "sqlite": list(SQLITE_TRIGGERS.values())}.get(vendor)
    if statements is None:
        raise RuntimeError(f"No signed-note guard for database engine {vendor!r}.")
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
    dependencies = [("checkins", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
