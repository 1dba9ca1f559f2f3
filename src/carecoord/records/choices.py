"""Statuses of the records-management app."""

from django.db import models


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class AmendmentTarget(models.TextChoices):
    PROGRESS_NOTE = "progress_note", "Progress note"
    DEMOGRAPHICS = "demographics", "Demographics"


class AmendmentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DENIED = "denied", "Denied"


# Demographic fields a patient may ask to amend (45 CFR 164.526 covers the designated record set).
AMENDABLE_DEMOGRAPHICS = {
    "given_name": "Legal first name",
    "middle_name": "Middle name",
    "family_name": "Legal last name",
    "preferred_name": "Preferred name",
    "pronouns": "Pronouns",
    "phone_primary": "Primary phone",
    "email": "Email",
    "address_line1": "Address line 1",
    "address_line2": "Address line 2",
    "city": "City",
    "postal_code": "ZIP code",
}
