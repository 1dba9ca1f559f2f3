"""
JSON endpoints of care plans (create a plan with its goals, all or nothing), the worklist and tasks: the same
selectors and services as the pages.
"""

import datetime as dt
import uuid
from decimal import Decimal

from django.db import transaction
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import NotFoundError, ValidationError
from carecoord.core.models import User
from carecoord.patients.models import Condition
from carecoord.patients.selectors import patient_get

from . import services
from .selectors import WorklistFilters, task_get, worklist_for
from .worklist_views import audit_worklist_view

careplans_router = Router(tags=["careplans"])
worklist_router = Router(tags=["worklist"])
tasks_router = Router(tags=["tasks"])

MAX_GOALS = 50


class GoalIn(Schema):
    description: str = Field(..., min_length=1, max_length=300)
    lifecycle_status: str = Field("active", max_length=20)
    achievement_status: str = Field("in-progress", max_length=20)
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    measure_code: str = Field("", max_length=20)
    measure_display: str = Field("", max_length=120)
    target_comparator: str = Field("", max_length=8)
    target_value: Decimal | None = Field(None, max_digits=10, decimal_places=2)
    target_value_high: Decimal | None = Field(None, max_digits=10, decimal_places=2)
    target_unit: str = Field("", max_length=30)


class CarePlanIn(Schema):
    patient: uuid.UUID
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    category: str = Field(..., max_length=30)
    start_date: dt.date
    end_date: dt.date | None = None
    addresses: list[uuid.UUID] = Field(default_factory=list, max_length=20, description="Condition ids")
    goals: list[GoalIn] = Field(default_factory=list, max_length=MAX_GOALS)


class GoalOut(Schema):
    id: uuid.UUID = Field(alias="public_id")
    description: str
    lifecycle_status: str
    start_date: dt.date
    due_date: dt.date | None
    version: int


class CarePlanOut(Schema):
    id: uuid.UUID = Field(alias="public_id")
    patient_id: uuid.UUID = Field(alias="patient.public_id")
    title: str
    description: str
    category: str
    status: str
    start_date: dt.date
    end_date: dt.date | None
    goals: list[GoalOut]
    version: int


def _conditions(patient, ids: list[uuid.UUID]) -> list[Condition]:
    found = {c.public_id: c for c in Condition.objects.filter(patient=patient, public_id__in=ids)}
    for index, key in enumerate(ids):
        if key not in found:
            raise NotFoundError("No such condition for this patient.", field=f"addresses[{index}]")
    return [found[key] for key in ids]


@careplans_router.post("", response={201: CarePlanOut}, summary="Create a care plan with its goals (all or none)")
def create_careplan(request, body: CarePlanIn):
    actor = request.auth
    with transaction.atomic():  # the plan and every goal, or nothing
        patient = patient_get(actor, body.patient, audit_event=None)
        plan_data = body.dict(include={"title", "description", "category", "start_date", "end_date"})
        careplan = services.careplan_create(
            actor=actor, patient=patient, data=plan_data, addresses=_conditions(patient, body.addresses)
        )
        for index, goal in enumerate(body.goals):
            data = goal.dict(exclude_unset=True)
            try:
                services.goal_add(actor=actor, careplan=careplan, data=data)
            except ValidationError as exc:
                field = f"goals[{index}].{exc.field}" if exc.field else f"goals[{index}]"
                raise ValidationError(f"Goal {index + 1}: {exc.message}", field=field) from exc
        careplan.refresh_from_db()
    return Status(201, careplan)


MAX_LIMIT = 200


class TaskOut(Schema):
    id: uuid.UUID = Field(alias="public_id")
    title: str
    kind: str
    status: str
    priority: str
    due_date: dt.date | None
    bucket: str = Field(alias="bucket_name")
    patient_id: uuid.UUID = Field(alias="patient.public_id")
    patient_name: str = Field(alias="patient.display_name")
    careplan_id: uuid.UUID | None = Field(None, alias="careplan.public_id")
    owner_email: str | None = Field(None, alias="owner.email")
    owner_role: str
    version: int


