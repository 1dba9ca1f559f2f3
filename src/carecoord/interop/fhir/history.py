"""
Resource versions for vread and _history. Every save of a mapped model (through the API or the web pages)
records the resource as it now is, in the same transaction; a FHIR delete records a tombstone.
"""

from django.db.models.signals import post_save

from carecoord.core import clock

from .base import ResourceMapper
from .models import HistoryMethod, ResourceVersion
from .registry import MAPPERS


def record_version(mapper: ResourceMapper, obj, method: str) -> None:
    resource = mapper.to_fhir(obj) if method != HistoryMethod.DELETE else None
    ResourceVersion.objects.update_or_create(
        resource_type=mapper.resource_type,
        resource_id=obj.public_id,
        version_id=obj.version,
        defaults={
            "organization_id": obj.organization_id,
            "last_updated": obj.updated_at if method != HistoryMethod.DELETE else clock.now(),
            "method": method,
            "resource": resource,
        },
    )


def _on_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    mapper = next((m for m in MAPPERS.values() if m.model is sender and m.keep_history), None)
    if mapper is not None:
        record_version(mapper, instance, HistoryMethod.CREATE if created else HistoryMethod.UPDATE)


def connect() -> None:
    for mapper in MAPPERS.values():
        if mapper.keep_history:
            post_save.connect(_on_save, sender=mapper.model, dispatch_uid=f"fhir-history-{mapper.resource_type}")
