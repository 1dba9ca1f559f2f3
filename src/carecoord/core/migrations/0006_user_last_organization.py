# The organization a user last chose to work in: a new session starts there, not in the first by name.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_audit_no_duplicate_key_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="last_organization",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                help_text="The organization the user last chose to work in; a new session starts there.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="core.organization",
            ),
        ),
    ]
