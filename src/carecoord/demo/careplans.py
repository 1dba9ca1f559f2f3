"""
Care plans, goals and tasks for the demo patients, so every demo coordinator opens a worklist that looks like
a real Tuesday: a few tasks overdue, a few due today, a few weeks of work ahead, and the older work done.

Map: `careplans_create` (called by world.py after the patients are in) picks one or two built-in templates per
patient (`_choose`: the problem list against `CarePlanTemplate.condition_codes`, plus the setting: nursing-home
admissions, children's school plans at the community health center (readiness at 3-5, back to school after), hospital
discharges, rehab after surgery), dates each plan 2-120 days back, lays out its goals and tasks from the
template (`_build`; `_enough_ahead` renews the oldest plans of a coordinator with little work ahead), then
shapes each coordinator's worklist (`_open_overdue_choice`: which recent misses stay open; `_due_today`;
`_statuses`: past work completed with an outcome, a few tasks in progress, on hold or urgent; `_snooze`) and
inserts everything with bulk_create, with the task history (TaskEvent) and one "Created" revision per plan.
The coordination organization gets plans of its own for the patients shared with it, owned by its
coordinator on their care team.
"""

import datetime as dt
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from carecoord.careplans.builtin import sync_builtin_templates
from carecoord.careplans.builtin_content import BUILTIN_TEMPLATES
from carecoord.careplans.choices import (
    OPEN_TASK_STATUSES,
    CarePlanStatus,
    GoalAchievementStatus,
    GoalLifecycleStatus,
    TaskKind,
    TaskPriority,
    TaskSource,
    TaskStatus,
)
from carecoord.careplans.domain import occurrence_due_date
from carecoord.careplans.models import CarePlan, CarePlanRevision, CarePlanTemplate, Goal, Task, TaskEvent
from carecoord.core.choices import Role
from carecoord.core.models import Membership, Organization, User
from carecoord.patients.choices import CareTeamRole, ConditionClinicalStatus
from carecoord.patients.models import CareTeamMember, Condition, Patient, PatientShare

# Templates a problem list calls for, most specific first; the codes extend each template's own
# `condition_codes` with the ICD-10-CM families the demo's problem lists use (E11.40, I12.9, I13.0 ...).
CHRONIC = (
    ("heart-failure", ("I50", "I11.0", "I13")),
    ("copd", ("J44", "J43")),
    ("type-2-diabetes", ("E11",)),
    ("depression-phq9", ("F32", "F33")),
    ("hypertension", ("I10", "I11.9", "I12")),
)
TCM, NURSING_HOME = "post-discharge-tcm", "nursing-home-admission"
SCHOOL, REHAB = "pediatric-school-readiness", "post-surgical-pt-ot"
BACK_TO_SCHOOL = "pediatric-back-to-school"
SCHOOL_AGE = 6  # readiness for ages 3 to 5 (preschool, kindergarten), back to school from 6
KNEE_OA = ("M17",)  # a few hospital patients are back home after a knee replacement
# How long ago plans started (days), by template: (low, high, weight) bands.
START_BANDS = {
    TCM: ((2, 12, 3), (13, 28, 2)),
    NURSING_HOME: ((2, 10, 3), (11, 25, 2)),
    REHAB: ((3, 20, 2), (21, 60, 2)),
    SCHOOL: ((2, 20, 2), (21, 45, 2)),
    BACK_TO_SCHOOL: ((2, 20, 2), (21, 45, 2)),
}
CHRONIC_BANDS = ((2, 14, 3), (15, 45, 4), (46, 120, 3))
SMALL_CASELOAD = 8
MIN_AHEAD = 28  # open tasks due after today per coordinator, before some move to today or get snoozed
OVERDUE_WINDOW = 21  # only recent misses stay open: older work was done or rescheduled
DRAFTS_PER_ORG, SNOOZED_PER_ORG = 2, (1, 2)

