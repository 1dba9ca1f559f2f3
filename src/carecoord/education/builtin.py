"""
The education materials CareCoord ships. Their content lives in `builtin_content.py`; this module keeps the
built-in rows (organization = NULL, read-only for everyone) in step with it after every `migrate`, so a new
release updates them without a data migration. A changed text gets a new version, so a delivery still says
which version it gave; a topic dropped from the content is deactivated, never deleted (deliveries name it).
Organizations copy a built-in to adapt it.
"""

from django.db import transaction
from django.db.models import F

from .builtin_content import BUILTIN_MATERIALS, REVIEW_ON
from .choices import Audience
from .readability import reading_level

CONTENT_FIELDS = ("title", "summary", "body")


def reading_fields(body: str, language: str) -> dict:
    level = reading_level(body, language)
    if level is None:
        return {"reading_formula": "", "reading_score": None, "reading_grade": None}
    return {"reading_formula": level.formula, "reading_score": level.score, "reading_grade": level.grade}


@transaction.atomic
def sync_builtin_materials() -> int:
    """Creates or refreshes every built-in material from its definition; returns how many were synced."""
    from .models import Material

    kept = []
    for definition in BUILTIN_MATERIALS:
        for language, version in definition["versions"].items():
            body = version["body"].strip()
            values = {
                "title": version["title"],
                "summary": version.get("summary", ""),
                "body": body,
                "audience": definition.get("audience", Audience.PATIENT),
                "icd10_prefixes": definition.get("icd10_prefixes", []),
                "snomed_codes": definition.get("snomed_codes", []),
                "rxnorm_codes": definition.get("rxnorm_codes", []),
                "careplan_categories": definition.get("careplan_categories", []),
                "review_on": definition.get("review_on", REVIEW_ON),
                "source_note": definition.get("source_note", ""),
                "active": True,
                **reading_fields(body, language),
            }
            material = Material.objects.filter(
                organization__isnull=True, topic=definition["topic"], language=language
            ).first()
            if material is None:
                material = Material.objects.create(
                    organization=None, topic=definition["topic"], language=language, **values
                )
            else:
                changed = any(getattr(material, name) != values[name] for name in CONTENT_FIELDS)
                Material.objects.filter(pk=material.pk).update(
                    **values, **({"version": F("version") + 1} if changed else {})
                )
            kept.append(material.pk)
    Material.objects.filter(organization__isnull=True).exclude(pk__in=kept).update(active=False)
    return len(kept)


def sync_builtin_materials_after_migrate(sender, **kwargs) -> None:
    from django.db import connection

    if "education_material" in connection.introspection.table_names():
        sync_builtin_materials()
