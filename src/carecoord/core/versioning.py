"""Optimistic concurrency: an edit names the version it started from and fails if the row moved on."""

from django.db import models
from django.db.models import F
from django.utils import timezone

from .errors import ConflictError

CONFLICT_MESSAGE = (
    "Someone else saved changes to this record after you opened it. Your changes were not saved; "
    "reload to see the current version, then make your edit again."
)


def save_versioned(instance: models.Model, *, expected_version: int, fields: list[str]) -> None:
    """Writes `fields` of `instance` only if its stored version is still `expected_version`."""
    values = {name: getattr(instance, name) for name in fields}
    updated = (
        type(instance)
        .objects.filter(pk=instance.pk, version=expected_version)
        .update(**values, version=F("version") + 1, updated_at=timezone.now())
    )
    if not updated:
        raise ConflictError(CONFLICT_MESSAGE)
    instance.version = expected_version + 1