OUTCOMES = {
    TaskKind.CALL: (
        "Spoke with the patient; no new concerns. Confirmed the next appointment and the best number to call.",
        "Reached the patient on the second try. Symptoms stable; answered questions about the plan.",
        "Talked with the patient and their daughter on speaker; both know the plan and whom to call.",
        "Left a voicemail in the morning; the patient called back that afternoon. Doing well, no ER visits.",
        "Spoke with the patient through a phone interpreter; questions answered and next steps agreed.",
    ),
    TaskKind.CHECK_IN: (
        "Check-in by phone: symptoms stable, taking medicines as prescribed.",
        "Patient feels better this week and is keeping to the plan.",
        "Short call: one missed dose this week, so we went over the pill organizer again.",
        "No new symptoms, no urgent care or ER visits since the last call; next check-in confirmed.",
        "Patient tired this week but managing; asked the PCP's nurse to call back about it.",
    ),
    TaskKind.MEDICATION_REVIEW: (
        "Reviewed every medicine against the pharmacy fill history; list updated, no discrepancies.",
        "Found a duplicate prescription from the specialist; flagged to the PCP, who stopped one.",
        "Patient skips evening doses; set up a pill organizer and asked the pharmacy for blister packs.",
        "Medication list reconciled with the discharge summary; the prescriber confirmed two changes.",
    ),
    TaskKind.REFERRAL: (
        "Referral sent; the program called the patient and booked the first session.",
        "Referral faxed and confirmed received; intake appointment set for next week.",
        "Patient chose the virtual option; referral sent and enrollment confirmed.",
    ),
    TaskKind.SCHEDULE: (
        "Booked, with a reminder set; transport arranged through the health plan.",
        "Appointment booked for a morning slot, as the patient prefers; confirmation mailed.",
        "Scheduled with the patient's daughter, who will drive.",
    ),
    TaskKind.EDUCATION: (
        "Taught with teach-back; the patient explained it back correctly and has the handout.",
        "Went through the handout in the patient's language; they showed each step back.",
        "Education done with the caregiver present; both repeated the key points.",
    ),
    TaskKind.VISIT: (
        "Done at the visit; results in the chart and shared with the patient.",
        "Completed during the office visit; nothing of concern found.",
    ),
    TaskKind.PAPERWORK: (
        "Forms completed and sent; a copy is in the chart.",
        "Signed forms came back from the family and are filed.",
    ),
}
FAMILY_OUTCOMES = (  # calls about a child are calls with a parent
    "Spoke with the mother; forms and dates confirmed, no new concerns.",
    "Reached the father after school hours; he has the dates and the checklist.",
    "Talked with the parents together; questions about school forms answered.",
)
OTHER_OUTCOMES = ("Done; details are in the chart.", "Completed with the patient; nothing further needed.")
# A child's tasks are done with a parent or guardian: a child has no daughter to drive them, and does not
# reconcile their own medicines. Kinds not listed here use OUTCOMES, which read right for a child too. Each
# kind has as many notes as its OUTCOMES entry, so the demo's random stream stays as it was.
CHILD_OUTCOMES = {
    TaskKind.CALL: FAMILY_OUTCOMES,
    TaskKind.CHECK_IN: FAMILY_OUTCOMES,
    TaskKind.SCHEDULE: (
        "Booked an after-school slot with the parent, with a reminder set; transport arranged through the health plan.",
        "Appointment booked with the mother for a morning slot, as the family prefers; confirmation mailed.",
        "Scheduled with the parent/guardian, who will bring the child.",
    ),
    TaskKind.MEDICATION_REVIEW: (
        "Reviewed every medicine with the parent against the pharmacy fill history; list updated, no discrepancies.",
        "Went over the inhaler and spacer with the parents; the school has a copy of the medicine plan.",
        "The parent gives the evening dose late; set a phone reminder together and told the school nurse.",
        "Medication list reconciled with the discharge summary; the prescriber confirmed the dose for the weight.",
    ),
    TaskKind.REFERRAL: (
        "Referral sent; the program called the parent and booked the first session.",
        "Referral faxed and confirmed received; intake appointment set with the family for next week.",
        "The family chose the virtual option; referral sent and enrollment confirmed.",
    ),
    TaskKind.EDUCATION: (
        "Taught the parent with teach-back; they explained it back correctly and have the handout.",
        "Went through the handout in the family's language with the parent and child; both showed each step back.",
        "Education done with the caregiver present; both repeated the key points.",
    ),
    TaskKind.VISIT: (
        "Done at the visit; results in the chart and shared with the parents.",
        "Completed during the office visit; nothing of concern found.",
    ),
}
CHILD_OTHER_OUTCOMES = ("Done; details are in the chart.", "Completed with the parent; nothing further needed.")
STARTED_NOTES = ("First call made; waiting for a call back.", "Started; gathering the records first.", "")
ON_HOLD_NOTES = (
    "Waiting for the insurance prior authorization.",
    "Waiting for the specialist's office to confirm a date.",
    "Patient wants to talk it over with the family first.",
)
CHILD_ON_HOLD_NOTES = (
    "Waiting for the insurance prior authorization.",
    "Waiting for the specialist's office to confirm a date.",
    "The parents want to talk it over first.",
)
SNOOZE_REASONS = (
    "Patient admitted to the hospital; resume after discharge.",
    "Patient visiting family out of state until next week.",
    "Daughter asked us to call back after her own surgery next week.",
    "Waiting for the lab results before calling.",
)
CHILD_SNOOZE_REASONS = (
    "Child admitted to the hospital; resume after discharge.",
    "Family visiting relatives out of state until next week.",
    "Mother asked us to call back after her own surgery next week.",
    "Waiting for the lab results before calling.",
)
CHILD_AGE = 18  # under it, a parent or guardian speaks for the patient


def outcome_notes(kind: str, age: int) -> tuple[str, ...]:
    """The outcome notes a completed task of `kind` may get, for a patient of `age`."""
    if age < CHILD_AGE:
        return CHILD_OUTCOMES.get(kind) or OUTCOMES.get(kind, CHILD_OTHER_OUTCOMES)
    return OUTCOMES.get(kind, OTHER_OUTCOMES)


