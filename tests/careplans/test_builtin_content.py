"""The shipped care-plan templates: well-formed definitions (pure Python) and an idempotent sync (database)."""

import re

import pytest
from django.apps import apps

from carecoord.careplans.builtin_content import BUILTIN_TEMPLATES
from carecoord.careplans.choices import (
    CarePlanCategory,
    RecurrenceFrequency,
    TargetComparator,
    TaskKind,
    TaskPriority,
)
from carecoord.careplans.domain import validate_recurrence
from carecoord.core.choices import Role

REQUIRED_KEYS = {
    "type-2-diabetes": "chronic",
    "heart-failure": "chronic",
    "copd": "chronic",
    "hypertension": "chronic",
    "depression-phq9": "behavioral_health",
    "post-discharge-tcm": "post_discharge",
    "nursing-home-admission": "nursing_home",
    "pediatric-school-readiness": "pediatric_school",
    "pediatric-back-to-school": "pediatric_school",
    "post-surgical-pt-ot": "rehabilitation",
}
TEMPLATE_FIELDS = {"key", "title", "category", "description", "condition_codes", "source_note", "goals", "tasks"}
GOAL_FIELDS = {"ref", "description", "due_offset_days"}
GOAL_OPTIONAL = {"measure_code", "measure_display", "target_comparator", "target_value", "target_value_high",
                 "target_unit"}  # fmt: skip
TASK_FIELDS = {"title", "kind", "offset_days"}
TASK_OPTIONAL = {"priority", "owner_role", "goal", "description", "recurrence", "key"}
# The LOINC codes we are certain of; anything else is described in measure_display with an empty code.
KNOWN_LOINC = {"4548-4", "8480-6", "8462-4", "29463-7", "44261-6", "70274-6", "55758-7"}
ICD10CM = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

by_key = pytest.mark.parametrize("template", BUILTIN_TEMPLATES, ids=[t["key"] for t in BUILTIN_TEMPLATES])


def test_keys_are_unique():
    keys = [t["key"] for t in BUILTIN_TEMPLATES]
    assert len(keys) == len(set(keys))


def test_required_templates_are_present_with_their_category():
    categories = {t["key"]: t["category"] for t in BUILTIN_TEMPLATES}
    for key, category in REQUIRED_KEYS.items():
        assert categories.get(key) == category, key


@by_key
def test_template_fields(template):
    assert set(template) == TEMPLATE_FIELDS
    assert SLUG.match(template["key"])
    assert len(template["key"]) <= 60
    assert 0 < len(template["title"]) <= 200
    assert template["category"] in CarePlanCategory.values
    assert template["description"].strip()
    assert 0 < len(template["source_note"]) <= 300
    assert isinstance(template["condition_codes"], list)
    for code in template["condition_codes"]:
        assert ICD10CM.match(code), code
    assert 3 <= len(template["goals"]) <= 5
    assert 5 <= len(template["tasks"]) <= 10


@by_key
def test_goals(template):
    refs = [g["ref"] for g in template["goals"]]
    assert len(refs) == len(set(refs))
    for goal in template["goals"]:
        assert GOAL_FIELDS <= set(goal) <= GOAL_FIELDS | GOAL_OPTIONAL, goal["ref"]
        assert 0 < len(goal["description"]) <= 300
        due = goal["due_offset_days"]
        assert due is None or (isinstance(due, int) and due >= 0)
        assert goal.get("measure_code", "") in KNOWN_LOINC | {""}
        assert len(goal.get("measure_display", "")) <= 120
        assert len(goal.get("target_unit", "")) <= 30
        comparator = goal.get("target_comparator", "")
        if comparator:
            assert comparator in TargetComparator.values
            assert isinstance(goal.get("target_value"), int | float)
            assert goal.get("measure_display"), "a target needs to say what is measured"
        else:
            assert "target_value" not in goal
        if comparator == TargetComparator.BETWEEN:
            assert goal["target_value_high"] > goal["target_value"]
        else:
            assert "target_value_high" not in goal


