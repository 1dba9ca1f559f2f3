"""The shipped library kept in step with builtin_content.py after every migrate: read-only, versioned, never deleted."""

import pytest

from carecoord.education import builtin
from carecoord.education.builtin_content import BUILTIN_MATERIALS
from carecoord.education.models import Material

pytestmark = pytest.mark.django_db


def test_migrate_synced_every_topic_in_english_and_spanish_with_its_reading_level():
    builtins = Material.objects.filter(organization__isnull=True, active=True)
    assert builtins.count() == sum(len(d["versions"]) for d in BUILTIN_MATERIALS)
    for language in ("en", "es"):
        assert builtins.filter(language=language).count() == len(BUILTIN_MATERIALS) >= 20
    diabetes = builtins.get(topic="diabetes-basics", language="es")
    assert diabetes.title == "Vivir con diabetes"
    assert diabetes.reading_formula == "fernandez-huerta"
    assert diabetes.reading_score > 70
    assert builtins.get(topic="diabetes-basics", language="en").reading_formula == "flesch-kincaid"
    assert "E11" in diabetes.icd10_prefixes


def test_sync_is_idempotent_and_a_changed_text_gets_a_new_version(monkeypatch):
    before = dict(Material.objects.filter(organization__isnull=True).values_list("pk", "version"))
    builtin.sync_builtin_materials()
    assert dict(Material.objects.filter(organization__isnull=True).values_list("pk", "version")) == before

    changed = [dict(d, versions=dict(d["versions"])) for d in BUILTIN_MATERIALS]
    changed[0]["versions"]["en"] = dict(changed[0]["versions"]["en"], body="Drink water.\n\nWalk every day.")
    monkeypatch.setattr(builtin, "BUILTIN_MATERIALS", changed)
    builtin.sync_builtin_materials()
    material = Material.objects.get(organization__isnull=True, topic=changed[0]["topic"], language="en")
    assert material.body == "Drink water.\n\nWalk every day."
    assert material.version == before[material.pk] + 1
    spanish = Material.objects.get(organization__isnull=True, topic=changed[0]["topic"], language="es")
    assert spanish.version == before[spanish.pk]


def test_a_topic_dropped_from_the_content_is_archived_not_deleted(monkeypatch):
    dropped = BUILTIN_MATERIALS[-1]["topic"]
    monkeypatch.setattr(builtin, "BUILTIN_MATERIALS", BUILTIN_MATERIALS[:-1])
    builtin.sync_builtin_materials()
    assert set(Material.objects.filter(topic=dropped).values_list("active", flat=True)) == {False}