def on_hold_notes(age: int) -> tuple[str, ...]:
    return CHILD_ON_HOLD_NOTES if age < CHILD_AGE else ON_HOLD_NOTES


def snooze_reasons(age: int) -> tuple[str, ...]:
    return CHILD_SNOOZE_REASONS if age < CHILD_AGE else SNOOZE_REASONS


# Templates, as plain data read once -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TGoal:
    pk: int
    description: str
    due_offset_days: int | None
    measure: dict


@dataclass(frozen=True)
class _TTask:
    goal_pk: int | None
    title: str
    description: str
    kind: str
    priority: str
    owner_role: str
    offset_days: int
    recurrence: dict
    key: str = ""

    def due_dates(self, start: dt.date) -> list[dt.date]:
        first = start + dt.timedelta(days=self.offset_days)
        count = self.recurrence.get("count", 1)
        return [
            occurrence_due_date(first, self.recurrence, n) if self.recurrence else first for n in range(1, count + 1)
        ]


@dataclass(frozen=True)
class _Template:
    pk: int
    key: str
    title: str
    category: str
    description: str
    condition_codes: tuple[str, ...]
    goals: tuple[_TGoal, ...]
    tasks: tuple[_TTask, ...]

    @property
    def horizon(self) -> int:
        """Days from the start to the last task's last occurrence."""
        return max((t.due_dates(dt.date(2000, 1, 1))[-1] - dt.date(2000, 1, 1)).days for t in self.tasks)


def _templates() -> dict[str, _Template]:
    builtin = CarePlanTemplate.objects.filter(organization__isnull=True)
    if builtin.count() < len(BUILTIN_TEMPLATES):
        sync_builtin_templates()
    found = {}
    for t in builtin.filter(active=True).prefetch_related("goals", "tasks"):
        goals = tuple(
            _TGoal(g.pk, g.description, g.due_offset_days, {
                "measure_code": g.measure_code, "measure_display": g.measure_display,
                "target_comparator": g.target_comparator, "target_value": g.target_value,
                "target_value_high": g.target_value_high, "target_unit": g.target_unit,
            })
            for g in t.goals.all()
        )  # fmt: skip
        tasks = tuple(
            _TTask(x.goal_id, x.title, x.description, x.kind, x.priority, x.owner_role, x.offset_days,
                   {"frequency": x.recurrence_frequency, "interval": x.recurrence_interval,
                    "count": x.recurrence_count or 2} if x.recurrence_frequency else {}, x.key)
            for x in t.tasks.all()
        )  # fmt: skip
        found[t.key] = _Template(t.pk, t.key, t.title, t.category, t.description, tuple(t.condition_codes or ()),
                                 goals, tasks)  # fmt: skip
    return found


# Who is who -------------------------------------------------------------------------------------------------------


@dataclass
class _Staff:
    """One organization's people that care-plan work names."""

    org: Organization
    provider: User
    by_role: dict[str, list[User]]


@dataclass
class _PatientFacts:
    patient: Patient
    age: int
    conditions: list[tuple[int, str]]  # (condition pk, ICD-10-CM code), active ones only
    own_coordinator: tuple[int, dt.date] | None = None  # (user id, on the care team since)
    guest_coordinator: tuple[int, dt.date] | None = None  # the coordination organization's coordinator
    shared: bool = False

    def matching(self, prefixes: Iterable[str]) -> list[int]:
        prefixes = tuple(prefixes)
        return [pk for pk, code in self.conditions if code.startswith(prefixes)]


def _facts(orgs: dict[str, Organization], coordination: Organization, today: dt.date) -> list[_PatientFacts]:
    """The demo patients in a stable order (organization, MRN), with their conditions and coordinators."""
    patients = list(
        Patient.objects.filter(organization__in=list(orgs.values())).select_related("organization")
        .order_by("organization__slug", "mrn")
    )  # fmt: skip
    conditions = defaultdict(list)
    rows = Condition.objects.filter(patient__in=patients, clinical_status=ConditionClinicalStatus.ACTIVE)
    for pk, patient_id, code in rows.order_by("code", "pk").values_list("pk", "patient_id", "code"):
        conditions[patient_id].append((pk, code))
    shared = set(
        PatientShare.objects.filter(organization=coordination, revoked_at__isnull=True).values_list("patient_id",
                                                                                                    flat=True)
    )  # fmt: skip
    members = defaultdict(set)  # user id -> organization ids where they coordinate
    for user_id, org_id in Membership.objects.filter(role=Role.COORDINATOR, active=True).values_list(
        "user_id", "organization_id"
    ):
        members[user_id].add(org_id)
    facts = {p.pk: _PatientFacts(p, _age(p.birth_date, today), conditions[p.pk], shared=p.pk in shared)
             for p in patients}  # fmt: skip
    team = CareTeamMember.objects.filter(patient__in=patients, role=CareTeamRole.COORDINATOR, user__isnull=False)
    for patient_id, user_id, since, note in team.order_by("start_date", "pk").values_list(
        "patient_id", "user_id", "start_date", "note"
    ):
        f = facts[patient_id]
        if not note and f.own_coordinator is None and f.patient.organization_id in members[user_id]:
            f.own_coordinator = (user_id, since)
        elif note and f.shared and f.guest_coordinator is None and coordination.pk in members[user_id]:
            f.guest_coordinator = (user_id, since)
    return list(facts.values())


