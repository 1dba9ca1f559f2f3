"""
The audit table becomes append-only in the database: UPDATE (except the one-time sealing of hash fields),
DELETE and TRUNCATE are refused by triggers on PostgreSQL and SQLite. See records/db_guards.py.
"""

from django.db import migrations

from carecoord.records.db_guards import install_audit_guard, remove_audit_guard


def forward(apps, schema_editor):
    install_audit_guard(schema_editor)


def backward(apps, schema_editor):
    remove_audit_guard(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial"), ("core", "0004_idempotency_keys")]

    operations = [migrations.RunPython(forward, backward)]
