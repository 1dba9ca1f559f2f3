"""Optimistic concurrency: an edit names the version it started from and fails if the row moved on."""

from django.db import models, router
from django.db.models import F
from django.db.models.signals import post_save
from django.utils import timezone

from .errors import ConflictError

CONFLICT_MESSAGE = (
    "Someone else saved changes to this record after you opened it. Your changes were not saved; "
    "reload to see the current version, then make your edit again."
)


class StaleVersionError(ConflictError):
    """An edit that started from a version the record has since moved on from (a ConflictError, so 409)."""


def save_versioned(instance: models.Model, *, expected_version: int, fields: list[str]) -> None:
    """
    Writes `fields` of `instance` only if its stored version is still `expected_version`, then tells the
    post_save receivers as a save() would (the FHIR history stores each version: interop.fhir.history).
    """
    values = {name: getattr(instance, name) for name in fields}
    now = timezone.now()
    model = type(instance)
    updated = model.objects.filter(pk=instance.pk, version=expected_version).update(
        **values, version=F("version") + 1, updated_at=now
    )
    if not updated:
        raise StaleVersionError(CONFLICT_MESSAGE)
    instance.version, instance.updated_at = expected_version + 1, now
    using = instance._state.db or router.db_for_write(model)
    saved = frozenset([*fields, "version", "updated_at"])
    post_save.send(sender=model, instance=instance, created=False, update_fields=saved, raw=False, using=using)