def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


# Which plans ------------------------------------------------------------------------------------------------------


@dataclass
class _Choice:
    facts: _PatientFacts
    org: Organization
    template: _Template
    coordinator: tuple[int, dt.date]
    addresses: list[int]
    start_age: int  # days before today


def _chronic(facts: _PatientFacts, templates: dict[str, _Template]) -> list[tuple[str, list[int]]]:
    found = []
    for key, families in CHRONIC:
        if key not in templates:
            continue
        matched = facts.matching((*templates[key].condition_codes, *families))
        if matched and not (key == "hypertension" and any(k == "heart-failure" for k, _ in found)):
            found.append((key, matched))  # a heart-failure plan already covers the blood pressure
    return found


def _start_age(rng: random.Random, key: str) -> int:
    bands = START_BANDS.get(key, CHRONIC_BANDS)
    low, high, _ = rng.choices(bands, weights=[b[2] for b in bands])[0]
    return rng.randint(low, high)


def _choose(rng: random.Random, facts: list[_PatientFacts], templates: dict[str, _Template],
            staff: dict[int, _Staff], coordination: Organization) -> list[_Choice]:  # fmt: skip
    caseload = Counter((f.patient.organization_id, f.own_coordinator[0]) for f in facts if f.own_coordinator)
    choices = []
    for f in facts:
        org = f.patient.organization
        chronic = _chronic(f, templates)
        setting = _setting_plan(rng, f, org, templates)
        # A coordinator with a handful of patients here (one embedded from another organization) has
        # plans for all of them, newer ones, so that their worklist here is not empty either.
        small = f.own_coordinator is not None and caseload[(org.pk, f.own_coordinator[0])] < SMALL_CASELOAD
        picked = ([setting] if setting else []) + chronic[: 3 if small else 1 if setting or f.shared else 2]
        if len(picked) == 2 and not setting and not small and rng.random() < 0.45:
            picked = picked[:1]
        if f.own_coordinator is not None and org.pk in staff:
            for key, addresses in picked:
                age = rng.randint(2, 12) if small else _start_age(rng, key)
                choices.append(_Choice(f, org, templates[key], f.own_coordinator, addresses, age))
        if f.shared and f.guest_coordinator is not None:
            key, addresses = _coordination_plan(f, chronic, {key for key, _ in picked}, templates)
            if key:
                choices.append(_Choice(f, coordination, templates[key], f.guest_coordinator, addresses,
                                       _start_age(rng, key)))  # fmt: skip
    return choices


def _coordination_plan(f: _PatientFacts, chronic, taken: set[str], templates) -> tuple[str, list[int]]:
    """
    The coordination organization's own plan for a shared patient: a problem the home team's plans leave
    aside, else the follow-up of a hospital stay, else the home team's main problem from the community side.
    """
    options = [c for c in chronic if c[0] not in taken]
    if options:
        return options[0]
    if f.patient.organization.kind == "hospital" and TCM in templates and TCM not in taken:
        return TCM, chronic[0][1] if chronic else []
    return chronic[0] if chronic else ("", [])


def _school_plan(age: int) -> str:
    """Starting school (readiness, ages 3 to 5) or a school-age child's new school year (back to school)."""
    return SCHOOL if age < SCHOOL_AGE else BACK_TO_SCHOOL


def _setting_plan(rng: random.Random, f: _PatientFacts, org: Organization, templates) -> tuple[str, list[int]] | None:
    kind = org.kind
    rehab = f.matching(templates[REHAB].condition_codes) if REHAB in templates else []
    if rehab:
        return REHAB, rehab
    if f.age < 18 and kind == "community_health_center":
        # The health center's children's program: every child from 3 is on a school plan (readiness up to 5,
        # back to school after), addressing the problems a school asks about (asthma, ADHD, speech, food allergy).
        school = f.matching(("J45", "F90", "F80", "F84", "Z91.01", "E10", "G40"))
        key = _school_plan(f.age)
        return (key, school[:2]) if f.age >= 3 and key in templates else None
    if f.age < 18:
        key = _school_plan(f.age)
        return (key, []) if f.age >= 3 and key in templates and rng.random() < 0.85 else None
    if kind == "nursing_home" and NURSING_HOME in templates and rng.random() < 0.5:
        return NURSING_HOME, f.matching(("G30", "F03", "F01", "I69", "Z74.1"))[:2]
    if kind == "hospital":
        knee = f.matching(KNEE_OA)
        if knee and REHAB in templates and rng.random() < 0.4:
            return REHAB, knee
        if TCM in templates and rng.random() < 0.22:
            chronic = _chronic(f, templates)
            return TCM, chronic[0][1] if chronic else []
    return None


