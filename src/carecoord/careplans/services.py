"""
Writes on care plans, goals and tasks. Other capabilities create their worklist tasks through
`task_create` (with `source`, `focus_type`/`focus_id` and a `dedupe_key` so a retry never makes two).
"""

import datetime as dt
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q

from carecoord.core import clock, timefmt
from carecoord.core.access import Actor, require_patient_editor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import Membership, Organization, User
from carecoord.core.versioning import save_versioned
from carecoord.patients.models import Condition, Patient
from carecoord.patients.selectors import may_read_record, patient_get, patients_visible_to

from .choices import (
    HIGH_PRIORITIES,
    OPEN_TASK_STATUSES,
    TASK_OWNER_ROLES,
    CarePlanStatus,
    TaskKind,
    TaskPriority,
    TaskSource,
    TaskStatus,
)
from .domain import (
    EDITABLE_PLAN_STATUSES,
    TransitionError,
    check_plan_transition,
    check_task_transition,
    escalation_due,
    next_occurrence,
    occurrence_due_date,
    validate_recurrence,
)
from .models import CarePlan, CarePlanRevision, CarePlanTemplate, Goal, Task, TaskEvent
from .signals import task_completed, template_due_dates

PLAN_FIELDS = ("title", "description", "category", "intent", "start_date", "end_date")
GOAL_FIELDS = (
    "description",
    "lifecycle_status",
    "achievement_status",
    "start_date",
    "due_date",
    "measure_code",
    "measure_display",
    "target_comparator",
    "target_value",
    "target_value_high",
    "target_unit",
)


def _clean(instance, exclude: list[str]) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationError(messages[0], field=None if field == "__all__" else field) from exc


def _visible_patient(actor: Actor, patient: Patient) -> Patient:
    return patient_get(actor, patient.public_id, audit_event=None)


def _require_plan_in_scope(actor: Actor, careplan: CarePlan) -> CarePlan:
    _visible_patient(actor, careplan.patient)
    if not may_read_record(actor, careplan.organization_id, careplan.patient.organization_id):
        raise NotFoundError()
    return careplan


def _require_plan_author(actor: Actor, careplan: CarePlan) -> CarePlan:
    """
    The plan itself (its text, status, approval and goals) is changed only by the organization that wrote it: a
    partner the patient is shared with carries it out with its own tasks and records goal progress in its notes.
    """
    _require_plan_in_scope(actor, careplan)
    refusal = plan_author_refusal(actor, careplan)
    if refusal:
        raise PermissionDeniedError(refusal)
    return careplan


def plan_author_refusal(actor: Actor, careplan: CarePlan) -> str | None:
    """Why this actor may not change the plan itself (`_require_plan_author`), or None."""
    if careplan.organization_id == actor.organization.pk:
        return None
    return f"{careplan.organization.name} wrote this care plan and changes it. You can add your own tasks to it."


def _record_revision(actor: Actor, careplan: CarePlan, summary: str, changes: dict) -> None:
    CarePlanRevision.objects.create(
        careplan=careplan,
        version=careplan.version,
        changed_at=clock.now(),
        changed_by=actor.user,
        summary=summary[:200],
        changes=changes,
    )


def _plain(value):
    """A value as the revision history's JSON keeps it (dates as ISO text, decimals as text)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# Care plans -------------------------------------------------------------------------------------------------


@transaction.atomic
def careplan_create(
    *, actor: Actor, patient: Patient, data: dict, addresses: list[Condition] | None = None
) -> CarePlan:
    """
    Creates a care plan. A provider's plan is active and approved at once; anyone else's is a draft that
    waits for a provider's approval.
    """
    require_patient_editor(actor)
    patient = _visible_patient(actor, patient)
    careplan = CarePlan(
        organization=actor.organization,
        patient=patient,
        author=actor.user,
        **{k: v for k, v in data.items() if k in PLAN_FIELDS},
    )
    if actor.has_role(Role.PROVIDER):
        careplan.status = CarePlanStatus.ACTIVE
        careplan.approved_by = actor.user
        careplan.approved_at = clock.now()
    _validate_plan(careplan)
    careplan.save()
    _set_addresses(careplan, patient, addresses or [])
    _record_revision(actor, careplan, "Created", {"status": [None, careplan.status]})
    audit_record(actor=actor, event="careplan.create", action=AuditAction.CREATE, target=careplan, patient=patient)
    if careplan.status == CarePlanStatus.DRAFT:
        _ask_for_approval(actor, careplan)
    return careplan


APPROVAL_BUSINESS_DAYS = 2  # a draft should not wait long: its tasks are meanwhile on the worklist


APPROVAL_KEY_PREFIX = "careplan-approval:"


def _approval_key(careplan: CarePlan) -> str:
    return f"{APPROVAL_KEY_PREFIX}{careplan.public_id}"


def _ask_for_approval(actor: Actor, careplan: CarePlan) -> Task:
    """A draft waits for a provider: the organization's providers get a task to review and approve it."""
    today = clock.today_in(actor.organization.tz)
    return task_create(
        actor=actor,
        patient=careplan.patient,
        kind=TaskKind.PAPERWORK,
        title=f"Review and approve the care plan: {careplan.title}"[:200],
        description=f"Drafted by {actor.user.full_name}. Open the plan and approve it, or ask for changes.",
        due_date=clock.add_business_days(today, APPROVAL_BUSINESS_DAYS, state=actor.organization.state),
        owner_role=Role.PROVIDER,
        careplan=careplan,
        source=TaskSource.CAREPLAN,
        focus_type="CarePlan",
        focus_id=careplan.public_id,
        dedupe_key=_approval_key(careplan),
    )


