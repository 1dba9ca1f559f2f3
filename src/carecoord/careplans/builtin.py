"""
The care-plan templates CareCoord ships. Their content lives in `builtin_content.py`; this module keeps
the built-in rows (organization = NULL) in step with it after every `migrate`, so a new release updates
them without a data migration. Organizations copy a built-in to adapt it.
"""

from decimal import Decimal

from django.db import transaction

from .builtin_content import BUILTIN_TEMPLATES


@transaction.atomic
def sync_builtin_templates() -> int:
    """Creates or refreshes every built-in template from its definition; returns how many were synced."""
    from .models import CarePlanTemplate, TemplateGoal, TemplateTask

    for definition in BUILTIN_TEMPLATES:
        template, _ = CarePlanTemplate.objects.update_or_create(
            organization=None,
            key=definition["key"],
            defaults={
                "title": definition["title"],
                "category": definition["category"],
                "description": definition.get("description", ""),
                "condition_codes": definition.get("condition_codes", []),
                "source_note": definition.get("source_note", ""),
                "active": True,
            },
        )
        template.tasks.all().delete()
        template.goals.all().delete()
        goals = {}
        for position, goal in enumerate(definition.get("goals", [])):
            goals[goal["ref"]] = TemplateGoal.objects.create(
                template=template,
                position=position,
                description=goal["description"],
                due_offset_days=goal.get("due_offset_days"),
                measure_code=goal.get("measure_code", ""),
                measure_display=goal.get("measure_display", ""),
                target_comparator=goal.get("target_comparator", ""),
                target_value=_decimal(goal.get("target_value")),
                target_value_high=_decimal(goal.get("target_value_high")),
                target_unit=goal.get("target_unit", ""),
            )
        for position, task in enumerate(definition.get("tasks", [])):
            recurrence = task.get("recurrence") or {}
            TemplateTask.objects.create(
                template=template,
                goal=goals.get(task.get("goal")),
                position=position,
                title=task["title"],
                description=task.get("description", ""),
                kind=task["kind"],
                priority=task.get("priority", "routine"),
                owner_role=task.get("owner_role", "coordinator"),
                offset_days=task.get("offset_days", 0),
                recurrence_frequency=recurrence.get("frequency", ""),
                recurrence_interval=recurrence.get("interval", 1),
                recurrence_count=recurrence.get("count"),
                key=task.get("key", ""),
            )
    return len(BUILTIN_TEMPLATES)


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def sync_builtin_templates_after_migrate(sender, **kwargs) -> None:
    from django.db import connection

    if "careplans_careplantemplate" in connection.introspection.table_names():
        sync_builtin_templates()