# Plans, goals and tasks in memory ---------------------------------------------------------------------------------


@dataclass
class _Work:
    """One task before insertion, with what shaping the worklists needs to know about it."""

    task: Task
    plan: "_PlanBuilder"
    role: str  # the template's owner role
    series_next: "_Work | None" = None  # the open occurrence after this one, dropped if this one stays open
    events: list[TaskEvent] = field(default_factory=list)

    @property
    def due(self) -> dt.date:
        return self.task.due_date


@dataclass
class _PlanBuilder:
    choice: _Choice
    plan: CarePlan
    goals: dict[int, Goal] = field(default_factory=dict)
    work: list[_Work] = field(default_factory=list)
    finished: bool = False  # a completed plan: every task done


def _at(day: dt.date, tz, rng: random.Random, low: int = 9 * 60, high: int = 16 * 60 + 30) -> dt.datetime:
    minutes = rng.randint(low, high)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=tz)


def _build(rng: random.Random, choice: _Choice, staff: _Staff, today: dt.date, *, draft: bool,
           finished: bool) -> _PlanBuilder:  # fmt: skip
    t, tz = choice.template, staff.org.tz
    coordinator_id, on_team_since = choice.coordinator
    start = max(today - dt.timedelta(days=choice.start_age), on_team_since, choice.facts.patient.birth_date)
    start = min(start, today - dt.timedelta(days=2))
    author = choice.coordinator[0] if draft else staff.provider.pk
    created = _at(start, tz, rng, 8 * 60, 9 * 60)
    plan = CarePlan(
        organization=staff.org, patient=choice.facts.patient, title=t.title, description=t.description,
        category=t.category, status=CarePlanStatus.DRAFT if draft else CarePlanStatus.ACTIVE, start_date=start,
        author_id=author, approved_by_id=None if draft else author, approved_at=None if draft else created,
        template_id=t.pk,
    )  # fmt: skip
    builder = _PlanBuilder(choice, plan, finished=finished)
    for g in t.goals:
        due = start + dt.timedelta(days=g.due_offset_days) if g.due_offset_days is not None else None
        builder.goals[g.pk] = Goal(
            organization=staff.org, patient=plan.patient, careplan=plan, description=g.description,
            start_date=start, due_date=due, **g.measure, **_goal_status(rng, due, today, draft=draft,
                                                                        finished=finished),
        )  # fmt: skip
    for tt in t.tasks:
        dues = tt.due_dates(start)
        series = uuid.UUID(int=rng.getrandbits(128), version=4) if tt.recurrence else None
        previous = None
        for number, due in enumerate(dues, start=1):
            if previous is not None and previous.due >= today and not finished:
                break  # the next occurrence appears only once this one is done
            person = tt.owner_role == Role.COORDINATOR
            task = Task(
                organization=staff.org, patient=plan.patient, careplan=plan, goal=builder.goals.get(tt.goal_pk),
                kind=tt.kind, title=tt.title, description=tt.description, priority=tt.priority,
                owner_id=coordinator_id if person else None, owner_role="" if person else tt.owner_role,
                due_date=due, recurrence=tt.recurrence, series=series, occurrence=number,
                source=TaskSource.CAREPLAN, created_by_id=author, template_task_key=tt.key or None,
            )  # fmt: skip
            work = _Work(task, builder, tt.owner_role)
            if previous is not None:
                previous.series_next = work
            builder.work.append(work)
            previous = work
    return builder


def _goal_status(rng: random.Random, due: dt.date | None, today: dt.date, *, draft: bool, finished: bool) -> dict:
    if draft:
        return {
            "lifecycle_status": GoalLifecycleStatus.PROPOSED,
            "achievement_status": GoalAchievementStatus.IN_PROGRESS,
        }
    if finished:
        met = rng.random() < 0.8
        status = GoalAchievementStatus.ACHIEVED if met else GoalAchievementStatus.NOT_ACHIEVED
        return {"lifecycle_status": GoalLifecycleStatus.COMPLETED, "achievement_status": status}
    if due is not None and due < today:
        status = rng.choices((GoalAchievementStatus.ACHIEVED, GoalAchievementStatus.IMPROVING,
                              GoalAchievementStatus.NO_CHANGE, GoalAchievementStatus.WORSENING),
                             weights=(5, 3, 2, 1))[0]  # fmt: skip
        achieved = status == GoalAchievementStatus.ACHIEVED
        lifecycle = GoalLifecycleStatus.COMPLETED if achieved else GoalLifecycleStatus.ACTIVE
        return {"lifecycle_status": lifecycle, "achievement_status": status}
    status = GoalAchievementStatus.IMPROVING if rng.random() < 0.25 else GoalAchievementStatus.IN_PROGRESS
    return {"lifecycle_status": GoalLifecycleStatus.ACTIVE, "achievement_status": status}


