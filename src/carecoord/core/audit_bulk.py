"""
Audit entries written together: `audit_record_many` inserts events made by `audit.audit_entry` (what
`audit_record` writes, its time taken when the action happened) in one statement inside the caller's
transaction, sending the signals a save sends for each (core.breakglass flags entries on pre_save), and queues
the same sealing after commit as `audit_record`. For callers that know many actions of one transaction before
it commits (a FHIR transaction Bundle's interactions: interop/fhir/deferred.py); each action keeps its entry.
"""

from django.db import router, transaction
from django.db.models.signals import post_save, pre_save

from .audit import seal_after_commit
from .models import AuditEvent


def audit_record_many(entries: list[AuditEvent]) -> None:
    """
    Inserts unsaved entries (audit_entry's), in their order, inside the caller's transaction: required, since
    an entry committed apart from the actions it records would outlive their rollback. Sealed after commit.
    """
    if not entries:
        return
    using = router.db_for_write(AuditEvent)
    if not transaction.get_connection(using).in_atomic_block:
        raise RuntimeError("audit_record_many runs inside the transaction of the actions it records.")
    for entry in entries:
        if entry.pk is not None:
            raise PermissionError("Audit events are append-only; they cannot be changed.")
        pre_save.send(sender=AuditEvent, instance=entry, raw=False, using=using, update_fields=None)
    AuditEvent.objects.using(using).bulk_create(entries)
    for entry in entries:
        post_save.send(sender=AuditEvent, instance=entry, created=True, update_fields=None, raw=False, using=using)
    seal_after_commit(using)
