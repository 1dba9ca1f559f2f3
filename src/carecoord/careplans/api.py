"""JSON endpoints of the worklist and tasks: the same selector and services as the pages."""

import datetime as dt
import uuid

from ninja import Field, Query, Router, Schema

from carecoord.core.models import User

from . import services
from .selectors import WorklistFilters, task_get, worklist_for

worklist_router = Router(tags=["worklist"])
tasks_router = Router(tags=["tasks"])

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
    owner_email: str
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
    return _with_bucket(request.auth, task_get(request.auth, task_id))


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
