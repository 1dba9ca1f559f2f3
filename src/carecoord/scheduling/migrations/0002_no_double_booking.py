"""
No double booking, enforced by the database on both engines.

PostgreSQL: two exclusion constraints (btree_gist) refuse an appointment whose [start, end) overlaps
another blocking appointment of the same practitioner, or of the same patient.
SQLite: BEFORE INSERT / BEFORE UPDATE triggers do the same and abort with "double booking: ...",
which reaches Python as an IntegrityError.

The status list is `choices.BLOCKING_STATUSES` as of this migration; a later change to that set needs a
new migration.
"""

from django.db import migrations

BLOCKING = ("pending", "booked", "arrived", "checked-in", "fulfilled")
_IN = ", ".join(f"'{status}'" for status in BLOCKING)

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE scheduling_appointment ADD CONSTRAINT appt_no_practitioner_overlap
        EXCLUDE USING gist (practitioner_id WITH =, tstzrange("start", "end", '[)') WITH &&)
        WHERE (status IN ({_IN}))""",
    f"""ALTER TABLE scheduling_appointment ADD CONSTRAINT appt_no_patient_overlap
        EXCLUDE USING gist (patient_id WITH =, tstzrange("start", "end", '[)') WITH &&)
        WHERE (status IN ({_IN}))""",
]
POSTGRES_BACKWARD = [
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appt_no_practitioner_overlap",
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appt_no_patient_overlap",
]


def _sqlite_trigger(event: str, column: str, who: str) -> str:
    same_row = "AND a.id <> NEW.id" if event == "UPDATE" else ""
    return f"""
CREATE TRIGGER appt_no_{who}_overlap_{event.lower()}
BEFORE {event} ON scheduling_appointment
FOR EACH ROW WHEN NEW.status IN ({_IN})
BEGIN
    SELECT RAISE(ABORT, 'double booking: the {who} already has an appointment at that time')
    WHERE EXISTS (
        SELECT 1 FROM scheduling_appointment a
        WHERE a.{column} = NEW.{column} {same_row}
          AND a.status IN ({_IN})
          AND a."start" < NEW."end" AND NEW."start" < a."end"
    );
END"""  # noqa: S608 -- fixed identifiers and status codes, no user input


SQLITE_TRIGGERS = {
    f"appt_no_{who}_overlap_{event.lower()}": _sqlite_trigger(event, column, who)
    for event in ("INSERT", "UPDATE")
    for column, who in (("practitioner_id", "practitioner"), ("patient_id", "patient"))
}


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in POSTGRES_FORWARD:
            schema_editor.execute(statement)
    elif vendor == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            schema_editor.execute(statement)
    else:
        raise RuntimeError(f"No double-booking guard for database engine {vendor!r}.")


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in POSTGRES_BACKWARD:
            schema_editor.execute(statement)
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
