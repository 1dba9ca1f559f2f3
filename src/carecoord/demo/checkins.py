"""
Check-ins and care-management time for the demo, so the billing-readiness report and the Check-ins and
Progress tabs of a chart are not empty: enrollments in chronic or principal care management, minutes this
month and last, outreach attempts, check-in cadences, home measurements, questionnaires and progress notes.

Who: the coordination organization and the clinic (ENROLLING); the hospital and the nursing home bill no
care management in the demo. About ENROLLED_SHARE of the patients with a chronic care plan of the
organization are enrolled: CCM with two or more chronic conditions (some complex CCM), PCM otherwise or for
a few with one condition in focus; one patient changed from PCM to CCM, one with minutes is not enrolled yet.

Minutes: each enrolled patient gets a story for this month (`_stories`), drawn against the program's code
family in checkins.domain.CODE_FAMILIES: met a threshold (99490, 99490 + 99439 ...), within CLOSE_MINUTES of
the next one, below the first, or nothing yet; the first stories of each organization are fixed so the report
always shows each kind. The provider adds physician/QHP time on a few patients. Last month most patients
reached the first code. Entries are by hand (`time_add`), on days from the enrollment's start up to yesterday
(today on the first of a month).

Also: the latest call that reached each patient with a check-in cadence (and some others) as an outreach
attempt, a few after a failed try, and at the coordination organization one patient not reached three times in
a row (escalated to the supervisor); home blood pressure, daily weights and HbA1c toward the plans' goals;
PHQ-9 series for depression plans, a GAD-7 and PHQ-2 screens (never positive on the self-harm item, so no
safety task); signed phone check-in and care-conference notes with goal progress, and one draft.

Map: `checkins_create` (called by world.py after coverage) writes everything through the checkins services
(time_services, services, measurement_services), acting as the patient's coordinator (or the provider for
physician time); only reads go straight to the models (`_coordinators`, `_open_goals`: what the selectors
coordinator_of and open_goals_for return, in one query each). The services stamp the present: what they wrote
is then dated when it happened (`_dated`), as transitions.py and coverage.py do. Signed notes cannot change
(the database refuses), so a note is dated while still a draft and signed now: its contact time is
`occurred_at`, its signature the load's.
"""

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q, Value
from django.db.models.functions import Least

from carecoord.careplans.choices import OPEN_TASK_STATUSES, CarePlanStatus
from carecoord.careplans.models import CarePlan, Goal, Task, TaskEvent
from carecoord.checkins import measurement_services, services, time_services
from carecoord.checkins.choices import (
    ActivityType,
    Adherence,
    Barrier,
    CareProgram,
    NoteTemplateKey,
    OutreachMethod,
    OutreachOutcome,
)
from carecoord.checkins.domain import CLOSE_MINUTES, CODE_FAMILIES, Program, TimedCode
from carecoord.checkins.instruments import INSTRUMENTS, SELF_HARM_ITEM
from carecoord.checkins.models import (
    Assessment,
    CareManagementEnrollment,
    CheckinCadence,
    Measurement,
    OutreachAttempt,
    ProgressNote,
    TimeEntry,
)
from carecoord.checkins.progress_selectors import SYSTOLIC_BP, billing_practitioners_for
from carecoord.checkins.selectors import ACTIVE_PLAN_STATUSES, OPEN_GOAL_STATUSES
from carecoord.checkins.services import OUTREACH_FOCUS
from carecoord.core import clock
from carecoord.core.access import Actor, actor_for
from carecoord.core.choices import Role
from carecoord.core.models import Membership, Organization, User
from carecoord.directory.models import Practitioner
from carecoord.patients.models import CareTeamMember, Condition, Patient

ENROLLING = ("prairie", "northside")
ENROLLED_SHARE = 0.55
CHRONIC_CATEGORIES = ("chronic", "behavioral_health")
# ICD-10-CM families counted as chronic conditions for CCM eligibility (two or more expected to last a year).
CHRONIC_FAMILIES = ("I10", "I11", "I12", "I13", "I25", "I48", "I50", "E11", "E78", "E66", "J44", "J45", "N18",
                    "F32", "F33", "F41", "F01", "F03", "G30", "M17", "M81", "B18", "E03", "G47")  # fmt: skip
