"""
Drops the audit table's single-column indexes on user, acting and tenant organization: the (key, occurred_at)
indexes serve the same look-ups, and every audit INSERT (at least one per request) updated all ten.

Written by hand as DROP INDEX: Django's AlterField would rebuild the whole table on SQLite (copy, drop,
rename), which drops its append-only triggers with it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The names Django gave these indexes (the same on SQLite and PostgreSQL).
DROPPED = {
    "user": "core_auditevent_user_id_2b330de8",
    "acting_organization": "core_auditevent_acting_organization_id_f6059f83",
    "tenant_organization": "core_auditevent_tenant_organization_id_df8cefda",
}


def _key(to, **extra):
    return models.ForeignKey(
        blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING,
        to=to, **extra,
    )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_idempotency_keys"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField("auditevent", "acting_organization", _key("core.organization", related_name="+")),
                migrations.AlterField("auditevent", "tenant_organization", _key("core.organization", related_name="+")),
                migrations.AlterField("auditevent", "user", _key(settings.AUTH_USER_MODEL)),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "core_auditevent" ("{field}_id")',
                )
                for field, name in DROPPED.items()
            ],
        ),
    ]