def _validate_plan(careplan: CarePlan) -> None:
    if not (careplan.title or "").strip():
        raise ValidationError("A care plan needs a title.", field="title")
    if careplan.end_date and careplan.start_date and careplan.end_date < careplan.start_date:
        raise ValidationError("The plan ends before it starts.", field="end_date")
    _clean(careplan, exclude=["organization", "patient", "author", "approved_by", "template"])


def _set_addresses(careplan: CarePlan, patient: Patient, conditions: list[Condition]) -> None:
    foreign = [c for c in conditions if c.patient_id != patient.pk]
    if foreign:
        raise NotFoundError("A chosen condition belongs to another patient.")
    careplan.addresses.set(conditions)


@transaction.atomic
def careplan_update(
    *, actor: Actor, careplan: CarePlan, data: dict, expected_version: int, addresses: list[Condition] | None = None
) -> CarePlan:
    """Saves an edit unless someone else saved the plan first; each edit is kept in the plan's history."""
    require_patient_editor(actor)
    _require_plan_author(actor, careplan)
    if careplan.status not in EDITABLE_PLAN_STATUSES:
        raise ValidationError(f"A {careplan.get_status_display().lower()} care plan cannot be edited.")
    changes = {
        k: [_plain(getattr(careplan, k)), _plain(v)]
        for k, v in data.items()
        if k in PLAN_FIELDS and getattr(careplan, k) != v
    }
    for name in changes:
        setattr(careplan, name, data[name])
    _validate_plan(careplan)
    save_versioned(careplan, expected_version=expected_version, fields=list(PLAN_FIELDS))
    if addresses is not None:
        before = sorted(str(c.public_id) for c in careplan.addresses.all())
        _set_addresses(careplan, careplan.patient, addresses)
        after = sorted(str(c.public_id) for c in addresses)
        if before != after:
            changes["addresses"] = [before, after]
    _record_revision(actor, careplan, "Edited " + ", ".join(sorted(changes)) if changes else "Saved", changes)
    audit_record(
        actor=actor,
        event="careplan.update",
        action=AuditAction.UPDATE,
        target=careplan,
        patient=careplan.patient,
        detail={"fields": sorted(changes)},
    )
    return careplan


@transaction.atomic
def careplan_approve(*, actor: Actor, careplan: CarePlan, expected_version: int) -> CarePlan:
    """A provider approves a draft plan, which makes it active."""
    if not actor.has_role(Role.PROVIDER):
        raise PermissionDeniedError("Only a provider can approve a care plan.")
    _require_plan_author(actor, careplan)
    if careplan.status != CarePlanStatus.DRAFT:
        raise ValidationError("Only a draft care plan waits for approval.")
    careplan.status = CarePlanStatus.ACTIVE
    careplan.approved_by = actor.user
    careplan.approved_at = clock.now()
    save_versioned(careplan, expected_version=expected_version, fields=["status", "approved_by", "approved_at"])
    _record_revision(actor, careplan, "Approved", {"status": [CarePlanStatus.DRAFT, CarePlanStatus.ACTIVE]})
    _complete_approval_task(actor, careplan)
    audit_record(
        actor=actor, event="careplan.approve", action=AuditAction.UPDATE, target=careplan, patient=careplan.patient
    )
    return careplan


@transaction.atomic
def careplan_set_status(
    *, actor: Actor, careplan: CarePlan, status: str, expected_version: int, reason: str = ""
) -> CarePlan:
    """Moves a plan through its lifecycle; revoking or completing it cancels its open tasks."""
    require_patient_editor(actor)
    _require_plan_author(actor, careplan)
    if status == CarePlanStatus.ACTIVE and careplan.status == CarePlanStatus.DRAFT:
        raise ValidationError("A draft plan becomes active when a provider approves it.")
    try:
        check_plan_transition(careplan.status, status)
    except TransitionError as exc:
        raise ValidationError(str(exc), field="status") from exc
    before = careplan.status
    careplan.status = status
    save_versioned(careplan, expected_version=expected_version, fields=["status"])
    if status in (CarePlanStatus.REVOKED, CarePlanStatus.COMPLETED, CarePlanStatus.ENTERED_IN_ERROR):
        _close_open_tasks(actor, careplan, f"Care plan {careplan.get_status_display().lower()}")
    _record_revision(
        actor, careplan, f"Status {before} → {status}" + (f": {reason}" if reason else ""), {"status": [before, status]}
    )
    audit_record(
        actor=actor,
        event="careplan.status",
        action=AuditAction.UPDATE,
        target=careplan,
        patient=careplan.patient,
        detail={"from": before, "to": status},
    )
    return careplan