PROVIDER_PATIENTS = {"prairie": 3, "northside": 2}
CADENCES = ((14, "Blood pressure not at goal yet"), (30, "Monthly care-management call"))
UNREACHABLE_AT = "prairie"  # the organization with one patient not reached three times in a row
NOTES_PER_ORG = 3  # signed, plus one draft
WORK_START, WORK_END = 8 * 60 + 30, 16 * 60 + 45  # minutes after midnight

# The fixed first stories of each organization's CCM patients, so the report always shows each kind:
# (kind, index of the threshold in the code family: 0 the base code, 1 the first add-on ...).
FIXED_CCM_STORIES = (("met", 0), ("close", 0), ("met", 1), ("close", 1), ("met", 2), ("low", 0), ("none", 0))
STORY_WEIGHTS = (("met", 0.45), ("close", 0.25), ("low", 0.2), ("none", 0.1))
THRESHOLD_WEIGHTS = (0.6, 0.25, 0.15)

ENTRY_NOTES = {
    ActivityType.CALL: ("Monthly check-in call", "Call about symptoms and medicines", "Follow-up call after the visit",
                        "Call with the patient and daughter"),
    ActivityType.CARE_PLANNING: ("Updated the care plan goals", "Reviewed the care plan with the patient",
                                 "Care plan revised after the visit"),
    ActivityType.MEDICATION: ("Reviewed pharmacy fill history", "Set up a pill organizer; refills synchronized",
                              "Medication list reconciled with the specialist's"),
    ActivityType.COORDINATION: ("Coordinated with the cardiology office", "Sent the visit summary to the PCP",
                                "Arranged home health follow-up"),
    ActivityType.EDUCATION: ("Taught home blood pressure readings", "Low-sodium diet education with teach-back",
                             "Reviewed warning signs and whom to call"),
    ActivityType.RESOURCES: ("Referred to the food pantry", "Arranged transport for the next visit",
                             "Helped apply for utility assistance"),
    ActivityType.DOCUMENTATION: ("Documented the monthly review", "Summarized the month for the provider"),
    ActivityType.ASSESSMENT: ("Depression screening", "Fall-risk questions and home safety review"),
}  # fmt: skip
OTHER_ACTIVITIES = (ActivityType.CARE_PLANNING, ActivityType.MEDICATION, ActivityType.COORDINATION,
                    ActivityType.EDUCATION, ActivityType.RESOURCES, ActivityType.DOCUMENTATION)  # fmt: skip
PROVIDER_NOTES = ("Reviewed and revised the care plan", "Medication changes reviewed with the care manager",
                  "Discussed the plan with the patient's cardiologist")  # fmt: skip
FAILED_NOTES = ("Left a message with the callback number.", "No answer; will try again tomorrow.")
REACHED_NOTES = ("Doing well; no new concerns.", "Symptoms stable; medicines reviewed.",
                 "Reached; questions about the plan answered.")  # fmt: skip

SYMPTOMS = (
    "No new symptoms; sleeping well.",
    "Some ankle swelling in the evenings, better with legs up.",
    "More tired this week; no chest pain or shortness of breath.",
    "Mild dizziness when standing quickly.",
)
NOTE_BODIES = (
    "Monthly care-management call. Reviewed home readings and medicines; the patient knows whom to call with "
    "warning signs. Next call in four weeks.",
    "Checked in after the clinic visit. Patient understands the medicine change and will keep the log of home "
    "readings for the next visit.",
)
CONFERENCE_BODY = (
    "Care conference with the provider and the family: agreed to keep the current plan, add a home health "
    "nursing visit and review the home readings at the next visit."
)
DRAFT_BODY = "Call about the upcoming visit; patient asked about transport. To finish after the visit."
PROGRESS_TEXT = ("Working on it; reports steady progress.", "Better this month; keeping the log.",
                 "Started; needs reminders.")  # fmt: skip

COUNT_LABELS = {
    "enrollments": "Care-management enrollments (CCM, complex CCM, PCM)",
    "time_entries": "Care-management time entries (this month and last)",
    "outreach_attempts": "Outreach attempts",
    "cadences": "Check-in cadences",
    "measurements": "Home measurements",
    "assessments": "Questionnaires (PHQ-9, PHQ-2, GAD-7)",
    "progress_notes": "Progress notes",
}


