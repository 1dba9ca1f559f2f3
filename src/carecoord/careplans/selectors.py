"""
Reads on care plans and tasks. `worklist_for` is the coordinator's single queue of work; the worklist page
and the JSON API both use it.
"""

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError
from carecoord.core.idlists import literal_ids
from carecoord.core.models import Membership, User
from carecoord.patients.models import CareTeamMember, Patient
from carecoord.patients.selectors import may_read_record, patients_visible_to, readable_writers_q, visible_patient_q

from .choices import OPEN_TASK_STATUSES, TaskPriority, TaskStatus
from .domain import BUCKET_CODES, BUCKET_NAMES, OVERDUE, SNOOZED, TODAY, UPCOMING
from .models import CarePlan, CarePlanTemplate, Task
from .worklist_statements import open_task_keys, page_tasks


@dataclass(frozen=True)
class WorklistFilters:
    patient: uuid.UUID | None = None
    kind: str = ""
    category: str = ""
    priority: str = ""
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    bucket: str = ""
    owner: User | None = None  # a supervisor looking at someone else's worklist
    include_snoozed: bool = False


@dataclass
class Worklist:
    tasks: "TaskPage"
    counts: dict[str, int] = field(default_factory=dict)
    today: dt.date | None = None
    owner: User | None = None
    bucket: str = ""
    include_snoozed: bool = False

    @property
    def total(self) -> int:
        """How many tasks `tasks` holds, from the bucket counts (no COUNT query of its own)."""
        if self.bucket in BUCKET_CODES:
            return self.counts.get(self.bucket) or 0
        names = [name for name in BUCKET_NAMES.values() if self.include_snoozed or name != SNOOZED]
        return sum(self.counts.get(name) or 0 for name in names)


def tasks_visible_to(actor: Actor) -> QuerySet[Task]:
    """Tasks of the actor's organization about patients the actor may see."""
    if actor is None or not actor.can_see_patients:
        return Task.objects.none()
    return Task.objects.filter(visible_patient_q(actor), organization=actor.organization)


def task_get(actor: Actor, public_id) -> Task:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    task = (
        tasks_visible_to(actor)
        .select_related("patient", "patient__organization", "careplan", "goal", "owner", "completed_by")
        .filter(public_id=key)
        .first()
    )
    if task is None:
        raise NotFoundError()
    return task


def _bucket_expression(today: dt.date):
    """A task's worklist bucket code (BUCKET_NAMES): snoozed first, so a snoozed late task is not overdue."""
    return Case(
        When(snoozed_until__gt=today, then=Value(BUCKET_CODES[SNOOZED])),
        When(due_date__lt=today, then=Value(BUCKET_CODES[OVERDUE])),
        When(due_date=today, then=Value(BUCKET_CODES[TODAY])),
        default=Value(BUCKET_CODES[UPCOMING]),
        output_field=IntegerField(),
    )


def _urgency_expression():
    """Most urgent first: the priority codes' alphabetical order (asap, routine, stat, urgent) is not urgency."""
    ranks = [TaskPriority.STAT, TaskPriority.ASAP, TaskPriority.URGENT]
    return Case(
        *(When(priority=code, then=Value(rank)) for rank, code in enumerate(ranks)),
        default=Value(len(ranks)),
        output_field=IntegerField(),
    )


def worklist_for(actor: Actor, filters: WorklistFilters | None = None) -> Worklist:
    """
    Open tasks owned by the actor (or by a role they hold, unassigned), overdue first, then due today, then
    upcoming; with the count of each bucket. A supervisor may ask for another member's worklist.
    """
    filters = filters or WorklistFilters()
    owner = _worklist_owner(actor, filters.owner)
    today = clock.today_in(actor.organization.tz)
    roles = _member_roles(owner, actor) if owner != actor.user else list(actor.roles)

    # One narrow query gives every open task's sort key; the counts and the order come from it in Python, and
    # only the rows of the page asked for are read in full (`TaskPage`). Joining patient, plan and owner for
    # every open task before sorting (the ORM's single-query shape) read ~25 times the rows the page shows.
    # The owner test is a UNION ALL of two branches, each served by its own index (task_worklist_owner; the
    # partial task_worklist_pool): written as `owner = X OR (owner IS NULL AND …)`, SQLite (no statistics)
    # walks every task of the organization through its organization_id index instead (~1 s a page at
    # 1,000,000 tasks). Each branch reads its own keys: as `pk IN (<union of ids>)`, PostgreSQL read every
    # task a second time by primary key (~70% of the query).
    def open_task_keys_query() -> QuerySet:
        open_tasks = _apply_filters(tasks_visible_to(actor).filter(status__in=OPEN_TASK_STATUSES), filters)
        keyed = open_tasks.order_by().annotate(bucket=_bucket_expression(today), urgency=_urgency_expression())
        columns = ("pk", "bucket", "due_date", "urgency")
        mine = keyed.filter(owner=owner).values_list(*columns)
        pool = keyed.filter(owner__isnull=True, owner_role__in=roles).values_list(*columns)
        return mine.union(pool, all=True)

    # Every value the query is built from (the bucket and snooze choices only filter the keys below).
    sql_inputs = (actor, owner.pk, tuple(sorted(roles)), today, *_sql_filters(filters))
    keys = open_task_keys(sql_inputs, open_task_keys_query)
    tally = Counter(bucket for _, bucket, _, _ in keys)
    counts_row = {name: tally[code] for code, name in BUCKET_NAMES.items()}
    if filters.bucket in BUCKET_CODES:
        keys = [key for key in keys if key[1] == BUCKET_CODES[filters.bucket]]
    elif not filters.include_snoozed:
        keys = [key for key in keys if key[1] != BUCKET_CODES[SNOOZED]]
    keys.sort(key=_worklist_order)
    return Worklist(
        tasks=TaskPage(actor, [(pk, bucket) for pk, bucket, _, _ in keys]),
        counts=counts_row,
        today=today,
        owner=owner,
        bucket=filters.bucket if filters.bucket in BUCKET_CODES else "",
        include_snoozed=filters.include_snoozed,
    )


