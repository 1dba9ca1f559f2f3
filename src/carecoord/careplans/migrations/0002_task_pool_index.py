"""
The worklist's pool branch (unassigned tasks for a role the coordinator holds: `owner IS NULL AND owner_role IN
…`) gets its own partial index. Without it PostgreSQL ANDs the `task_worklist_role` bitmap with the whole
`owner_id IS NULL` index (~86,000 entries at the bench's medium scale, ~60 ms a page), and SQLite, which
plans each arm of the worklist's OR on its own, has no index for that arm and reads every task of the
organization. It leads with owner_role for SQLite's sake; organization, status and due date follow. Raw SQL
(the same on both engines) rather than a model index: partial indexes are the same DDL on both.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("careplans", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX task_worklist_pool ON careplans_task (owner_role, organization_id, status, due_date) "
            "WHERE owner_id IS NULL",
            "DROP INDEX IF EXISTS task_worklist_pool",
        ),
    ]