@dataclass
class _Org:
    org: Organization
    today: dt.date
    coordinators: list[User]
    provider: Actor
    practitioner: Practitioner | None
    actors: dict[int, Actor] = field(default_factory=dict)

    def actor(self, user: User) -> Actor:
        if user.pk not in self.actors:
            self.actors[user.pk] = actor_for(user, self.org)
        return self.actors[user.pk]


@dataclass
class _Enrolled:
    patient: Patient
    plans: list[CarePlan]
    actor: Actor
    program: str
    start: dt.date
    story: tuple[str, int] = ("none", 0)
    calls: list[dt.datetime] = field(default_factory=list)  # when the coordinator reached the patient by phone
    unreachable: bool = False  # not reached three times in a row this month: escalated


def checkins_create(rng: random.Random, *, organizations: dict[str, Organization], today: dt.date, counts,
                    slugs: tuple[str, ...] = ENROLLING) -> None:  # fmt: skip
    """Enrollments, time, outreach, cadences, measurements, questionnaires and notes for `slugs`."""
    mark = clock.now()
    orgs = [organizations[slug] for slug in slugs]
    for org in orgs:
        ctx = _context(org, today)
        enrolled, others = _enroll(rng, ctx)
        _cadences(rng, ctx, enrolled)
        _time(rng, ctx, enrolled, others)
        _outreach(rng, ctx, enrolled)
        _measurements(rng, ctx, enrolled)
        _assessments(rng, ctx, enrolled)
        _notes(rng, ctx, enrolled)
    _dated(orgs, mark)
    counts["enrollments"] = CareManagementEnrollment.objects.filter(organization__in=orgs).count()
    counts["time_entries"] = TimeEntry.objects.filter(organization__in=orgs).count()
    counts["outreach_attempts"] = OutreachAttempt.objects.filter(organization__in=orgs).count()
    counts["cadences"] = CheckinCadence.objects.filter(organization__in=orgs, active=True).count()
    counts["measurements"] = Measurement.objects.filter(organization__in=orgs).count()
    counts["assessments"] = Assessment.objects.filter(organization__in=orgs).count()
    counts["progress_notes"] = ProgressNote.objects.filter(organization__in=orgs).count()
    # Escalations add tasks: the summary's task counts are set again over all organizations, as transitions.py does.
    everyone = list(organizations.values())
    tasks = Task.objects.filter(organization__in=everyone)
    open_tasks = tasks.filter(status__in=OPEN_TASK_STATUSES)
    counts["tasks"], counts["tasks_open"] = tasks.count(), open_tasks.count()
    counts["tasks_overdue"] = open_tasks.filter(due_date__lt=today).count()
    counts["task_events"] = TaskEvent.objects.filter(task__organization__in=everyone).count()


def _context(org: Organization, today: dt.date) -> _Org:
    members = Membership.objects.filter(organization=org, active=True).select_related("user").order_by("pk")
    coordinators = [m.user for m in members if m.role == Role.COORDINATOR]
    provider = next(m.user for m in members if m.role == Role.PROVIDER)
    ctx = _Org(org=org, today=today, coordinators=coordinators, provider=actor_for(provider, org), practitioner=None)
    billers = billing_practitioners_for(ctx.provider)
    ctx.practitioner = (
        billers.filter(family_name=provider.full_name.split()[-1]).order_by("pk").first()
        or billers.order_by("pk").first()
    )
    return ctx


# Times --------------------------------------------------------------------------------------------------------


def _at(rng: random.Random, day: dt.date, ctx: _Org, low: int = WORK_START, high: int = WORK_END) -> dt.datetime:
    """A moment of a working day, never later than now (today's moments fall before the present)."""
    now = clock.now().astimezone(ctx.org.tz)
    if day >= now.date():
        high = min(high, now.hour * 60 + now.minute - 2)
        low = min(low, max(high, 0))
    minutes = rng.randint(low, max(low, high))
    at = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=ctx.org.tz)
    return min(at, clock.now() - dt.timedelta(minutes=1))


def _days(rng: random.Random, low: dt.date, high: dt.date, k: int) -> list[dt.date]:
    """`k` days from `low` to `high` (both included), oldest first; days repeat when the span is short."""
    span = (high - low).days + 1
    offsets = rng.sample(range(span), k) if span >= k else [rng.randrange(span) for _ in range(k)]
    return sorted(low + dt.timedelta(days=o) for o in offsets)