def _require_plan_approved_first(task: Task, status: str) -> None:
    """The approval task is done by approving the plan: completing it alone would leave the plan a draft."""
    if (
        status == TaskStatus.COMPLETED
        and (task.dedupe_key or "").startswith(APPROVAL_KEY_PREFIX)
        and task.careplan_id
        and task.dedupe_key == _approval_key(task.careplan)
        and task.careplan.status == CarePlanStatus.DRAFT
    ):
        raise ValidationError(
            "Open the care plan and approve it (or ask for changes): approving completes this task.", field="status"
        )


def _complete_approval_task(actor: Actor, careplan: CarePlan) -> None:
    task = careplan.tasks.filter(
        organization=careplan.organization, dedupe_key=_approval_key(careplan), status__in=OPEN_TASK_STATUSES
    ).first()
    if task is not None:
        task_set_status(
            actor=actor, task=task, status=TaskStatus.COMPLETED, expected_version=task.version, note="Plan approved"
        )


def _close_open_tasks(actor: Actor, careplan: CarePlan, note: str) -> None:
    now = clock.now()
    for task in careplan.tasks.filter(status__in=OPEN_TASK_STATUSES):
        TaskEvent.objects.create(
            task=task,
            at=now,
            by=actor.user,
            kind="status",
            from_status=task.status,
            to_status=TaskStatus.CANCELLED,
            note=note,
        )
        before, task.status = task.status, TaskStatus.CANCELLED
        save_versioned(task, expected_version=task.version, fields=["status"])
        audit_record(
            actor=actor,
            event="task.status",
            action=AuditAction.UPDATE,
            target=task,
            patient=careplan.patient,
            detail={"from": before, "to": TaskStatus.CANCELLED, "reason": note},
        )


# Goals ------------------------------------------------------------------------------------------------------


GOAL_TARGET_FIELDS = ("target_comparator", "target_value", "target_value_high", "target_unit")


def _validate_goal(goal: Goal, *, target_changed: bool = True) -> None:
    if goal.target_comparator and goal.target_value is None:
        raise ValidationError("Give the target value.", field="target_value")
    # Only when the target is edited: goals saved before this check may hold such a target, and a change of
    # their status alone must still go through.
    if (
        target_changed
        and not goal.target_comparator
        and (goal.target_value is not None or goal.target_value_high is not None or goal.target_unit)
    ):
        raise ValidationError(
            "Choose how the result compares with the target, or clear the target.", field="target_comparator"
        )
    if goal.target_comparator == "between" and (
        goal.target_value_high is None or goal.target_value_high <= goal.target_value
    ):
        raise ValidationError("Give an upper value above the lower one.", field="target_value_high")
    if goal.due_date and goal.start_date and goal.due_date < goal.start_date:
        raise ValidationError("The goal is due before it starts.", field="due_date")
    _clean(goal, exclude=["organization", "patient", "careplan"])


@transaction.atomic
def goal_add(*, actor: Actor, careplan: CarePlan, data: dict) -> Goal:
    require_patient_editor(actor)
    _require_plan_author(actor, careplan)
    if careplan.status not in EDITABLE_PLAN_STATUSES:
        raise ValidationError("This care plan is closed; reopen it to add goals.")
    goal = Goal(
        organization=careplan.organization,
        patient=careplan.patient,
        careplan=careplan,
        **{k: v for k, v in data.items() if k in GOAL_FIELDS},
    )
    goal.start_date = goal.start_date or clock.today_in(actor.organization.tz)
    _validate_goal(goal)
    goal.save()
    careplan_touch(actor, careplan, f"Goal added: {goal.description}")
    audit_record(actor=actor, event="goal.create", action=AuditAction.CREATE, target=goal, patient=careplan.patient)
    return goal


@transaction.atomic
def goal_update(*, actor: Actor, goal: Goal, data: dict, expected_version: int) -> Goal:
    require_patient_editor(actor)
    _require_plan_author(actor, goal.careplan)
    return _goal_save(actor, goal, data, expected_version)


@transaction.atomic
def goal_achievement_measured(*, actor: Actor, goal: Goal, status: str, expected_version: int) -> Goal:
    """
    The achievement status the goal's measurements support, saved for whoever recorded the measurement: a
    partner documents progress on the home organization's goal without changing the plan (_require_plan_author).
    """
    require_patient_editor(actor)
    _require_plan_in_scope(actor, goal.careplan)
    return _goal_save(actor, goal, {"achievement_status": status}, expected_version)