class WorklistOut(Schema):
    counts: dict[str, int]
    tasks: list[TaskOut]
    next_offset: int | None


class WorklistQuery(Schema):
    patient: uuid.UUID | None = None
    kind: str = ""
    category: str = ""
    priority: str = ""
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    bucket: str = ""
    owner: int | None = None
    offset: int = Field(0, ge=0, le=1_000_000)
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


@worklist_router.get("", response=WorklistOut, summary="The signed-in user's worklist")
def get_worklist(request, query: Query[WorklistQuery]):
    owner = User.objects.filter(pk=query.owner).first() if query.owner else None
    if query.owner and owner is None:
        from carecoord.core.errors import NotFoundError

        raise NotFoundError("No such user.")
    filters = WorklistFilters(
        patient=query.patient,
        kind=query.kind,
        category=query.category,
        priority=query.priority,
        due_from=query.due_from,
        due_to=query.due_to,
        bucket=query.bucket,
        owner=owner,
    )
    work = worklist_for(request.auth, filters)
    tasks = list(work.tasks[query.offset : query.offset + query.limit + 1])
    more = len(tasks) > query.limit
    audit_worklist_view(request.auth, work.owner, shown=len(tasks[: query.limit]), offset=query.offset, api=True)
    return {
        "counts": work.counts,
        "tasks": tasks[: query.limit],
        "next_offset": query.offset + query.limit if more else None,
    }


class CompleteIn(Schema):
    note: str = Field(..., max_length=4000)
    version: int


class SnoozeIn(Schema):
    until: dt.date
    reason: str = Field(..., max_length=200)
    version: int


class ReassignIn(Schema):
    owner_email: str = Field(..., max_length=254)
    note: str = Field("", max_length=200)
    version: int


class CompleteOut(Schema):
    task: TaskOut
    next_occurrence: TaskOut | None


def _with_bucket(actor, task):
    from carecoord.core import clock

    from .domain import BUCKET_CODES, worklist_bucket

    task.bucket = BUCKET_CODES[
        worklist_bucket(task.due_date, clock.today_in(actor.organization.tz), task.snoozed_until)
    ]
    return task


@tasks_router.get("/{task_id}", response=TaskOut)
def get_task(request, task_id: uuid.UUID):
    task = task_get(request.auth, task_id)
    audit_record(actor=request.auth, event="task.view", action=AuditAction.READ, target=task, patient=task.patient,
                 detail={"api": True})  # fmt: skip
    return _with_bucket(request.auth, task)


@tasks_router.post("/{task_id}/complete", response=CompleteOut)
def complete_task(request, task_id: uuid.UUID, body: CompleteIn):
    actor = request.auth
    task = task_get(actor, task_id)
    following = services.task_complete(actor=actor, task=task, note=body.note, expected_version=body.version)
    return {"task": _with_bucket(actor, task), "next_occurrence": _with_bucket(actor, following) if following else None}


@tasks_router.post("/{task_id}/snooze", response=TaskOut)
def snooze_task(request, task_id: uuid.UUID, body: SnoozeIn):
    actor = request.auth
    task = task_get(actor, task_id)
    services.task_snooze(actor=actor, task=task, until=body.until, reason=body.reason, expected_version=body.version)
    return _with_bucket(actor, task)


@tasks_router.post("/{task_id}/reassign", response=TaskOut)
def reassign_task(request, task_id: uuid.UUID, body: ReassignIn):
    from carecoord.core.errors import ValidationError

    actor = request.auth
    task = task_get(actor, task_id)
    owner = User.objects.filter(email__iexact=body.owner_email.strip()).first()
    if owner is None:
        raise ValidationError("No user with that email.", field="owner_email")
    services.task_reassign(actor=actor, task=task, owner=owner, note=body.note, expected_version=body.version)
    return _with_bucket(actor, task)
