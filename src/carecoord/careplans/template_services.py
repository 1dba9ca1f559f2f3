"""
An organization's own care-plan templates: copy a built-in (or one of its own) to adapt it, start one from
scratch, edit its details, goals and tasks, retire it and bring it back.

- Built-in templates (organization NULL) are read-only for everyone; a template of another organization is
  not found (NotFoundError), like any record of another tenant.
- Providers, supervisors and organization admins manage templates; coordinators (and every role that works
  with patients) view and apply them.
- Every write is audited ("careplan_template.<verb>") and bumps the template's version; `template_update`
  takes the version the user saw, so a stale edit is a ConflictError.

Map: reads (`templates_listed_for`, `template_get`) · templates (copy, create, update) · goals · tasks.
The reads live here rather than in selectors.py so the feature stays in one module; they follow the
selector rules (deny by default, the same NotFoundError for missing and forbidden).
"""

import re
import uuid
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils.text import slugify

from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.versioning import save_versioned

from .choices import (
    TASK_OWNER_ROLES,
    CarePlanCategory,
    RecurrenceFrequency,
    TargetComparator,
    TaskKind,
    TaskPriority,
)
from .domain import validate_recurrence
from .models import CarePlanTemplate, TemplateGoal, TemplateTask

MANAGER_ROLES = frozenset({Role.PROVIDER, Role.SUPERVISOR, Role.ORG_ADMIN})
MAX_OFFSET_DAYS = 3650
BUILTIN_READ_ONLY = "Built-in templates can't be changed; copy it to adapt it."
NOT_A_MANAGER = "Only providers, supervisors and organization admins can change care-plan templates."

TEMPLATE_FIELDS = ("title", "category", "description", "condition_codes", "active")
GOAL_FIELDS = (
    "description",
    "due_offset_days",
    "measure_code",
    "measure_display",
    "target_comparator",
    "target_value",
    "target_value_high",
    "target_unit",
)
TASK_FIELDS = (
    "title",
    "description",
    "kind",
    "priority",
    "owner_role",
    "offset_days",
    "goal",
    "recurrence_frequency",
    "recurrence_interval",
    "recurrence_count",
)
ICD10CM = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
LOINC = re.compile(r"^[0-9]{1,7}-[0-9]$")
KEY_LENGTH = CarePlanTemplate._meta.get_field("key").max_length or 60


# Access -----------------------------------------------------------------------------------------------------


def can_manage_templates(actor: Actor | None) -> bool:
    """True when the actor may copy, create and change their organization's templates."""
    return actor is not None and bool(actor.roles & MANAGER_ROLES)


def _require_viewer(actor: Actor) -> None:
    if actor is None or not (actor.can_see_patients or can_manage_templates(actor)):
        raise NotFoundError()


def _require_manager(actor: Actor) -> None:
    _require_viewer(actor)
    if not can_manage_templates(actor):
        raise PermissionDeniedError(NOT_A_MANAGER)


def _in_scope(actor: Actor, template: CarePlanTemplate) -> CarePlanTemplate:
    if template.organization_id not in (None, actor.organization.pk):
        raise NotFoundError()
    return template


def _editable(actor: Actor, template: CarePlanTemplate) -> CarePlanTemplate:
    """The checks before any change: in scope (else not found), a manager's, and not a built-in."""
    _require_viewer(actor)
    _in_scope(actor, template)
    _require_manager(actor)
    if template.is_builtin:
        raise PermissionDeniedError(BUILTIN_READ_ONLY)
    return template


# Reads ------------------------------------------------------------------------------------------------------


def templates_listed_for(actor: Actor) -> QuerySet[CarePlanTemplate]:
    """The built-ins and every template of the actor's organization, inactive ones included, by title."""
    _require_viewer(actor)
    return CarePlanTemplate.objects.filter(Q(organization__isnull=True) | Q(organization=actor.organization)).order_by(
        "title", "id"
    )


def template_get(actor: Actor, public_id) -> CarePlanTemplate:
    """A built-in or one of the organization's templates; NotFoundError for anything else (or a bad id)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    template = templates_listed_for(actor).filter(public_id=key).first()
    if template is None:
        raise NotFoundError()
    return template


# Shared helpers ---------------------------------------------------------------------------------------------


def _clean(instance, exclude: list[str]) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationError(messages[0], field=None if field == "__all__" else field) from exc


def _touch(actor: Actor, template: CarePlanTemplate, event: str, action: str, detail: dict) -> None:
    """Bumps the template's version (a change to its goals or tasks is a change to it) and audits the write."""
    # F() so a template loaded before someone else's edit never moves the stored version backwards.
    CarePlanTemplate.objects.filter(pk=template.pk).update(version=F("version") + 1, updated_at=clock.now())
    template.version = CarePlanTemplate.objects.values_list("version", flat=True).get(pk=template.pk)
    _audit(actor, template, event, action, detail)