def _sql_filters(filters: WorklistFilters) -> tuple:
    """The filters `_apply_filters` writes into the query."""
    return (filters.patient, filters.kind, filters.category, filters.priority, filters.due_from, filters.due_to)


def _worklist_order(key: tuple) -> tuple:
    """Bucket, then due date (undated last), then urgency, then id: the order the worklist shows."""
    pk, bucket, due_date, urgency = key
    return (bucket, due_date is None, due_date or dt.date.min, urgency, pk)


class TaskPage(Sequence):
    """
    The worklist's tasks in order, read from the database a slice at a time (one query per slice or per
    500 rows when iterated), each with its `bucket`. Rows gone or hidden since the keys were read drop out.
    """

    CHUNK = 500

    def __init__(self, actor: Actor, ordered: list[tuple[int, int]], fields: tuple[str, ...] = ()):
        self._actor = actor
        self._ordered = ordered
        self._fields = fields

    def _query(self, pks) -> QuerySet[Task]:
        rows = tasks_visible_to(self._actor).filter(pk__in=pks).select_related("patient", "careplan", "owner")
        return rows.only(*self._fields) if self._fields else rows

    def only(self, *fields: str) -> "TaskPage":
        """The same tasks with only these columns read (`QuerySet.only` names; patient, careplan, owner joined)."""
        return TaskPage(self._actor, self._ordered, fields)

    def __len__(self) -> int:
        return len(self._ordered)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._fetch(self._ordered[index])
        rows = self._fetch([self._ordered[index]])
        if not rows:
            raise IndexError(index)
        return rows[0]

    def __iter__(self):
        for start in range(0, len(self._ordered), self.CHUNK):
            yield from self._fetch(self._ordered[start : start + self.CHUNK])

    def _fetch(self, keys: list[tuple[int, int]]) -> list[Task]:
        if not keys:
            return []
        pks = [pk for pk, _ in keys]
        rows = page_tasks(self._actor, pks, self._fields, self._query)
        if rows is None:
            rows = self._query(literal_ids(pks))
        by_pk = {task.pk: task for task in rows}
        found = []
        for pk, bucket in keys:
            task = by_pk.get(pk)
            if task is not None:
                task.bucket = bucket
                found.append(task)
        return found


def _worklist_owner(actor: Actor, requested: User | None) -> User:
    if requested is None or requested == actor.user:
        return actor.user
    if not actor.has_role(Role.SUPERVISOR, Role.ORG_ADMIN):
        raise NotFoundError()
    if not Membership.objects.filter(user=requested, organization=actor.organization, active=True).exists():
        raise NotFoundError()
    return requested


def _member_roles(user: User, actor: Actor) -> list[str]:
    return list(
        Membership.objects.filter(user=user, organization=actor.organization, active=True).values_list(
            "role", flat=True
        )
    )


def _apply_filters(tasks: QuerySet[Task], filters: WorklistFilters) -> QuerySet[Task]:
    if filters.patient:
        tasks = tasks.filter(patient__public_id=filters.patient)
    if filters.kind:
        tasks = tasks.filter(kind=filters.kind)
    if filters.category:
        tasks = tasks.filter(careplan__category=filters.category)
    if filters.priority:
        tasks = tasks.filter(priority=filters.priority)
    if filters.due_from:
        tasks = tasks.filter(due_date__gte=filters.due_from)
    if filters.due_to:
        tasks = tasks.filter(due_date__lte=filters.due_to)
    return tasks


@dataclass(frozen=True)
class TeamMemberLoad:
    user: User
    caseload: int
    open_tasks: int
    overdue: int