def _enough_ahead(rng: random.Random, builders: list[_PlanBuilder], staff: dict[int, _Staff], today: dt.date) -> None:
    """
    A coordinator whose plans mostly ran their course has little ahead: their oldest plans start again more
    recently (re-dated, as if reviewed and renewed) until some weeks of work lie ahead.
    """
    mine = defaultdict(list)
    for i, b in enumerate(builders):
        if not b.finished:
            mine[(b.choice.org.pk, b.choice.coordinator[0])].append(i)

    def ahead(indexes) -> int:
        return sum(w.due > today for i in indexes for w in builders[i].work if w.task.owner_id)

    for key in sorted(mine):
        for i in sorted(mine[key], key=lambda i: builders[i].plan.start_date):
            b = builders[i]
            if ahead(mine[key]) >= MIN_AHEAD or (today - b.plan.start_date).days <= 21:
                break
            b.choice.start_age = rng.randint(3, 21)
            draft = b.plan.status == CarePlanStatus.DRAFT
            builders[i] = _build(rng, b.choice, staff[b.choice.org.pk], today, draft=draft, finished=False)


# Shaping the worklists --------------------------------------------------------------------------------------------


def _owner_key(work: _Work) -> tuple[int, int] | None:
    task = work.task
    return (task.organization.pk, task.owner_id) if task.owner_id else None