def _audit(actor: Actor, template: CarePlanTemplate, event: str, action: str, detail: dict) -> None:
    audit_record(
        actor=actor,
        event=f"careplan_template.{event}",
        action=action,
        target=template,
        detail={"key": template.key, **detail},
    )


def _whole_number(value, field: str, label: str, *, required: bool, low: int, high: int) -> int | None:
    if value is None or value == "":
        if required:
            raise ValidationError(f"Give the {label}.", field=field)
        return None
    try:
        number = int(str(value).strip())  # str() first, so 2.5 is refused rather than cut to 2
    except ValueError as exc:
        raise ValidationError(f"The {label} must be a whole number.", field=field) from exc
    if not low <= number <= high:
        raise ValidationError(f"The {label} must be between {low} and {high}.", field=field)
    return number


def _offset(value, field: str, *, required: bool) -> int | None:
    """Days after the plan's start: 0 (the start day) to 3650 (ten years)."""
    return _whole_number(value, field, "number of days after the start", required=required, low=0, high=MAX_OFFSET_DAYS)


def _text(value) -> str:
    return (value or "").strip()


def _next_position(related) -> int:
    highest = related.aggregate(top=Max("position"))["top"]
    return 0 if highest is None else highest + 1


def _changes(instance, data: dict, fields: tuple[str, ...]) -> list[str]:
    return sorted(name for name in fields if name in data and getattr(instance, name) != data[name])


# Templates --------------------------------------------------------------------------------------------------