def _last_day(today: dt.date, low: dt.date) -> dt.date:
    """The last day minutes of this month go on: yesterday, or today when the month (or enrollment) begins today."""
    yesterday = today - dt.timedelta(days=1)
    return yesterday if yesterday >= low else today


# Enrollment ---------------------------------------------------------------------------------------------------


def _chronic_count(codes: list[str]) -> int:
    return len({family for family in CHRONIC_FAMILIES for code in codes if code.startswith(family)})


def _enroll(rng: random.Random, ctx: _Org) -> tuple[list[_Enrolled], list[_Enrolled]]:
    """
    Enrolls about ENROLLED_SHARE of the patients with a chronic plan of the organization; returns them, and
    the ones left out (the time loader logs minutes for one of those, whose consent is still to come).
    """
    plans = (
        CarePlan.objects.filter(organization=ctx.org, status=CarePlanStatus.ACTIVE,
                                template__category__in=CHRONIC_CATEGORIES)
        .select_related("patient", "template")
        .order_by("patient__organization__slug", "patient__mrn", "pk")
    )  # fmt: skip
    by_patient: dict[int, list[CarePlan]] = defaultdict(list)
    for plan in plans:
        by_patient[plan.patient_id].append(plan)
    codes = defaultdict(list)
    for patient_id, code in Condition.objects.filter(patient_id__in=by_patient, clinical_status="active").values_list(
        "patient_id", "code"
    ):
        codes[patient_id].append(code)
    coordinators = _coordinators(ctx, list(by_patient))
    candidates = []
    for patient_plans in by_patient.values():
        patient = patient_plans[0].patient
        user = coordinators.get(patient.pk) or ctx.coordinators[0]
        candidates.append(_Enrolled(patient, patient_plans, ctx.actor(user), "", ctx.today))
    rng.shuffle(candidates)
    count = round(len(candidates) * ENROLLED_SHARE)
    enrolled, others = candidates[:count], candidates[count:]
    first_of_month = ctx.today.replace(day=1)
    changed = False
    for n, e in enumerate(enrolled):
        chronic = _chronic_count(codes[e.patient.pk])
        roll = rng.random()
        if chronic < 2 or roll < 0.12:
            e.program = CareProgram.PCM
        elif chronic >= 5 and roll < 0.3:
            e.program = CareProgram.COMPLEX_CCM
        else:
            e.program = CareProgram.CCM
        if n % 7 == 6:  # a new enrollee this month
            e.start = first_of_month + dt.timedelta(days=rng.randrange((ctx.today - first_of_month).days + 1))
        else:
            e.start = ctx.today - dt.timedelta(days=rng.randint(40, 300))
        consent = e.start - dt.timedelta(days=rng.choice((0, 0, 1, 3, 7)))
        if not changed and e.program == CareProgram.CCM and e.start < ctx.today - dt.timedelta(days=90):
            changed = True  # was in PCM for one condition, then moved to CCM
            earlier = e.start - dt.timedelta(days=rng.randint(60, 120))
            _enrollment(ctx, e, CareProgram.PCM, earlier, earlier)
        _enrollment(ctx, e, e.program, consent, e.start)
    _stories(rng, enrolled)
    if ctx.org.slug == UNREACHABLE_AT:
        e = next((e for e in enrolled if e.story[0] == "none" and e.start < ctx.today - dt.timedelta(days=10)), None)
        if e is not None:
            e.unreachable = True
    return enrolled, others


def _coordinators(ctx: _Org, patient_ids: list[int]) -> dict[int, User]:
    """
    Each patient's coordinator here, as checkins.selectors.coordinator_of finds them (the care team's first
    current coordinator who is a member of the organization), for all the patients in one query.
    """
    members = set(Membership.objects.filter(organization=ctx.org, active=True).values_list("user_id", flat=True))
    rows = (
        CareTeamMember.objects.filter(patient_id__in=patient_ids, role="coordinator", user__is_active=True,
                                      user_id__in=members, start_date__lte=ctx.today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=ctx.today))
        .select_related("user")
        .order_by("start_date", "id")
    )  # fmt: skip
    found: dict[int, User] = {}
    for row in rows:
        found.setdefault(row.patient_id, row.user)
    return found