@by_key
def test_tasks(template):
    refs = {g["ref"] for g in template["goals"]}
    for task in template["tasks"]:
        assert TASK_FIELDS <= set(task) <= TASK_FIELDS | TASK_OPTIONAL, task["title"]
        assert 0 < len(task["title"]) <= 200
        assert task["kind"] in TaskKind.values
        assert task.get("priority", "routine") in TaskPriority.values
        assert task.get("owner_role", "coordinator") in Role.values
        assert isinstance(task["offset_days"], int)
        assert task["offset_days"] >= 0
        if "goal" in task:
            assert task["goal"] in refs, task["title"]
        assert task.get("description", "x").strip()
        assert re.fullmatch(r"[a-z0-9_-]{1,40}", task.get("key", "a")), task["title"]
    keys = [task["key"] for task in template["tasks"] if "key" in task]
    assert len(keys) == len(set(keys)), "a template's task keys are unique"


@by_key
def test_recurrences(template):
    for task in template["tasks"]:
        recurrence = task.get("recurrence")
        if recurrence is None:
            continue
        assert set(recurrence) == {"frequency", "interval", "count"}
        assert recurrence["frequency"] in RecurrenceFrequency.values
        assert isinstance(recurrence["interval"], int)
        assert recurrence["interval"] >= 1
        assert 2 <= recurrence["count"] <= 366
        assert validate_recurrence(recurrence) == recurrence


def test_timing_rules_from_the_standards():
    templates = {t["key"]: t for t in BUILTIN_TEMPLATES}
    tcm = {task["title"]: task for task in templates["post-discharge-tcm"]["tasks"]}
    contact = tcm["Interactive contact within 2 business days"]
    assert (contact["offset_days"], contact["priority"], contact["kind"]) == (2, "urgent", "call")
    med_rec = tcm["Medication reconciliation"]
    assert (med_rec["offset_days"], med_rec["kind"], med_rec["priority"]) == (2, "medication_review", "urgent")
    visit = tcm["Schedule face-to-face visit"]
    assert (visit["offset_days"], visit["kind"], visit["owner_role"]) == (5, "schedule", "scheduler")

    remission = next(g for g in templates["depression-phq9"]["goals"] if g["ref"] == "remission")
    assert (remission["measure_code"], remission["target_comparator"], remission["target_value"]) == ("44261-6", "<", 5)
    a1c = next(g for g in templates["type-2-diabetes"]["goals"] if g["ref"] == "a1c")
    assert (a1c["measure_code"], a1c["target_comparator"], a1c["target_value"], a1c["due_offset_days"]) == (
        "4548-4", "<", 7, 90,
    )  # fmt: skip
    bp_codes = {g.get("measure_code"): g.get("target_value") for g in templates["hypertension"]["goals"]}
    assert bp_codes["8480-6"] == 130
    assert bp_codes["8462-4"] == 80


@pytest.mark.django_db
def test_sync_is_idempotent_and_matches_the_definitions():
    if not apps.is_installed("carecoord.careplans"):
        pytest.skip("carecoord.careplans is not in INSTALLED_APPS yet")
    from carecoord.careplans.builtin import sync_builtin_templates
    from carecoord.careplans.models import CarePlanTemplate, TemplateGoal, TemplateTask

    assert sync_builtin_templates() == len(BUILTIN_TEMPLATES)
    assert sync_builtin_templates() == len(BUILTIN_TEMPLATES)

    builtins = CarePlanTemplate.objects.filter(organization=None)
    assert builtins.count() == len(BUILTIN_TEMPLATES)
    goal_total = sum(len(t["goals"]) for t in BUILTIN_TEMPLATES)
    task_total = sum(len(t["tasks"]) for t in BUILTIN_TEMPLATES)
    assert TemplateGoal.objects.filter(template__organization=None).count() == goal_total
    assert TemplateTask.objects.filter(template__organization=None).count() == task_total
    for definition in BUILTIN_TEMPLATES:
        template = builtins.get(key=definition["key"])
        assert template.goals.count() == len(definition["goals"])
        assert template.tasks.count() == len(definition["tasks"])
        linked = sum(1 for task in definition["tasks"] if task.get("goal"))
        assert template.tasks.filter(goal__isnull=False).count() == linked
