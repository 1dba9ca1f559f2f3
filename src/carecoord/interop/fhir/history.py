"""
Resource versions for vread and _history. Every save of a mapped model (through the API or the web pages)
records the resource as it now is, in the same transaction; a FHIR delete records a tombstone.
"""

import contextlib
import contextvars

from django.db.models.signals import post_save

from carecoord.core import clock

from .base import ResourceMapper
from .models import HistoryMethod, ResourceVersion
from .registry import MAPPERS

# Inside `recording()`, the versions written so far: (type, id, version) -> (method, the resource stored).
_written: contextvars.ContextVar[dict | None] = contextvars.ContextVar("fhir_history_written", default=None)


@contextlib.contextmanager
def recording():
    """
    Remembers the versions written inside the block, so an interaction that saves a record (whose post_save
    signal already stored this version) and then records the version itself skips the second, identical write.
    Use it inside the transaction of the write: a version it remembers was written in that same transaction.
    """
    token = _written.set({})
    try:
        yield
    finally:
        _written.reset(token)


def record_version(mapper: ResourceMapper, obj, method: str, resource: dict | None = None) -> None:
    """Stores `obj` as it now is (`resource`, its to_fhir, when the caller has it already) as this version."""
    if method == HistoryMethod.DELETE:
        resource = None
    elif resource is None:
        resource = mapper.to_fhir(obj)
    key = {"resource_type": mapper.resource_type, "resource_id": obj.public_id, "version_id": obj.version}
    written = _written.get()
    ident = (mapper.resource_type, obj.public_id, obj.version)
    # A record created inside `recording()` whose version was not stored yet in it has no row to update.
    new_row = written is not None and method == HistoryMethod.CREATE and ident not in written
    if written is not None:
        if written.get(ident) == (method, resource):
            return  # this very version, with the same content, was stored moments ago in this transaction
        written[ident] = (method, resource)
    values = {
        "organization_id": obj.organization_id,
        "last_updated": obj.updated_at if method != HistoryMethod.DELETE else clock.now(),
        "method": method,
        "resource": resource,
    }
    # An UPDATE, then an INSERT when there was no row: one or two statements instead of update_or_create's
    # four (SAVEPOINT, SELECT ... FOR UPDATE, write, RELEASE). One version of a record is written by one
    # transaction at a time (the version check and row lock of the write before it), so the two cannot race.
    if new_row or not ResourceVersion.objects.filter(**key).update(**values):
        ResourceVersion.objects.create(**key, **values)


def _on_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    for part in _history_parts():
        if part.model is sender:
            record_version(part, instance, HistoryMethod.CREATE if created else HistoryMethod.UPDATE)


def _history_parts() -> list[ResourceMapper]:
    """Every part of every type that keeps history (one model may back several types, e.g. a referral)."""
    return [part for mapper in MAPPERS.values() for part in mapper.parts if part.keep_history]


def connect() -> None:
    for part in _history_parts():
        post_save.connect(_on_save, sender=part.model, dispatch_uid=f"fhir-history-{part.model._meta.label}")