def team_load(actor: Actor) -> list[TeamMemberLoad]:
    """Each coordinator's caseload size, open tasks and overdue tasks, side by side (three queries)."""
    if not actor.has_role(Role.SUPERVISOR, Role.ORG_ADMIN):
        raise NotFoundError()
    today = clock.today_in(actor.organization.tz)
    coordinators = list(
        User.objects.filter(
            memberships__organization=actor.organization,
            memberships__role=Role.COORDINATOR,
            memberships__active=True,
            is_active=True,
        )
        .distinct()
        .order_by("full_name")
    )
    ids = [u.pk for u in coordinators]
    caseloads = dict(
        CareTeamMember.objects.filter(user_id__in=ids, role="coordinator", patient__in=patients_visible_to(actor))
        .filter(_current_on(today))
        .values_list("user_id")
        .annotate(n=Count("patient_id", distinct=True))
    )
    task_rows = (
        tasks_visible_to(actor)
        .filter(owner_id__in=ids, status__in=OPEN_TASK_STATUSES)
        .annotate(bucket=_bucket_expression(today))
        .values("owner_id")
        .annotate(open=Count("id"), overdue=_overdue_count())
    )
    tasks = {row["owner_id"]: row for row in task_rows}
    return [
        TeamMemberLoad(
            user=u,
            caseload=caseloads.get(u.pk, 0),
            open_tasks=tasks.get(u.pk, {}).get("open", 0),
            overdue=tasks.get(u.pk, {}).get("overdue", 0),
        )
        for u in coordinators
    ]


def _overdue_count() -> Count:
    """Tasks in the worklist's overdue bucket, of a query annotated with `bucket=_bucket_expression(today)`."""
    return Count("id", filter=Q(bucket=BUCKET_CODES[OVERDUE]))


def _current_on(day: dt.date) -> Q:
    """Care-team memberships that have begun and not yet ended on `day`."""
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))


def caseload_for(actor: Actor, user: User | None = None) -> QuerySet[Patient]:
    """Patients on whose care team the user is a current coordinator."""
    user = user or actor.user
    today = clock.today_in(actor.organization.tz)
    members = CareTeamMember.objects.filter(user=user, role="coordinator").filter(_current_on(today))
    return patients_visible_to(actor).filter(pk__in=members.values("patient_id"))


def careplans_for_patient(actor: Actor, patient: Patient) -> QuerySet[CarePlan]:
    return (
        CarePlan.objects.filter(patient=patient, patient__in=patients_visible_to(actor))
        .filter(readable_writers_q(actor, patient))
        .select_related("author", "approved_by", "organization")
        .prefetch_related("goals", "addresses")
        .order_by("-start_date", "-id")
    )


def careplan_get(actor: Actor, public_id, *, audit_event: str | None = "careplan.view") -> CarePlan:
    from carecoord.core.audit import audit_record
    from carecoord.core.choices import AuditAction

    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    careplan = (
        CarePlan.objects.filter(public_id=key, patient__in=patients_visible_to(actor))
        .select_related("patient", "patient__organization", "author", "approved_by", "template")
        .first()
    )
    if careplan is None or not may_read_record(actor, careplan.organization_id, careplan.patient.organization_id):
        raise NotFoundError()
    if audit_event:
        audit_record(actor=actor, event=audit_event, action=AuditAction.READ, target=careplan, patient=careplan.patient)
    return careplan


def templates_for(actor: Actor) -> QuerySet[CarePlanTemplate]:
    return CarePlanTemplate.objects.filter(
        Q(organization__isnull=True) | Q(organization=actor.organization), active=True
    ).order_by("title")


def patient_task_counts(actor: Actor, patient: Patient) -> dict[str, int]:
    """Open and overdue tasks of one patient (for the chart badge); a snoozed task is not overdue."""
    today = clock.today_in(actor.organization.tz)
    return (
        tasks_visible_to(actor)
        .filter(patient=patient, status__in=OPEN_TASK_STATUSES)
        .annotate(bucket=_bucket_expression(today))
        .aggregate(open=Count("id"), overdue=_overdue_count())
    )


def patient_task_timeline(actor: Actor, patient: Patient, *, completed_limit: int = 10) -> dict[str, list[Task]]:
    """
    A patient's open tasks by due date (undated last), each with its worklist `bucket`, and the most recently
    completed ones.
    """
    today = clock.today_in(actor.organization.tz)
    tasks = tasks_visible_to(actor).filter(patient=patient).select_related("careplan", "owner", "completed_by")
    open_tasks = tasks.filter(status__in=OPEN_TASK_STATUSES).annotate(bucket=_bucket_expression(today))
    return {
        "open": list(open_tasks.order_by(F("due_date").asc(nulls_last=True), "id")),
        "completed": list(tasks.filter(status=TaskStatus.COMPLETED).order_by("-completed_at", "-id")[:completed_limit]),
    }
