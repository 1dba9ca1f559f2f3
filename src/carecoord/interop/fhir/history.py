"""
Resource versions for vread and _history. Every save of a mapped model (through the API or the web pages)
records the resource as it now is, in the same transaction; a FHIR delete records a tombstone.
"""

import contextlib
import contextvars

from django.db.models.signals import post_save

from carecoord.core import clock

from . import deferred
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
    key = {"resource_type": mapper.resource_type, "resource_id": obj.public_id, "version_id": obj.version}
    written = _written.get()
    ident = (mapper.resource_type, obj.public_id, obj.version)
    # A record created inside `recording()` whose version was not stored yet in it has no row to update.
    new_row = written is not None and method == HistoryMethod.CREATE and ident not in written
    waiting = deferred.pending()
    if waiting is not None and waiting.defers(ident, obj, new_row):
        _defer(waiting, mapper, obj, method, resource, key, ident, written)
        return
    if method == HistoryMethod.DELETE:
        resource = None
    elif resource is None:
        resource = mapper.to_fhir(obj)
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


def _defer(waiting, mapper, obj, method: str, resource, key: dict, ident: tuple, written: dict | None) -> None:
    """
    The version waits in the Bundle's deferred writes (deferred.py) as one row per (type, id, version), its
    last content winning, as the UPDATE of a row written moments ago would. A resource not given yet (the
    save's, before the create answers) is the record's to_fhir at the end of the create's block at the latest
    (deferred.versions_deferred), as the create would have stored it.
    """
    lazy = resource is None and method != HistoryMethod.DELETE
    if written is not None:
        written[ident] = (method, resource)
    values = {
        "organization_id": obj.organization_id,
        "last_updated": obj.updated_at if method != HistoryMethod.DELETE else clock.now(),
        "method": method,
        "resource": None if method == HistoryMethod.DELETE else resource,
    }
    waiting.before_change(ident)
    item = waiting.versions.get(ident)
    if item is None:
        waiting.versions[ident] = deferred.PendingVersion(mapper, obj, ResourceVersion(**key, **values), lazy)
        return
    for name, value in values.items():
        setattr(item.row, name, value)
    item.mapper, item.obj, item.lazy = mapper, obj, lazy


def _on_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    for part in _parts_of(sender):
        record_version(part, instance, HistoryMethod.CREATE if created else HistoryMethod.UPDATE)


def _history_parts() -> list[ResourceMapper]:
    """Every part of every type that keeps history (one model may back several types, e.g. a referral)."""
    return [part for mapper in MAPPERS.values() for part in mapper.parts if part.keep_history]


# Model -> its parts keeping history, worked out for a registry of `_by_model_size[0]` types.
_by_model: dict = {}
_by_model_size = [-1]


def _parts_of(model) -> list[ResourceMapper]:
    """The parts keeping history that `model` backs (worked out once, not on every save)."""
    if _by_model_size[0] != len(MAPPERS):
        _by_model.clear()
        for part in _history_parts():
            _by_model.setdefault(part.model, []).append(part)
        _by_model_size[0] = len(MAPPERS)
    return _by_model.get(model, [])


def connect() -> None:
    for part in _history_parts():
        post_save.connect(_on_save, sender=part.model, dispatch_uid=f"fhir-history-{part.model._meta.label}")
