"""
Messages stored before Social Security numbers were blanked on arrival get them blanked now (see
`interop.hl7v2.redact`). The table is read in primary-key batches, each batch locked, rewritten and
committed on its own: memory stays flat on a large table, no long transaction holds the rows, a message
resent meanwhile is not overwritten with older text, and a run cut short is finished by running it again
(blanking is idempotent). Keyset batches rather than QuerySet.iterator(): SQLite gives no isolation
between a cursor still being read and updates of the same table on that connection. Nothing to undo.
"""

from django.db import migrations, transaction

from carecoord.interop.hl7v2.redact import redact_ssns

BATCH = 500


def blank_ssns(model, using: str, batch: int = BATCH) -> int:
    """Blanks the SSNs of every stored message of `model`; returns how many messages changed."""
    last, changed = 0, 0
    while True:
        with transaction.atomic(using=using):
            rows = list(
                model.objects.using(using).select_for_update().filter(pk__gt=last).order_by("pk")
                .values_list("pk", "raw")[:batch]
            )  # fmt: skip
            blanked = ((pk, raw, redact_ssns(raw)) for pk, raw in rows)
            updates = [model(pk=pk, raw=new) for pk, raw, new in blanked if new != raw]
            if updates:
                model.objects.using(using).bulk_update(updates, ["raw"])
        changed += len(updates)
        if len(rows) < batch:
            return changed
        last = rows[-1][0]


def forward(apps, schema_editor):
    blank_ssns(apps.get_model("hl7v2", "InboundMessage"), schema_editor.connection.alias)


class Migration(migrations.Migration):
    atomic = False  # one transaction per batch (blank_ssns)

    dependencies = [("hl7v2", "0001_initial")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=True)]
