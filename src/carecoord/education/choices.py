"""Value sets of patient education."""

from django.db import models


class Audience(models.TextChoices):
    PATIENT = "patient", "Patient"
    CAREGIVER = "caregiver", "Caregiver"


class DeliveryMethod(models.TextChoices):
    """How the material reached the person (FHIR Communication.medium, in words)."""

    IN_PERSON = "in_person", "Shown in person"
    PRINTED = "printed", "Printed handout"
    EMAIL = "email", "Email"


class TeachBack(models.TextChoices):
    """What teach-back showed: the person says it back in their own words."""

    NOT_ASSESSED = "", "Not checked yet"
    UNDERSTOOD = "understood", "Understood"
    NEEDS_REINFORCEMENT = "needs_reinforcement", "Needs reinforcement"
    NOT_UNDERSTOOD = "not_understood", "Did not understand"


FOLLOW_UP_TEACH_BACK = frozenset({TeachBack.NEEDS_REINFORCEMENT, TeachBack.NOT_UNDERSTOOD})

# The languages the built-in library is written in; an organization may add materials in any language.
BUILTIN_LANGUAGES = ("en", "es")