def _open_overdue_choice(rng: random.Random, builders: list[_PlanBuilder], today: dt.date) -> set[int]:
    """Which past tasks stay open (overdue): 3-8 recent ones per coordinator, 1-3 per organization's schedulers."""
    candidates: dict[tuple, list[_Work]] = defaultdict(list)
    for b in builders:
        if b.finished:
            continue
        for w in b.work:
            recent = today - dt.timedelta(days=OVERDUE_WINDOW) <= w.due < today
            last_past = w.series_next is None or w.series_next.due >= today
            if not (recent and last_past):
                continue
            if w.task.owner_id:
                candidates[("owner", *_owner_key(w))].append(w)
            elif w.role == Role.SCHEDULER:
                candidates[("role", w.task.organization.pk)].append(w)
    keep = set()
    for key in sorted(candidates):  # by kind, organization and owner: the same order in every build
        pool = candidates[key]
        rng.shuffle(pool)
        pool.sort(key=lambda w: (today - w.due).days > 10)  # the most recent misses first
        wanted = rng.randint(3, 8) if key[0] == "owner" else rng.randint(1, 3)
        wanted = min(wanted, max(1, len(pool) // 2))  # a small caseload misses less
        keep.update(id(w) for w in pool[:wanted])
    return keep


def _prune_series(builders: list[_PlanBuilder], overdue: set[int]) -> None:
    """A repeating task left open has no later occurrence yet."""
    for b in builders:
        dropped = {id(w.series_next) for w in b.work if id(w) in overdue and w.series_next is not None}
        b.work = [w for w in b.work if id(w) not in dropped]
        for w in b.work:
            if id(w) in overdue:
                w.series_next = None


def _open_by_owner(builders: list[_PlanBuilder], today: dt.date, overdue: set[int]) -> dict[tuple, list[_Work]]:
    by_owner = defaultdict(list)
    for b in builders:
        for w in b.work:
            if not b.finished and w.task.owner_id and (w.due >= today or id(w) in overdue):
                by_owner[_owner_key(w)].append(w)
    return by_owner


def _due_today(rng: random.Random, by_owner: dict[tuple, list[_Work]], today: dt.date) -> None:
    """
    Every coordinator has 2-4 tasks due today: one-off tasks of the next days move up to today, or, on a
    crowded day, some of today's move to the next days (as a coordinator reschedules).
    """
    for key in sorted(by_owner):
        work = by_owner[key]
        # At most 4 from the plans: a discharge or benefits paperwork may add one more for today.
        wanted = min(rng.randint(2, 5), 4) if sum(w.due > today for w in work) > 20 else 1
        todays = sorted((w for w in work if w.due == today), key=lambda w: (bool(w.task.recurrence), rng.random()))
        for w in todays[wanted:]:
            w.task.due_date = today + dt.timedelta(days=rng.randint(1, 3))
        soon = [w for w in work if today < w.due <= today + dt.timedelta(days=10)]
        soon.sort(key=lambda w: (bool(w.task.recurrence), w.due, rng.random()))
        later = sorted((w for w in work if w.due > today and w not in soon), key=lambda w: (w.due, rng.random()))
        for w in (soon + later)[: max(wanted - len(todays), 0)]:
            w.task.due_date = today


# Inserting --------------------------------------------------------------------------------------------------------


def _complete(rng: random.Random, w: _Work, staff: _Staff) -> None:
    task = w.task
    who = task.owner_id or staff.by_role.get(w.role, [staff.provider])[0].pk
    task.status = TaskStatus.COMPLETED
    task.completed_by_id = who
    task.completed_at = _at(task.due_date, staff.org.tz, rng)
    task.outcome_note = rng.choice(outcome_notes(task.kind, w.plan.choice.facts.age))
    task.version = 2
    w.events.append(TaskEvent(task=task, at=task.completed_at, by_id=who, kind="status",
                              from_status=TaskStatus.REQUESTED, to_status=TaskStatus.COMPLETED,
                              note=task.outcome_note))  # fmt: skip


def _created_event(rng: random.Random, w: _Work, previous: _Work | None, tz) -> TaskEvent:
    task, plan = w.task, w.plan.plan
    if previous is not None:  # the service creates the next occurrence when the previous one is completed
        return TaskEvent(task=task, at=previous.task.completed_at, by_id=previous.task.completed_by_id,
                         kind="created", to_status=TaskStatus.REQUESTED,
                         note=f"Occurrence {task.occurrence} of a repeating task")  # fmt: skip
    at = plan.approved_at or _at(plan.start_date, tz, rng, 8 * 60, 9 * 60)
    return TaskEvent(task=task, at=at, by_id=plan.author_id, kind="created", to_status=TaskStatus.REQUESTED)


def _statuses(rng: random.Random, builders: list[_PlanBuilder], staff: dict[int, _Staff], today: dt.date,
              overdue: set[int]) -> None:  # fmt: skip
    """Completes the past work, starts or holds a little of the open work, raises a few priorities."""
    open_work = defaultdict(list)
    for b in builders:
        s = staff[b.plan.organization.pk]
        previous_in_series: dict[uuid.UUID, _Work] = {}
        for w in b.work:
            task = w.task
            previous = previous_in_series.get(task.series) if task.series else None
            w.events.append(_created_event(rng, w, previous, s.org.tz))
            if task.series:
                previous_in_series[task.series] = w
            if b.finished or (task.due_date < today and id(w) not in overdue):
                _complete(rng, w, s)
            elif task.owner_id:
                open_work[_owner_key(w)].append(w)
    for key in sorted(open_work):
        work = open_work[key]
        for w in work:
            task, tz = w.task, w.plan.plan.organization.tz
            roll = rng.random()
            if task.due_date <= today + dt.timedelta(days=7) and roll < 0.1:
                _set(w, TaskStatus.IN_PROGRESS, rng.choice(STARTED_NOTES), today, tz, rng)
            elif task.kind in (TaskKind.REFERRAL, TaskKind.SCHEDULE) and roll > 0.9:
                _set(w, TaskStatus.ON_HOLD, rng.choice(on_hold_notes(w.plan.choice.facts.age)), today, tz, rng)
            if task.priority == TaskPriority.ROUTINE and rng.random() < 0.05:
                task.priority = TaskPriority.URGENT
        pressing = [w for w in work if w.task.due_date <= today]
        if pressing and not any(w.task.priority != TaskPriority.ROUTINE for w in work):
            rng.choice(pressing).task.priority = TaskPriority.URGENT  # everyone has something urgent


def _set(w: _Work, status: str, note: str, today: dt.date, tz, rng: random.Random) -> None:
    task = w.task
    start = max(task.due_date - dt.timedelta(days=3), w.plan.plan.start_date, today - dt.timedelta(days=4))
    day = min(start + dt.timedelta(days=rng.randint(0, 2)), today - dt.timedelta(days=1))
    at = max(_at(day, tz, rng), w.events[-1].at + dt.timedelta(minutes=30))  # after the task was created
    task.status, task.version = status, 2
    w.events.append(TaskEvent(task=task, at=at, by_id=task.owner_id, kind="status",
                              from_status=TaskStatus.REQUESTED, to_status=status, note=note))  # fmt: skip


def _snooze(rng: random.Random, by_owner: dict[tuple, list[_Work]], today: dt.date, now: dt.datetime) -> None:
    """One or two tasks per organization snoozed by a coordinator with plenty of upcoming work, with a reason."""
    by_org = defaultdict(list)
    for (org_id, _), work in sorted(by_owner.items()):
        upcoming = [w for w in work if w.task.due_date > today and w.task.status == TaskStatus.REQUESTED]
        if len(upcoming) > 15:
            by_org[org_id].extend(w for w in upcoming if w.task.due_date <= today + dt.timedelta(days=7))
    for org_id in sorted(by_org):
        for w in rng.sample(by_org[org_id], min(rng.randint(*SNOOZED_PER_ORG), len(by_org[org_id]))):
            task = w.task
            task.snoozed_until = task.due_date + dt.timedelta(days=rng.randint(3, 8))
            task.snooze_reason = rng.choice(snooze_reasons(w.plan.choice.facts.age))
            task.version += 1
            at = max(now - dt.timedelta(hours=rng.randint(18, 40)), w.events[-1].at + dt.timedelta(minutes=30))
            note = f"until {task.snoozed_until.isoformat()}: {task.snooze_reason}"
            w.events.append(TaskEvent(task=task, at=at, by_id=task.owner_id, kind="snooze", note=note))


def _finish_plan(b: _PlanBuilder, today: dt.date, rng: random.Random) -> CarePlanRevision:
    plan = b.plan
    last = max(w.task.due_date for w in b.work)
    plan.end_date = min(last + dt.timedelta(days=rng.randint(1, 3)), today - dt.timedelta(days=1))
    plan.status, plan.version = CarePlanStatus.COMPLETED, 2
    return CarePlanRevision(careplan=plan, version=2, changed_by_id=b.choice.coordinator[0],
                            changed_at=_at(plan.end_date, plan.organization.tz, rng),
                            summary=f"Status {CarePlanStatus.ACTIVE} → {CarePlanStatus.COMPLETED}: goals met",
                            changes={"status": [CarePlanStatus.ACTIVE, CarePlanStatus.COMPLETED]})  # fmt: skip


def careplans_create(rng: random.Random, *, organizations: dict[str, Organization],
                     users: dict[str, list[tuple[User, str]]], coordination_slug: str, today: dt.date,
                     now: dt.datetime, counts) -> None:  # fmt: skip
    """Builds and inserts the demo care plans, goals, tasks and their history (see the module docstring)."""
    templates = _templates()
    staff = {}
    for slug, org in organizations.items():
        by_role = defaultdict(list)
        for user, role in users[slug]:
            by_role[role].append(user)
        staff[org.pk] = _Staff(org=org, provider=by_role[Role.PROVIDER][0], by_role=dict(by_role))
    coordination = organizations[coordination_slug]
    choices = _choose(rng, _facts(organizations, coordination, today), templates, staff, coordination)

    per_org = defaultdict(list)
    for index, choice in enumerate(choices):
        per_org[choice.org.pk].append(index)
    drafts, finished = set(), set()
    for org_id in sorted(per_org):
        indexes = per_org[org_id]
        short = sorted((i for i in indexes if _can_be_done(choices[i], today)),
                       key=lambda i: (choices[i].template.horizon, rng.random()))  # fmt: skip
        if short:
            done = short[0]
            finished.add(done)
            choices[done].start_age = choices[done].template.horizon + rng.randint(10, 25)
        for i in rng.sample([i for i in indexes if i not in finished], min(DRAFTS_PER_ORG, len(indexes) - 1)):
            drafts.add(i)
            choices[i].start_age = rng.randint(2, 6)
    builders = [_build(rng, c, staff[c.org.pk], today, draft=i in drafts, finished=i in finished)
                for i, c in enumerate(choices)]  # fmt: skip
    _enough_ahead(rng, builders, staff, today)

    overdue = _open_overdue_choice(rng, builders, today)
    _prune_series(builders, overdue)
    by_owner = _open_by_owner(builders, today, overdue)
    _due_today(rng, by_owner, today)
    _statuses(rng, builders, staff, today, overdue)
    _snooze(rng, by_owner, today, now)
    revisions = [_created_revision(b, rng) for b in builders]
    revisions += [_finish_plan(b, today, rng) for b in builders if b.finished]
    _insert(builders, revisions, today, counts)


def _can_be_done(choice: _Choice, today: dt.date) -> bool:
    """A plan short enough to have run its course within the demo's 120 days, with its coordinator all along."""
    days = choice.template.horizon + 25
    return days <= 120 and choice.coordinator[1] <= today - dt.timedelta(days=days)


def _created_revision(b: _PlanBuilder, rng: random.Random) -> CarePlanRevision:
    plan = b.plan
    at = plan.approved_at or _at(plan.start_date, plan.organization.tz, rng, 8 * 60, 9 * 60)
    first = CarePlanStatus.DRAFT if plan.status == CarePlanStatus.DRAFT else CarePlanStatus.ACTIVE
    return CarePlanRevision(careplan=plan, version=1, changed_at=at, changed_by_id=plan.author_id, summary="Created",
                            changes={"status": [None, first]})  # fmt: skip


def _insert(builders: list[_PlanBuilder], revisions: list[CarePlanRevision], today: dt.date, counts) -> None:
    plans = CarePlan.objects.bulk_create([b.plan for b in builders])
    through = CarePlan.addresses.through
    through.objects.bulk_create(
        [through(careplan_id=b.plan.pk, condition_id=pk) for b in builders for pk in b.choice.addresses]
    )
    CarePlanRevision.objects.bulk_create(revisions)
    goals = Goal.objects.bulk_create([g for b in builders for g in b.goals.values()])
    work = [w for b in builders for w in b.work]
    tasks = Task.objects.bulk_create([w.task for w in work], batch_size=500)
    events = TaskEvent.objects.bulk_create([e for w in work for e in w.events], batch_size=1000)
    open_tasks = [t for t in tasks if t.status in OPEN_TASK_STATUSES]
    counts.update(careplans=len(plans), goals=len(goals), tasks=len(tasks), tasks_open=len(open_tasks),
                  tasks_overdue=sum(t.due_date < today for t in open_tasks), task_events=len(events))  # fmt: skip