def _goal_save(actor: Actor, goal: Goal, data: dict, expected_version: int) -> Goal:
    changes = {
        k: [_plain(getattr(goal, k)), _plain(v)] for k, v in data.items() if k in GOAL_FIELDS and getattr(goal, k) != v
    }
    for name in changes:
        setattr(goal, name, data[name])
    _validate_goal(goal, target_changed=any(name in changes for name in GOAL_TARGET_FIELDS))
    save_versioned(goal, expected_version=expected_version, fields=list(GOAL_FIELDS))
    careplan_touch(
        actor, goal.careplan, f"Goal changed: {goal.description}", {f"goal.{k}": v for k, v in changes.items()}
    )
    audit_record(
        actor=actor,
        event="goal.update",
        action=AuditAction.UPDATE,
        target=goal,
        patient=goal.patient,
        detail={"fields": sorted(changes)},
    )
    return goal


def careplan_touch(actor: Actor, careplan: CarePlan, summary: str, changes: dict | None = None) -> None:
    """Records a change to a plan's goals or activities in its history (and bumps its version)."""
    # F() so a plan loaded before someone else's edit never moves the stored version backwards.
    CarePlan.objects.filter(pk=careplan.pk).update(version=F("version") + 1, updated_at=clock.now())
    careplan.version = CarePlan.objects.values_list("version", flat=True).get(pk=careplan.pk)
    _record_revision(actor, careplan, summary, changes or {})


@transaction.atomic
def past_due_date_problem(due_date: dt.date | None, today: dt.date) -> str | None:
    """Why a new task's due date needs the user's confirmation (it is before today), or None."""
    if due_date is None or due_date >= today:
        return None
    return (
        f"The due date {timefmt.day(due_date)} is before today ({timefmt.day(today)}): the task will be overdue "
        "as soon as it is saved. Confirm to save it anyway."
    )


def careplan_task_add(*, actor: Actor, careplan: CarePlan, allow_past_due: bool = False, **fields) -> Task:
    """
    Adds a task to a plan (source: care plan) and records it in the plan's history. A due date before today
    is refused unless `allow_past_due` says the person confirmed it (backdating a task that really fell due
    earlier is legitimate; a typo in the year is not).
    """
    require_patient_editor(actor)
    _require_plan_in_scope(actor, careplan)
    if careplan.status not in EDITABLE_PLAN_STATUSES:
        raise ValidationError("This care plan is closed; reopen it to add tasks.")
    problem = past_due_date_problem(fields.get("due_date"), clock.today_in(actor.organization.tz))
    if problem and not allow_past_due:
        raise ValidationError(problem, field="due_date")
    task = task_create(actor=actor, patient=careplan.patient, careplan=careplan, source=TaskSource.CAREPLAN, **fields)
    careplan_touch(actor, careplan, f"Task added: {task.title}", {"task": [None, task.title]})
    return task


# Tasks ------------------------------------------------------------------------------------------------------


def _task_in_scope(actor: Actor, task: Task) -> Task:
    if task.organization_id != actor.organization.pk:
        raise NotFoundError()
    _visible_patient(actor, task.patient)
    return task


def _require_task_worker(actor: Actor) -> None:
    if not actor.can_see_patients:
        raise NotFoundError()


def _system_actor(organization: Organization) -> Actor:
    """An organization acting through a job or feed, so its patient scope comes from `patients_visible_to`."""
    # No person acts; `patients_visible_to` only reads the organization and whether the roles see patients.
    return Actor(user=None, organization=organization, roles=frozenset({Role.COORDINATOR}))  # type: ignore[arg-type]


def _event(task: Task, by: User | None, kind: str, *, from_status="", to_status="", note="") -> None:
    TaskEvent.objects.create(
        task=task, at=clock.now(), by=by, kind=kind, from_status=from_status, to_status=to_status, note=note
    )


def _check_owner(organization: Organization, owner: User | None, owner_role: str) -> None:
    if owner is None and not owner_role:
        raise ValidationError("Give the task an owner: a person or a role.", field="owner")
    if owner is not None and not owner.memberships.filter(organization=organization, active=True).exists():
        raise ValidationError("The owner is not a member of this organization.", field="owner")
    if owner_role and owner_role not in Role.values:
        raise ValidationError(f"Unknown role “{owner_role}”.", field="owner_role")
    if owner_role and owner_role not in TASK_OWNER_ROLES:
        raise ValidationError(f"A task cannot go to the {Role(owner_role).label} role.", field="owner_role")


FOLLOW_UP_MAX_DAYS = 365