def _open_goals(e: _Enrolled) -> list[Goal]:
    """The patient's open goals on the organization's active plans (checkins.selectors.open_goals_for's order)."""
    return list(
        Goal.objects.filter(patient=e.patient, organization=e.actor.organization,
                            careplan__status__in=ACTIVE_PLAN_STATUSES, lifecycle_status__in=OPEN_GOAL_STATUSES)
        .order_by("careplan__title", "careplan_id", "id")
    )  # fmt: skip


def _enrollment(ctx: _Org, e: _Enrolled, program: str, consent: dt.date, start: dt.date) -> None:
    enrollment = time_services.enrollment_set(actor=e.actor, patient=e.patient, program=program, consent_on=consent,
                                              start_date=start, billing_practitioner=ctx.practitioner)  # fmt: skip
    at = min(dt.datetime.combine(consent, dt.time(11, 0), tzinfo=ctx.org.tz), clock.now())  # consent may be today
    CareManagementEnrollment.objects.filter(pk=enrollment.pk).update(created_at=at, updated_at=at)


def _family(program: str) -> TimedCode:
    return CODE_FAMILIES[(Program(program), "staff")]


def _stories(rng: random.Random, enrolled: list[_Enrolled]) -> None:
    """This month's story of each patient; the organization's first CCM patients take the fixed ones."""
    fixed = list(FIXED_CCM_STORIES)
    for e in enrolled:
        if e.program == CareProgram.CCM and fixed:
            e.story = fixed.pop(0)
            continue
        kinds, weights = zip(*STORY_WEIGHTS, strict=True)
        kind = rng.choices(kinds, weights=weights)[0]
        e.story = (kind, rng.choices(range(len(THRESHOLD_WEIGHTS)), weights=THRESHOLD_WEIGHTS)[0])


def _thresholds(family: TimedCode) -> list[int]:
    addons = family.max_addons if family.max_addons is not None else 2
    return [family.first + n * family.each for n in range(addons + 1)]


def story_minutes(rng: random.Random, family: TimedCode, story: tuple[str, int]) -> int:
    """Staff minutes in a month that tell `story` under `family` (met a threshold, close to one, below, none)."""
    kind, index = story
    thresholds = _thresholds(family)
    threshold = thresholds[min(index, len(thresholds) - 1)]
    if kind == "met":  # short of the next one by more than CLOSE_MINUTES
        return threshold + rng.randint(0, family.each - CLOSE_MINUTES - 1)
    if kind == "close":
        return threshold - rng.randint(1, CLOSE_MINUTES)
    if kind == "low":
        return rng.randint(4, family.first - CLOSE_MINUTES - 1)
    return 0


