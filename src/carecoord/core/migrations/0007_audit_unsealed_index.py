"""
A partial index of the audit events waiting for sealing (core.models.AuditEvent.Meta, core.audit._pending).
On PostgreSQL it is built CONCURRENTLY, so a large audit trail keeps taking new events (every request writes
one) while the index builds; on SQLite a plain CREATE INDEX (no table rebuild: the append-only triggers stay).
"""

from django.db import migrations, models

UNSEALED = models.Index(fields=["id"], condition=models.Q(sequence__isnull=True), name="audit_unsealed")


def _options(schema_editor) -> dict:
    return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}


def create(apps, schema_editor):
    schema_editor.add_index(apps.get_model("core", "AuditEvent"), UNSEALED, **_options(schema_editor))


def drop(apps, schema_editor):
    schema_editor.remove_index(apps.get_model("core", "AuditEvent"), UNSEALED, **_options(schema_editor))


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("core", "0006_user_last_organization"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="auditevent", index=UNSEALED)],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