def check_follow_up_day(actor: Actor, day: dt.date) -> None:
    """A next follow-up date someone sets on a referral or a request: from today to a year ahead."""
    today = clock.today_in(actor.organization.tz)
    if day < today:
        raise ValidationError("The next follow-up date cannot be in the past.", field="follow_up_on")
    if day > today + dt.timedelta(days=FOLLOW_UP_MAX_DAYS):
        raise ValidationError("Follow up within a year.", field="follow_up_on")


@transaction.atomic
def task_create(
    *,
    actor: Actor | None,
    organization: Organization | None = None,
    patient: Patient,
    kind: str,
    title: str,
    due_date: dt.date | None,
    owner: User | None = None,
    owner_role: str = "",
    priority: str = TaskPriority.ROUTINE,
    description: str = "",
    careplan: CarePlan | None = None,
    goal: Goal | None = None,
    recurrence: dict | None = None,
    source: str = TaskSource.MANUAL,
    focus_type: str = "",
    focus_id: uuid.UUID | None = None,
    dedupe_key: str = "",
    status: str = TaskStatus.REQUESTED,
    template_task_key: str = "",
) -> Task:
    """
    Puts a task on the worklist. `actor` is None for system creators (feeds, jobs), which name the
    `organization`; with a `dedupe_key` the same key returns the existing task instead of a second one.
    """
    if actor is not None:
        _require_task_worker(actor)
        patient = _visible_patient(actor, patient)
        organization = actor.organization
    if organization is None:
        raise ValueError("A system-created task names its organization.")
    if actor is None and not patients_visible_to(_system_actor(organization)).filter(pk=patient.pk).exists():
        raise NotFoundError()
    if dedupe_key:
        existing = Task.objects.filter(organization=organization, dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    if careplan is not None and careplan.patient_id != patient.pk:
        raise NotFoundError("That care plan belongs to another patient.")
    if careplan is not None and actor is not None:
        _require_plan_in_scope(actor, careplan)
    if careplan is not None and careplan.status not in EDITABLE_PLAN_STATUSES:
        raise ValidationError("This care plan is closed; reopen it to add tasks.", field="careplan")
    if goal is not None and (careplan is None or goal.careplan_id != careplan.pk):
        raise ValidationError("The goal must belong to the task's care plan.", field="goal")
    _check_owner(organization, owner, owner_role)
    try:
        clean_recurrence = validate_recurrence(recurrence or {})
    except ValueError as exc:
        raise ValidationError(str(exc), field="recurrence") from exc
    if clean_recurrence and due_date is None:
        raise ValidationError("A repeating task needs a first due date.", field="due_date")
    task = Task(
        organization=organization,
        patient=patient,
        careplan=careplan,
        goal=goal,
        kind=kind,
        title=(title or "").strip(),
        description=description,
        status=status,
        priority=priority,
        owner=owner,
        owner_role=owner_role,
        due_date=due_date,
        recurrence=clean_recurrence,
        series=uuid.uuid4() if clean_recurrence else None,
        source=source,
        focus_type=focus_type,
        focus_id=focus_id,
        dedupe_key=dedupe_key,
        template_task_key=template_task_key or None,
        created_by=actor.user if actor else None,
    )
    if not task.title:
        raise ValidationError("A task needs a title.", field="title")
    _clean(
        task,
        exclude=["organization", "patient", "careplan", "goal", "owner", "escalation_of", "created_by", "completed_by"],
    )
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        if dedupe_key:  # a concurrent creator won the race for this key
            return Task.objects.get(organization=organization, dedupe_key=dedupe_key)
        raise
    _event(task, actor.user if actor else None, "created", to_status=task.status)
    audit_record(
        actor=actor,
        organization=organization,
        event="task.create",
        action=AuditAction.CREATE,
        target=task,
        patient=patient,
        detail={"source": source},
    )
    return task


@transaction.atomic
def task_set_status(*, actor: Actor, task: Task, status: str, expected_version: int, note: str = "") -> Task | None:
    """
    Moves a task to `status`. Completing needs an outcome note, and a completed occurrence of a repeating
    task creates the next one, which is returned. A completion is announced (`signals.task_completed`, in
    this transaction), so the transition episode whose step the task did records it.
    """
    _require_task_worker(actor)
    _task_in_scope(actor, task)
    try:
        check_task_transition(task.status, status)
    except TransitionError as exc:
        raise ValidationError(str(exc), field="status") from exc
    note = (note or "").strip()
    if status == TaskStatus.COMPLETED and not note:
        raise ValidationError("Say what happened: completing a task needs an outcome note.", field="note")
    _require_plan_approved_first(task, status)
    before = task.status
    task.status = status
    fields = ["status"]
    if status == TaskStatus.COMPLETED:
        task.outcome_note, task.completed_at, task.completed_by = note, clock.now(), actor.user
        fields += ["outcome_note", "completed_at", "completed_by"]
    save_versioned(task, expected_version=expected_version, fields=fields)
    _event(task, actor.user, "status", from_status=before, to_status=status, note=note)
    audit_record(
        actor=actor,
        event="task.status",
        action=AuditAction.UPDATE,
        target=task,
        patient=task.patient,
        detail={"from": before, "to": status},
    )
    if status not in OPEN_TASK_STATUSES:
        _close_escalations(actor, task, status)
    if status == TaskStatus.COMPLETED:
        task_completed.send(sender=Task, task=task, actor=actor, note=note, completed_at=task.completed_at)
        return _create_next_occurrence(actor, task)
    return None


def _close_escalations(actor: Actor, task: Task, status: str) -> None:
    """Escalations raised because `task` was overdue end with it: completed along with it, else cancelled."""
    outcome = TaskStatus.COMPLETED if status == TaskStatus.COMPLETED else TaskStatus.CANCELLED
    note = f"The escalated task was {TaskStatus(status).label.lower()}."
    for escalation in Task.objects.filter(escalation_of=task, status__in=OPEN_TASK_STATUSES):
        before = escalation.status
        escalation.status = outcome
        fields = ["status"]
        if outcome == TaskStatus.COMPLETED:
            escalation.outcome_note, escalation.completed_at, escalation.completed_by = note, clock.now(), actor.user
            fields += ["outcome_note", "completed_at", "completed_by"]
        save_versioned(escalation, expected_version=escalation.version, fields=fields)
        _event(escalation, actor.user, "status", from_status=before, to_status=outcome, note=note)
        audit_record(
            actor=actor,
            event="task.status",
            action=AuditAction.UPDATE,
            target=escalation,
            patient=escalation.patient,
            detail={"from": before, "to": outcome, "because": "escalated task"},
        )


def task_complete(*, actor: Actor, task: Task, note: str, expected_version: int) -> Task | None:
    return task_set_status(
        actor=actor, task=task, status=TaskStatus.COMPLETED, note=note, expected_version=expected_version
    )


def move_follow_up_task(
    actor: Actor,
    *,
    patient: Patient,
    focus_type: str,
    focus_id: uuid.UUID,
    due_on: dt.date,
    title: str,
    kind: str,
    source: str,
    dedupe_key: str,
    close_note: str,
    description: str = "",
    owner: User | None = None,
    owner_role: str = "",
    key_prefix: str = "",
    by_system: bool = False,
) -> Task:
    """
    Moves a record's follow-up (a referral's, a prior authorization's): the actor completes the open tasks about
    the record (`focus_type`, `focus_id`; with `key_prefix`, only those whose dedupe key starts with it) with
    `close_note`, then the next follow-up task is due `due_on` (one per `dedupe_key`). The new task is the
    actor's (`by_system=False`) or the organization's own, made as by a job (`by_system=True`, for a record whose
    tasks go to its team rather than to whoever logged the follow-up). Runs in the caller's transaction.
    """
    open_tasks = Task.objects.filter(
        organization=actor.organization, focus_type=focus_type, focus_id=focus_id, status__in=OPEN_TASK_STATUSES
    )
    if key_prefix:
        open_tasks = open_tasks.filter(dedupe_key__startswith=key_prefix)
    for task in open_tasks:
        task_set_status(
            actor=actor, task=task, status=TaskStatus.COMPLETED, expected_version=task.version, note=close_note
        )
    return task_create(
        actor=None if by_system else actor,
        organization=actor.organization,
        patient=patient,
        kind=kind,
        title=title[:200],
        description=description[:2000],
        due_date=due_on,
        owner=owner,
        owner_role=owner_role,
        source=source,
        focus_type=focus_type,
        focus_id=focus_id,
        dedupe_key=dedupe_key,
    )


def _create_next_occurrence(actor: Actor, task: Task) -> Task | None:
    first_due = _series_first_due(task)
    following = next_occurrence(first_due, task.recurrence, task.occurrence)
    if following is None:
        return None
    occurrence, due = following
    nxt = Task.objects.create(
        organization=task.organization,
        patient=task.patient,
        careplan=task.careplan,
        goal=task.goal,
        kind=task.kind,
        title=task.title,
        description=task.description,
        priority=task.priority,
        owner=task.owner,
        owner_role=task.owner_role,
        due_date=due,
        recurrence=task.recurrence,
        series=task.series,
        occurrence=occurrence,
        source=task.source,
        focus_type=task.focus_type,
        focus_id=task.focus_id,
        template_task_key=task.template_task_key,
        created_by=actor.user,
    )
    _event(nxt, actor.user, "created", to_status=nxt.status, note=f"Occurrence {occurrence} of a repeating task")
    audit_record(
        actor=actor,
        event="task.create",
        action=AuditAction.CREATE,
        target=nxt,
        patient=nxt.patient,
        detail={"series": str(task.series), "occurrence": occurrence},
    )
    return nxt


def _series_first_due(task: Task):
    """The first occurrence's due date, from which every later one is computed (no drift from snoozes)."""
    first = Task.objects.filter(series=task.series, occurrence=1).values_list("due_date", flat=True).first()
    if first is not None:
        return first
    # The first occurrence was removed: count back from this one.
    return occurrence_due_date(
        task.due_date, {**task.recurrence, "interval": -task.recurrence.get("interval", 1)}, task.occurrence
    )


@transaction.atomic
def task_reassign(
    *, actor: Actor, task: Task, owner: User | None, owner_role: str = "", expected_version: int, note: str = ""
) -> Task:
    _require_task_worker(actor)
    _task_in_scope(actor, task)
    if task.status not in OPEN_TASK_STATUSES:
        raise ValidationError("Only an open task can be reassigned.")
    _check_owner(task.organization, owner, owner_role)
    before = task.owner.email if task.owner else task.owner_role
    task.owner, task.owner_role = owner, owner_role
    save_versioned(task, expected_version=expected_version, fields=["owner", "owner_role"])
    after = owner.email if owner else owner_role
    _event(task, actor.user, "reassign", note=f"{before} → {after}" + (f": {note}" if note else ""))
    audit_record(actor=actor, event="task.reassign", action=AuditAction.UPDATE, target=task, patient=task.patient)
    return task


@transaction.atomic
def task_snooze(*, actor: Actor, task: Task, until: dt.date, reason: str, expected_version: int) -> Task:
    """Hides a task from the worklist until a later day, with the reason kept in its history."""
    _require_task_worker(actor)
    _task_in_scope(actor, task)
    if task.status not in OPEN_TASK_STATUSES:
        raise ValidationError("Only an open task can be snoozed.")
    today = clock.today_in(actor.organization.tz)
    if until <= today:
        raise ValidationError("Snooze until a day after today.", field="until")
    if until > today + dt.timedelta(days=90):
        raise ValidationError("Snooze for at most 90 days; change the due date instead.", field="until")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the task is snoozed.", field="reason")
    task.snoozed_until, task.snooze_reason = until, reason[:200]
    save_versioned(task, expected_version=expected_version, fields=["snoozed_until", "snooze_reason"])
    _event(task, actor.user, "snooze", note=f"until {until.isoformat()}: {reason}")
    audit_record(actor=actor, event="task.snooze", action=AuditAction.UPDATE, target=task, patient=task.patient)
    return task


@transaction.atomic
def tasks_bulk_reassign(*, actor: Actor, task_ids: list[uuid.UUID], owner: User, note: str = "") -> int:
    """A supervisor moves open tasks to another coordinator, all or none."""
    if not actor.has_role(Role.SUPERVISOR, Role.ORG_ADMIN):
        raise PermissionDeniedError("Only a supervisor can reassign tasks in bulk.")
    try:  # ids arrive as form strings: malformed ones are simply not found, and duplicates count once
        keys = {uuid.UUID(str(task_id)) for task_id in task_ids}
    except ValueError as exc:
        raise NotFoundError("Some of the chosen tasks were not found.") from exc
    tasks = list(
        Task.objects.select_related("patient", "owner").filter(organization=actor.organization, public_id__in=keys)
    )
    if len(tasks) != len(keys):
        raise NotFoundError("Some of the chosen tasks were not found.")
    for task in tasks:
        task_reassign(actor=actor, task=task, owner=owner, expected_version=task.version, note=note or "bulk")
    return len(tasks)


@transaction.atomic
def tasks_escalate_overdue(*, organization: Organization) -> list[Task]:
    """Gives supervisors a task for each high-priority task overdue longer than the organization allows."""
    now = clock.now()
    candidates = (
        Task.objects.select_related("patient")
        .filter(
            organization=organization,
            status__in=OPEN_TASK_STATUSES,
            priority__in=HIGH_PRIORITIES,
            escalated_at__isnull=True,
            due_date__lt=clock.today_in(organization.tz),
            # A patient no longer shared with the organization is no longer its work.
            patient__in=patients_visible_to(_system_actor(organization)),
        )
        .exclude(kind=TaskKind.ESCALATION)
    )
    created = []
    for task in candidates:
        if not escalation_due(
            due_date=task.due_date, now=now, tz=organization.tz, threshold_hours=organization.escalation_hours
        ):
            continue
        escalation = task_create(
            actor=None,
            organization=organization,
            patient=task.patient,
            kind=TaskKind.ESCALATION,
            title=f"Overdue {task.get_priority_display().lower()} task: {task.title}",
            owner_role=Role.SUPERVISOR,
            priority=TaskPriority.URGENT,
            due_date=clock.today_in(organization.tz),
            source=TaskSource.ESCALATION,
            focus_type="careplans.Task",
            focus_id=task.public_id,
            dedupe_key=f"escalation:{task.public_id}",
            description=f"Due {task.due_date.isoformat()}, owned by {task.owner or task.get_owner_role_display()}.",
        )
        Task.objects.filter(pk=task.pk).update(escalated_at=now)
        Task.objects.filter(pk=escalation.pk).update(escalation_of=task)
        escalation.escalation_of = task
        created.append(escalation)
    return created


# Templates --------------------------------------------------------------------------------------------------


@transaction.atomic
def careplan_template_apply(
    *,
    actor: Actor,
    patient: Patient,
    template: CarePlanTemplate,
    start_date: dt.date,
    addresses: list[Condition] | None = None,
) -> CarePlan:
    """
    Creates a plan from a template: its goals and tasks with due dates counted from `start_date`. Tasks for
    the coordinator role go to the patient's current coordinator when there is one.
    """
    if template.organization_id not in (None, actor.organization.pk) or not template.active:
        raise NotFoundError("That template is not available.")
    careplan = careplan_create(
        actor=actor,
        patient=patient,
        addresses=addresses,
        data={
            "title": template.title,
            "category": template.category,
            "description": template.description,
            "start_date": start_date,
        },
    )
    CarePlan.objects.filter(pk=careplan.pk).update(template=template)
    careplan.template = template
    task_due, goal_due = _due_date_overrides(actor, patient, template, start_date)
    goals = {}
    for tgoal in template.goals.prefetch_related("tasks"):
        keyed_due = [goal_due[t.key] for t in tgoal.tasks.all() if t.key in goal_due]
        goals[tgoal.pk] = Goal.objects.create(
            organization=careplan.organization,
            patient=careplan.patient,
            careplan=careplan,
            description=tgoal.description,
            start_date=start_date,
            due_date=max(keyed_due) if keyed_due else _offset_day(start_date, tgoal.due_offset_days),
            measure_code=tgoal.measure_code,
            measure_display=tgoal.measure_display,
            target_comparator=tgoal.target_comparator,
            target_value=tgoal.target_value,
            target_value_high=tgoal.target_value_high,
            target_unit=tgoal.target_unit,
        )
    coordinator = _current_coordinator(actor, careplan.patient)
    for ttask in template.tasks.all():
        recurrence = {}
        if ttask.recurrence_frequency:
            recurrence = {
                "frequency": ttask.recurrence_frequency,
                "interval": ttask.recurrence_interval,
                "count": ttask.recurrence_count or 2,
            }
        use_person = ttask.owner_role == Role.COORDINATOR and coordinator is not None
        task_create(
            actor=actor,
            patient=patient,
            careplan=careplan,
            goal=goals.get(ttask.goal_id),
            kind=ttask.kind,
            title=ttask.title,
            description=ttask.description,
            priority=ttask.priority,
            owner=coordinator if use_person else None,
            owner_role="" if use_person else ttask.owner_role,
            due_date=task_due.get(ttask.key) or start_date + dt.timedelta(days=ttask.offset_days),
            recurrence=recurrence,
            source=TaskSource.CAREPLAN,
            template_task_key=ttask.key,
        )
    audit_record(
        actor=actor,
        event="careplan.template_apply",
        action=AuditAction.CREATE,
        target=careplan,
        patient=patient,
        detail={"template": template.key},
    )
    return careplan


def _offset_day(start_date: dt.date, offset_days: int | None) -> dt.date | None:
    return start_date + dt.timedelta(days=offset_days) if offset_days is not None else None


def _due_date_overrides(
    actor: Actor, patient: Patient, template: CarePlanTemplate, start_date: dt.date
) -> tuple[dict[str, dt.date], dict[str, dt.date]]:
    """
    Due dates another app owns for this plan (signals.template_due_dates), by template task key: for the tasks,
    and for the goals those tasks serve. Empty for a template nobody claims.
    """
    task_due: dict[str, dt.date] = {}
    goal_due: dict[str, dt.date] = {}
    responses = template_due_dates.send(
        sender=CarePlanTemplate,
        template=template,
        patient=patient,
        organization=actor.organization,
        start_date=start_date,
    )
    for _, answer in responses:
        if answer:
            task_due.update({key: day for key, day in answer.get("tasks", {}).items() if key})
            goal_due.update({key: day for key, day in answer.get("goals", {}).items() if key})
    return task_due, goal_due


def _current_coordinator(actor: Actor, patient: Patient) -> User | None:
    """
    The patient's coordinator on the care team today (not at the plan's start, which may be backdated), if
    they are a member of the actor's organization and so can own its tasks.
    """
    today = clock.today_in(actor.organization.tz)
    members_here = Membership.objects.filter(user=OuterRef("user"), organization=actor.organization, active=True)
    member = (
        patient.care_team.filter(role="coordinator", user__isnull=False, user__is_active=True, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .filter(Exists(members_here))
        .select_related("user")
        .order_by("start_date", "id")
        .first()
    )
    return member.user if member else None