def _condition_codes(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = re.split(r"[\s,;]+", value)
    codes: list[str] = []
    for raw in value:
        code = str(raw).strip().upper()
        if not code:
            continue
        if not ICD10CM.match(code):
            raise ValidationError(
                f"“{code}” is not an ICD-10-CM code (for example E11.9 or I50.22).", field="condition_codes"
            )
        if code not in codes:
            codes.append(code)
    return codes


def _validate_template(template: CarePlanTemplate) -> None:
    template.title = _text(template.title)
    template.description = (template.description or "").strip()
    if not template.title:
        raise ValidationError("A template needs a title.", field="title")
    if template.category not in CarePlanCategory.values:
        raise ValidationError("Choose the kind of care plan the template makes.", field="category")
    template.condition_codes = _condition_codes(template.condition_codes)
    template.active = bool(template.active)
    _clean(template, exclude=["organization"])


def _save_with_unique_key(template: CarePlanTemplate, base: str) -> CarePlanTemplate:
    """Saves a new organization template under `base`, or `base-2`, `base-3`... whichever is free."""
    base = (slugify(base) or "template")[: KEY_LENGTH - 4].strip("-") or "template"
    taken = set(
        CarePlanTemplate.objects.filter(organization=template.organization, key__startswith=base).values_list(
            "key", flat=True
        )
    )
    for number in range(1, 1000):
        key = base if number == 1 else f"{base}-{number}"
        if key in taken:
            continue
        template.key = key
        try:
            with transaction.atomic():  # a savepoint: a concurrent copy may take the key first
                template.save()
        except IntegrityError:
            taken.add(key)
            continue
        return template
    raise ValidationError("Too many templates share this name; rename one of them first.", field="title")


@transaction.atomic
def template_copy(*, actor: Actor, template: CarePlanTemplate) -> CarePlanTemplate:
    """
    Copies a built-in or one of the organization's templates into the organization, with every goal and task
    (task-goal links kept), under a key free in the organization ("<key>", else "<key>-2"...).
    """
    _require_viewer(actor)
    _in_scope(actor, template)
    _require_manager(actor)
    title = f"{template.title} (copy)"[: CarePlanTemplate._meta.get_field("title").max_length]
    copy = CarePlanTemplate(
        organization=actor.organization,
        title=title,
        category=template.category,
        description=template.description,
        condition_codes=list(template.condition_codes or []),
        source_note=template.source_note,
        active=True,
    )
    _save_with_unique_key(copy, template.key)
    goals: dict[int, TemplateGoal] = {}
    for goal in template.goals.all():
        goals[goal.pk] = TemplateGoal.objects.create(
            template=copy, position=goal.position, **{name: getattr(goal, name) for name in GOAL_FIELDS}
        )
    for task in template.tasks.all():
        values = {name: getattr(task, name) for name in TASK_FIELDS if name != "goal"}
        TemplateTask.objects.create(
            template=copy, position=task.position, goal=goals.get(task.goal_id), key=task.key, **values
        )
    _audit(
        actor,
        copy,
        "copy",
        AuditAction.CREATE,
        {"from": str(template.public_id), "from_key": template.key, "builtin": template.is_builtin},
    )
    return copy


@transaction.atomic
def template_create(*, actor: Actor, data: dict) -> CarePlanTemplate:
    """Starts a blank template of the organization (title, category, description, condition codes)."""
    _require_manager(actor)
    template = CarePlanTemplate(
        organization=actor.organization,
        key="pending",  # replaced by a free key from the title
        title=data.get("title", ""),
        category=data.get("category") or CarePlanCategory.OTHER,
        description=data.get("description", ""),
        condition_codes=data.get("condition_codes") or [],
        active=data.get("active", True),
    )
    _validate_template(template)
    _save_with_unique_key(template, data.get("key") or template.title)
    _audit(actor, template, "create", AuditAction.CREATE, {})
    return template


@transaction.atomic
def template_update(*, actor: Actor, template: CarePlanTemplate, data: dict, expected_version: int) -> CarePlanTemplate:
    """
    Saves the template's details (only the fields given in `data`) unless someone saved it after the
    version the user saw. Setting `active` retires a template (no longer offered) or brings it back.
    """
    _editable(actor, template)
    before = {name: getattr(template, name) for name in TEMPLATE_FIELDS}
    for name in TEMPLATE_FIELDS:
        if name in data:
            setattr(template, name, data[name])
    _validate_template(template)
    changed = sorted(name for name in TEMPLATE_FIELDS if getattr(template, name) != before[name])
    save_versioned(template, expected_version=expected_version, fields=list(TEMPLATE_FIELDS))
    _audit(actor, template, "update", AuditAction.UPDATE, {"fields": changed})
    return template


# Goals ------------------------------------------------------------------------------------------------------


def _goal_values(data: dict, current: TemplateGoal | None = None) -> dict:
    """The goal's fields after applying `data` over `current`, cleaned and checked."""
    values = {name: getattr(current, name) for name in GOAL_FIELDS} if current else {}
    values.update({name: data[name] for name in GOAL_FIELDS if name in data})
    for name in ("description", "measure_code", "measure_display", "target_comparator", "target_unit"):
        values[name] = _text(values.get(name))
    if not values["description"]:
        raise ValidationError("A goal needs a description.", field="description")
    values["due_offset_days"] = _offset(values.get("due_offset_days"), "due_offset_days", required=False)
    if values["measure_code"] and not LOINC.match(values["measure_code"]):
        raise ValidationError("Give the measure as a LOINC code, e.g. 4548-4, or leave it empty.", field="measure_code")
    comparator = values["target_comparator"]
    if comparator and comparator not in TargetComparator.values:
        raise ValidationError("Choose how the result compares with the target.", field="target_comparator")
    for name in ("target_value", "target_value_high"):
        values[name] = _decimal(values.get(name), name)
    low, high = values["target_value"], values["target_value_high"]
    if comparator and low is None:
        raise ValidationError("Give the target value.", field="target_value")
    if not comparator and low is not None:
        raise ValidationError("Choose how the result compares with the target value.", field="target_comparator")
    if comparator == TargetComparator.BETWEEN and (high is None or high <= low):
        raise ValidationError("Give an upper value above the lower one.", field="target_value_high")
    if comparator != TargetComparator.BETWEEN:
        values["target_value_high"] = None
    return values


def _decimal(raw, field: str) -> Decimal | None:
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise ValidationError("Give the target as a number, e.g. 7 or 130.", field=field) from exc
    if not value.is_finite():
        raise ValidationError("Give the target as a number, e.g. 7 or 130.", field=field)
    return value


@transaction.atomic
def template_goal_add(*, actor: Actor, template: CarePlanTemplate, data: dict) -> TemplateGoal:
    """Adds a goal to one of the organization's templates (due `due_offset_days` after the plan's start)."""
    _editable(actor, template)
    goal = TemplateGoal(template=template, position=_next_position(template.goals), **_goal_values(data))
    _clean(goal, exclude=["template"])
    goal.save()
    _touch(actor, template, "goal_add", AuditAction.CREATE, {"goal": goal.pk})
    return goal


@transaction.atomic
def template_goal_update(*, actor: Actor, goal: TemplateGoal, data: dict) -> TemplateGoal:
    template = _editable(actor, goal.template)
    values = _goal_values(data, goal)
    changed = _changes(goal, values, GOAL_FIELDS)
    for name, value in values.items():
        setattr(goal, name, value)
    _clean(goal, exclude=["template"])
    goal.save()
    _touch(actor, template, "goal_update", AuditAction.UPDATE, {"goal": goal.pk, "fields": changed})
    return goal


@transaction.atomic
def template_goal_remove(*, actor: Actor, goal: TemplateGoal) -> None:
    """Removes a goal; the template's tasks toward it stay, no longer linked to a goal."""
    template = _editable(actor, goal.template)
    goal_id = goal.pk
    unlinked = goal.tasks.update(goal=None)
    goal.delete()
    _touch(actor, template, "goal_remove", AuditAction.DELETE, {"goal": goal_id, "tasks_unlinked": unlinked})


# Tasks ------------------------------------------------------------------------------------------------------


def _task_values(template: CarePlanTemplate, data: dict, current: TemplateTask | None = None) -> dict:
    """The task's fields after applying `data` over `current`, cleaned and checked."""
    values = {name: getattr(current, name) for name in TASK_FIELDS} if current else {}
    values.update({name: data[name] for name in TASK_FIELDS if name in data})
    values["title"] = _text(values.get("title"))
    values["description"] = (values.get("description") or "").strip()
    if not values["title"]:
        raise ValidationError("A task needs a title.", field="title")
    if values.get("kind") not in TaskKind.values:
        raise ValidationError("Choose what kind of task it is.", field="kind")
    values["priority"] = values.get("priority") or TaskPriority.ROUTINE
    if values["priority"] not in TaskPriority.values:
        raise ValidationError("Choose the task's priority.", field="priority")
    values["owner_role"] = values.get("owner_role") or Role.COORDINATOR
    if values["owner_role"] not in TASK_OWNER_ROLES:
        raise ValidationError("Choose a role that works with patients to own the task.", field="owner_role")
    values["offset_days"] = _offset(values.get("offset_days"), "offset_days", required=True)
    goal = values.get("goal")
    if goal is not None and (not isinstance(goal, TemplateGoal) or goal.template_id != template.pk):
        raise ValidationError("The goal must be one of this template's goals.", field="goal")
    values.update(_recurrence_values(values))
    return values


def _recurrence_values(values: dict) -> dict:
    frequency = values.get("recurrence_frequency") or ""
    if not frequency:
        return {"recurrence_frequency": "", "recurrence_interval": 1, "recurrence_count": None}
    rule = {
        "frequency": frequency,
        "interval": values.get("recurrence_interval"),
        "count": values.get("recurrence_count"),
    }
    try:
        clean = validate_recurrence(rule)
    except ValueError as exc:
        raise ValidationError(str(exc), field=_recurrence_field(rule)) from exc
    return {
        "recurrence_frequency": clean["frequency"],
        "recurrence_interval": clean["interval"],
        "recurrence_count": clean["count"],
    }


def _recurrence_field(rule: dict) -> str:
    """Which of the three recurrence fields a rule that validate_recurrence refused is wrong in."""
    if rule["frequency"] not in RecurrenceFrequency.values:
        return "recurrence_frequency"
    try:
        validate_recurrence({"frequency": rule["frequency"], "interval": rule["interval"], "count": 2})
    except ValueError:
        return "recurrence_interval"
    return "recurrence_count"


@transaction.atomic
def template_task_add(*, actor: Actor, template: CarePlanTemplate, data: dict) -> TemplateTask:
    """Adds a task to one of the organization's templates, due `offset_days` after the plan's start."""
    _editable(actor, template)
    task = TemplateTask(template=template, position=_next_position(template.tasks), **_task_values(template, data))
    _clean(task, exclude=["template", "goal"])
    task.save()
    _touch(actor, template, "task_add", AuditAction.CREATE, {"task": task.pk})
    return task


@transaction.atomic
def template_task_update(*, actor: Actor, task: TemplateTask, data: dict) -> TemplateTask:
    template = _editable(actor, task.template)
    values = _task_values(template, data, task)
    changed = _changes(task, values, TASK_FIELDS)
    for name, value in values.items():
        setattr(task, name, value)
    _clean(task, exclude=["template", "goal"])
    task.save()
    _touch(actor, template, "task_update", AuditAction.UPDATE, {"task": task.pk, "fields": changed})
    return task


@transaction.atomic
def template_task_remove(*, actor: Actor, task: TemplateTask) -> None:
    template = _editable(actor, task.template)
    task_id = task.pk
    task.delete()
    _touch(actor, template, "task_remove", AuditAction.DELETE, {"task": task_id})