# Time ---------------------------------------------------------------------------------------------------------


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    parts = max(1, min(parts, total // 3))
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def _entries(rng: random.Random, ctx: _Org, e: _Enrolled, actor: Actor, total: int, low: dt.date, high: dt.date,
             *, call_first: bool = True, notes: tuple[str, ...] = ()) -> None:  # fmt: skip
    """`total` minutes over a few days from `low` to `high`, the first (unless told) on a call with the patient."""
    if total <= 0 or low > high:
        return
    minutes = _split(rng, total, min(math.ceil(total / 25), 4))
    for n, (day, spent) in enumerate(zip(_days(rng, low, high, len(minutes)), minutes, strict=True)):
        activity = ActivityType.CALL if call_first and n == 0 else rng.choice(OTHER_ACTIVITIES)
        note = rng.choice(notes or ENTRY_NOTES[activity])
        time_services.time_add(actor=actor, patient=e.patient, activity=activity, minutes=spent, on_date=day,
                               note=note)  # fmt: skip
        if activity == ActivityType.CALL:
            e.calls.append(_at(rng, day, ctx))


def _time(rng: random.Random, ctx: _Org, enrolled: list[_Enrolled], others: list[_Enrolled]) -> None:
    today = ctx.today
    first = today.replace(day=1)
    last_end = first - dt.timedelta(days=1)
    last_first = last_end.replace(day=1)
    for e in enrolled:
        low = max(last_first, e.start)
        if low <= last_end:
            story = ("met", 0) if rng.random() < 0.8 else ("low", 0)
            minutes = story_minutes(rng, _family(e.program), story)
            _entries(rng, ctx, e, e.actor, minutes, low, last_end, call_first=not e.unreachable)
        low = max(first, e.start)
        _entries(rng, ctx, e, e.actor, story_minutes(rng, _family(e.program), e.story), low, _last_day(today, low))
    # The provider's own time on a few patients (physician/QHP time, its own codes).
    chosen = [e for e in enrolled if e.program != CareProgram.COMPLEX_CCM and e.story[0] != "none"]
    for e in rng.sample(chosen, min(PROVIDER_PATIENTS.get(ctx.org.slug, 0), len(chosen))):
        low = max(first, e.start)
        minutes = rng.choice((12, 18, 26, 31, 34))
        _entries(rng, ctx, e, ctx.provider, minutes, low, _last_day(today, low), call_first=False, notes=PROVIDER_NOTES)
    # Minutes for a patient whose consent is still to come: on the report as not enrolled.
    if others:
        e = others[0]
        _entries(rng, ctx, e, e.actor, rng.randint(12, 25), first, _last_day(today, first))


# Cadences and outreach ----------------------------------------------------------------------------------------


def _cadences(rng: random.Random, ctx: _Org, enrolled: list[_Enrolled]) -> None:
    """Weekly check-ins for heart failure, every two weeks or monthly for some others."""
    for e in enrolled:
        keys = {plan.template.key for plan in e.plans}
        if "heart-failure" in keys:
            interval, reason = 7, "High risk: heart failure (daily weights)"
        elif rng.random() < 0.3:
            interval, reason = rng.choice(CADENCES)
        else:
            continue
        plan = next((p for p in e.plans if p.template.key == "heart-failure"), e.plans[0])
        cadence = services.cadence_set(actor=e.actor, patient=e.patient, interval_days=interval, reason=reason,
                                       careplan=plan)  # fmt: skip
        at = dt.datetime.combine(e.start, dt.time(11, 30), tzinfo=ctx.org.tz)
        CheckinCadence.objects.filter(pk=cadence.pk).update(created_at=at)


def _outreach(rng: random.Random, ctx: _Org, enrolled: list[_Enrolled]) -> None:
    """
    The latest call that reached the patient (from the time entries), for the patients with a check-in cadence
    and some others, a few after a failed try; and, at the coordination organization, one patient not reached
    three times in a row, which escalates to the supervisor.
    """
    cadenced = set(
        CheckinCadence.objects.filter(organization=ctx.org, active=True).values_list("patient_id", flat=True)
    )
    for e in enrolled:
        if e.unreachable:
            _unreachable(rng, ctx, e)
            continue
        if not e.calls or (e.patient.pk not in cadenced and rng.random() < 0.7):
            continue
        at = max(e.calls)
        before = max(at - dt.timedelta(days=rng.randint(1, 2), minutes=rng.randint(0, 90)),
                     dt.datetime.combine(e.start, dt.time(9), tzinfo=ctx.org.tz))  # fmt: skip
        if rng.random() < 0.3 and before < at:
            outcome = rng.choice((OutreachOutcome.VOICEMAIL, OutreachOutcome.NO_ANSWER))
            services.outreach_record(actor=e.actor, patient=e.patient, method=OutreachMethod.PHONE, outcome=outcome,
                                     occurred_at=before, note=rng.choice(FAILED_NOTES))  # fmt: skip
        family = None
        if rng.random() < 0.2:  # the call reached a family member
            family = e.patient.related_persons.filter(active=True).order_by("pk").first()
        services.outreach_record(actor=e.actor, patient=e.patient, method=OutreachMethod.PHONE,
                                 outcome=OutreachOutcome.REACHED, occurred_at=at, related_person=family,
                                 note=rng.choice(REACHED_NOTES))  # fmt: skip


def _unreachable(rng: random.Random, ctx: _Org, e: _Enrolled) -> None:
    outcomes = (OutreachOutcome.VOICEMAIL, OutreachOutcome.NO_ANSWER, OutreachOutcome.VOICEMAIL)
    methods = (OutreachMethod.PHONE, OutreachMethod.PHONE, OutreachMethod.SMS)
    mark = clock.now()
    tries = []
    for days_ago, outcome, method in zip((8, 5, 1), outcomes, methods, strict=True):
        tries.append(_at(rng, max(ctx.today - dt.timedelta(days=days_ago), e.start), ctx))
        services.outreach_record(actor=e.actor, patient=e.patient, method=method, outcome=outcome,
                                 occurred_at=tries[-1], note=rng.choice(FAILED_NOTES))  # fmt: skip
    # The escalation was raised by the third try: dated then.
    last = max(tries)
    tasks = Task.objects.filter(organization=ctx.org, focus_type=OUTREACH_FOCUS, created_at__gte=mark)
    TaskEvent.objects.filter(task__in=tasks, at__gte=mark).update(at=last)
    tasks.update(created_at=last, updated_at=last)


# Measurements and questionnaires ------------------------------------------------------------------------------


def _with_plan(enrolled: list[_Enrolled], *keys: str) -> list[_Enrolled]:
    return [e for e in enrolled if any(plan.template.key in keys for plan in e.plans)]


def _measurements(rng: random.Random, ctx: _Org, enrolled: list[_Enrolled]) -> None:
    """Home blood pressure for hypertension, daily weights for heart failure, an HbA1c or two for diabetes."""
    today = ctx.today
    for e in _with_plan(enrolled, "hypertension")[:2]:
        systolic, diastolic = rng.randint(142, 158), rng.randint(86, 96)
        goals = _open_goals(e)
        systolic_goal = next((g for g in goals if g.measure_code == SYSTOLIC_BP), None)  # else the service picks
        for n, days_ago in enumerate((33, 26, 19, 12, 5)):
            at = _at(rng, today - dt.timedelta(days=days_ago + rng.randint(0, 2)), ctx, 7 * 60, 9 * 60)
            systolic -= rng.randint(1, 5) if n else 0  # a steady improvement (each change of status is a write)
            diastolic -= rng.randint(0, 2) if n else 0
            value, value2 = Decimal(systolic), Decimal(diastolic)
            measurement_services.measurement_record(actor=e.actor, patient=e.patient, kind="bp", value=value,
                                                    value2=value2, occurred_at=at, goal=systolic_goal,
                                                    note="Home reading")  # fmt: skip
    for e in _with_plan(enrolled, "heart-failure")[:1]:
        base = Decimal(rng.randint(700, 1050)) / 10
        for days_ago in range(7, 0, -1):
            bump = Decimal("1.4") if days_ago in (4, 3) else Decimal(0)
            value = base + bump + Decimal(rng.randint(-4, 4)) / 10
            at = _at(rng, today - dt.timedelta(days=days_ago), ctx, 6 * 60 + 30, 8 * 60)
            note = "Up since yesterday: called the nurse line" if days_ago == 4 else "Morning weight"
            measurement_services.measurement_record(actor=e.actor, patient=e.patient, kind="weight", value=value,
                                                    occurred_at=at, note=note)  # fmt: skip
    for e in _with_plan(enrolled, "type-2-diabetes")[:1]:
        first = Decimal(rng.randint(78, 92)) / 10
        for days_ago, value in ((88, first), (rng.randint(2, 6), first - Decimal(rng.randint(3, 9)) / 10)):
            at = _at(rng, today - dt.timedelta(days=days_ago), ctx)
            measurement_services.measurement_record(actor=e.actor, patient=e.patient, kind="hba1c", value=value,
                                                    occurred_at=at, note="Lab result from the clinic")  # fmt: skip


def questionnaire_answers(rng: random.Random, instrument: str, total: int) -> dict[str, int]:
    """Answers adding up to `total`, never positive on the self-harm item (no safety task in the demo)."""
    items = [item.link_id for item in INSTRUMENTS[instrument].items]
    free = [link for link in items if link != SELF_HARM_ITEM]
    answers = dict.fromkeys(items, 0)
    for _ in range(min(total, 3 * len(free))):
        link = rng.choice([link for link in free if answers[link] < 3])
        answers[link] += 1
    return answers


def _assessments(rng: random.Random, ctx: _Org, enrolled: list[_Enrolled]) -> None:
    """PHQ-9 every four weeks for depression plans (improving), a GAD-7, and PHQ-2 screens for a few others."""
    today = ctx.today
    depressed = _with_plan(enrolled, "depression-phq9")[:2]
    for e in depressed:
        baseline = rng.randint(14, 19)
        for days_ago, total in ((58, baseline), (30, baseline - rng.randint(3, 5)), (3, baseline - rng.randint(6, 9))):
            _questionnaire(rng, ctx, e, "phq9", total, today - dt.timedelta(days=days_ago))
    rest = [e for e in enrolled if e not in depressed]
    for e in rest[:2]:
        _questionnaire(rng, ctx, e, "gad7", rng.randint(3, 12), today - dt.timedelta(days=rng.randint(5, 20)))
    for e in rest[2:5]:
        _questionnaire(rng, ctx, e, "phq2", rng.randint(0, 2), today - dt.timedelta(days=rng.randint(5, 25)))


def _questionnaire(rng: random.Random, ctx: _Org, e: _Enrolled, instrument: str, total: int, day: dt.date) -> None:
    services.assessment_record(actor=e.actor, patient=e.patient, instrument=instrument, occurred_at=_at(rng, day, ctx),
                               answers=questionnaire_answers(rng, instrument, total))  # fmt: skip


# Progress notes -----------------------------------------------------------------------------------------------


def _goal_rows(rng: random.Random, goals: list[Goal], today: dt.date) -> list[dict]:
    """Progress on up to two open goals; a status only on goals no measurement decides."""
    rows = []
    for goal in goals[:2]:
        status = "" if goal.target_comparator else rng.choice(("in-progress", "improving"))
        if status == "in-progress" and goal.due_date is not None and goal.due_date < today:
            status = "improving"  # a goal past its date has a result, not "in progress"
        rows.append({"goal": str(goal.public_id), "progress": rng.choice(PROGRESS_TEXT), "status": status})
    return rows


def _notes(rng: random.Random, ctx: _Org, enrolled: list[_Enrolled]) -> None:
    """Signed phone check-ins and a care conference on recent calls, and one draft still to finish."""
    today = ctx.today
    recent = [e for e in enrolled if e.calls and max(e.calls).date() >= today - dt.timedelta(days=10)]
    recent += [e for e in enrolled if e not in recent]
    recent = [e for e in recent if not e.unreachable]
    provider = ctx.provider.user.full_name
    for n, e in enumerate(recent[: NOTES_PER_ORG + 1]):
        goals = _open_goals(e)
        at = max(e.calls) if e.calls else _at(rng, today - dt.timedelta(days=2), ctx)
        structured = {
            "symptoms": rng.choice(SYMPTOMS),
            "adherence": rng.choice((Adherence.TAKING, Adherence.MISSED_SOME)).value,
            "barriers": [b.value for b in rng.sample((Barrier.TRANSPORT, Barrier.COST, Barrier.CAREGIVER),
                                                     rng.randint(0, 1))],
            "goals": _goal_rows(rng, goals, today),
        }  # fmt: skip
        data = {"occurred_at": at, "structured": structured, "body": rng.choice(NOTE_BODIES)}
        template = NoteTemplateKey.PHONE_CHECKIN
        if n == 2:
            template = NoteTemplateKey.CARE_CONFERENCE
            family = e.patient.related_persons.filter(active=True).order_by("pk").first()
            data["participants"] = [{"kind": "provider", "name": provider}] + (
                [{"kind": "family", "name": family.display_name}] if family else []
            )
            data["body"] = CONFERENCE_BODY
        elif n == NOTES_PER_ORG:
            at = _at(rng, today, ctx) if clock.now().astimezone(ctx.org.tz).hour >= 10 else at
            data.update(occurred_at=at, body=DRAFT_BODY)
        note = services.note_create(actor=e.actor, patient=e.patient, template=template, data=data)
        ProgressNote.objects.filter(pk=note.pk).update(created_at=at, updated_at=at)  # still a draft: may change
        if n < NOTES_PER_ORG:
            services.note_sign(actor=e.actor, note=note, expected_version=note.version)


# Dating -------------------------------------------------------------------------------------------------------


def _dated(orgs: list[Organization], mark: dt.datetime) -> None:
    """The rows the services stamped now happened when their own times say (a noon entry of today: now)."""
    now = Value(clock.now())
    for model, when in ((TimeEntry, "started_at"), (OutreachAttempt, "occurred_at"), (Measurement, "occurred_at"),
                        (Assessment, "occurred_at")):  # fmt: skip
        model.objects.filter(organization__in=orgs, created_at__gte=mark).update(
            created_at=Least(F(when), now), updated_at=Least(F(when), now)
        )
