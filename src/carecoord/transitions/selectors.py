"""
Reads on transitions of care, each starting from the patients the actor may see
(`patients_visible_to`) and the actor's organization. Reads of one patient's records are audited.
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Case, Count, DateField, F, Min, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Least

from carecoord.careplans.choices import OPEN_TASK_STATUSES, CarePlanStatus, TaskStatus
from carecoord.careplans.models import Goal, Task
from carecoord.checkins.choices import OutreachOutcome
from carecoord.checkins.models import OutreachAttempt
from carecoord.core import clock, timefmt
from carecoord.core.access import Actor, require_patient_reader
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import NotFoundError
from carecoord.directory.models import ExternalOrganization
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patients_visible_to, readable_writers_q
from carecoord.scheduling.choices import BLOCKING_STATUSES, AppointmentStatus
from carecoord.scheduling.models import Appointment
from carecoord.scheduling.outside_services import provider_label

from . import domain
from .choices import Complexity, EpisodeStatus, TransitionStep
from .models import Encounter, TransitionEpisode


def episodes_for(actor: Actor) -> QuerySet[TransitionEpisode]:
    """Every episode of the actor's organization about a patient the actor may see."""
    require_patient_reader(actor)
    return TransitionEpisode.objects.filter(
        organization=actor.organization, patient__in=patients_visible_to(actor)
    ).select_related("organization", "patient", "encounter", "encounter__facility", "readmission")


def episodes_open_for(actor: Actor) -> QuerySet[TransitionEpisode]:
    """The open episodes of the actor's organization, soonest contact deadline first (the dashboard's list)."""
    return episodes_for(actor).filter(status=EpisodeStatus.OPEN).order_by("contact_due", "discharge_day", "id")


def episode_get(actor: Actor, public_id, *, audit_event: str | None = "episode.view") -> TransitionEpisode:
    """One episode the actor may see; NotFoundError for a missing or forbidden one alike."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    episode = episodes_for(actor).filter(public_id=key).first()
    if episode is None:
        raise NotFoundError()
    if audit_event:
        audit_record(actor=actor, event=audit_event, action=AuditAction.READ, target=episode, patient=episode.patient)
    return episode


def encounters_for(actor: Actor) -> QuerySet[Encounter]:
    """
    The stays of the patients the actor may see, recorded by a writer the actor may read (`readable_writers_q`):
    a hospital's discharge is what a partner the patient is shared with hands off from, and a stay a partner
    recorded reaches the home organization (the FHIR Encounter API and the Hospital stays tab).
    """
    require_patient_reader(actor)
    return Encounter.objects.filter(patient__in=patients_visible_to(actor)).filter(readable_writers_q(actor))


def encounters_for_patient(actor: Actor, patient: Patient) -> QuerySet[Encounter]:
    """A patient's stays recorded by a writer the actor may read (`readable_writers_q`), newest first."""
    require_patient_reader(actor)
    if not patients_visible_to(actor).filter(pk=patient.pk).exists():
        raise NotFoundError()
    return (
        Encounter.objects.filter(patient=patient)
        .filter(readable_writers_q(actor, patient))
        .select_related("facility", "episode", "episode__organization", "episode__readmission")
        .prefetch_related("readmission_of")
    )


@dataclass(frozen=True)
class StepState:
    """Where one deadline of an episode stands on `today`: done (on time or late), due, overdue."""

    step: str
    due: dt.date
    done_at: dt.datetime | None
    state: str  # "done", "done_late", "due", "overdue"


def episode_progress(episode: TransitionEpisode, today: dt.date | None = None) -> list[StepState]:
    """The three deadlines of an episode and where each stands (for the dashboard and the episode page)."""
    tz = episode.organization.tz
    today = today or clock.today_in(tz)
    steps = (
        ("contact", episode.contact_due, episode.contact_at),
        ("med_rec", episode.med_rec_due, episode.med_rec_at),
        ("visit", episode.visit_due, episode.visit_at),
    )
    result = []
    for step, due, done_at in steps:
        if done_at is not None:
            state = "done" if done_at.astimezone(tz).date() <= due else "done_late"
        else:
            state = "overdue" if today > due else "due"
        result.append(StepState(step=step, due=due, done_at=done_at, state=state))
    return result


def episode_tcm_code(episode: TransitionEpisode) -> str | None:
    """99496, 99495 or None: whether what was documented on the episode supports a TCM code."""
    tz = episode.organization.tz

    def day(moment):
        return moment.astimezone(tz).date() if moment else None

    return domain.tcm_code_supported(
        discharge_day=episode.discharge_day,
        contact_day=day(episode.contact_at),
        contact_due=episode.contact_due,
        visit_day=day(episode.visit_at),
        med_rec_day=day(episode.med_rec_at),
        complexity=episode.complexity,
    )


# --- the dashboard ---------------------------------------------------------------------------------------------

FAR_FUTURE = dt.date(9999, 12, 31)
RISK_BANDS = {label: (low, high) for low, high, label in domain.LACE_BANDS}


def _open_step_due(done_field: str, due_field: str):
    """The step's due date while it is not done; far in the future once it is (so it never is the nearest)."""
    return Case(When(**{f"{done_field}__isnull": True}, then=F(due_field)), default=Value(FAR_FUTURE))


def _late_filter(today: dt.date) -> Q:
    return (
        Q(contact_at__isnull=True, contact_due__lt=today)
        | Q(med_rec_at__isnull=True, med_rec_due__lt=today)
        | Q(visit_at__isnull=True, visit_due__lt=today)
    )


# The dashboard's discharge-day filter: how many days back from today it reaches (0 = today only).
DISCHARGED_WITHIN = {"today": (0, 0), "yesterday": (1, 1), "week": (0, 6)}


def episodes_dashboard(
    actor: Actor, *, facility=None, risk: str = "", late_only: bool = False, today: dt.date | None = None,
    discharged: str = "", sort: str = "",
) -> QuerySet[TransitionEpisode]:  # fmt: skip
    """
    The open episodes for the dashboard, with the first visit booked since the discharge (`visit_booked_at`),
    nearest open deadline first (`next_due`: the earliest of the contact,
    medication reconciliation and visit deadlines not yet met, else the end of the 30-day window), or latest
    discharge first (`sort="discharge"`), filtered by facility, LACE risk band, "late only" (a deadline passed
    without the step done) and discharge day ("today", "yesterday", "week": the last 7 days).
    """
    today = today or clock.today_in(actor.organization.tz)
    episodes = episodes_for(actor).filter(status=EpisodeStatus.OPEN)
    if discharged in DISCHARGED_WITHIN:
        nearest, farthest = DISCHARGED_WITHIN[discharged]
        first, last = today - dt.timedelta(days=farthest), today - dt.timedelta(days=nearest)
        episodes = episodes.filter(discharge_day__gte=first, discharge_day__lte=last)
    if facility is not None:
        episodes = episodes.filter(encounter__facility=facility)
    if risk in RISK_BANDS:
        low, high = RISK_BANDS[risk]
        episodes = episodes.filter(lace_score__gte=low, lace_score__lte=high)
    if late_only:
        episodes = episodes.filter(_late_filter(today))
    first_visit = Appointment.objects.filter(
        organization=OuterRef("organization"), patient=OuterRef("patient"), status__in=BLOCKING_STATUSES,
        start__gte=OuterRef("encounter__discharged_at"), start__date__lte=OuterRef("window_end"),
    ).order_by("start")  # fmt: skip
    episodes = episodes.annotate(
        visit_booked_at=Subquery(first_visit.values("start")[:1]),
        next_due=Least(
            _open_step_due("contact_at", "contact_due"),
            _open_step_due("med_rec_at", "med_rec_due"),
            _open_step_due("visit_at", "visit_due"),
            F("window_end"),
            output_field=DateField(),
        ),
    )
    if sort == "discharge":
        return episodes.order_by("-discharge_day", "next_due", "-id")
    return episodes.order_by("next_due", "discharge_day", "id")


def dashboard_counts(actor: Actor, today: dt.date | None = None) -> dict:
    """
    How many open episodes there are, how many are late, at high risk, readmitted, discharged today and
    yesterday (the dashboard's tiles).
    """
    today = today or clock.today_in(actor.organization.tz)
    low, high = RISK_BANDS["high"]
    return (
        episodes_for(actor)
        .filter(status=EpisodeStatus.OPEN)
        .aggregate(
            open=Count("id"),
            late=Count("id", filter=_late_filter(today)),
            high_risk=Count("id", filter=Q(lace_score__gte=low, lace_score__lte=high)),
            readmitted=Count("id", filter=Q(readmission__isnull=False)),
            today=Count("id", filter=Q(discharge_day=today)),
            yesterday=Count("id", filter=Q(discharge_day=today - dt.timedelta(days=1))),
        )
    )


def dashboard_facilities(actor: Actor) -> QuerySet[ExternalOrganization]:
    """The facilities the organization's open episodes came from (the dashboard's facility filter)."""
    require_patient_reader(actor)
    return ExternalOrganization.objects.filter(
        organization=actor.organization,
        encounters__organization=actor.organization,
        encounters__episode__status=EpisodeStatus.OPEN,
    ).distinct()


def lace_risk(score: int | None) -> str:
    """The LACE band of a score ("low", "moderate", "high"), or "" when there is no score."""
    if score is None:
        return ""
    return next((label for low, high, label in domain.LACE_BANDS if low <= score <= high), "")


def readmission_days(episode: TransitionEpisode) -> int | None:
    """Days from the discharge to the readmission that flagged this episode, or None."""
    readmission = episode.readmission
    if readmission is None or readmission.admitted_at is None:
        return None
    return (readmission.admitted_at.astimezone(episode.organization.tz).date() - episode.discharge_day).days


# --- TCM: why a code is or is not supported --------------------------------------------------------------------


def episode_tcm_reasons(episode: TransitionEpisode) -> list[str]:
    """
    What the documentation lacks for TCM (empty when 99496 or 99495 is supported as documented, or it says why
    a high-complexity episode supports only 99495): the reasons a coordinator can act on, in order.
    """
    tz = episode.organization.tz

    def day(moment):
        return moment.astimezone(tz).date() if moment else None

    contact, visit, med_rec = day(episode.contact_at), day(episode.visit_at), day(episode.med_rec_at)
    reasons = []
    if contact is None:
        reasons.append(f"No interactive contact is recorded (due by {timefmt.day(episode.contact_due)}).")
    elif contact > episode.contact_due:
        reasons.append(
            f"The interactive contact on {timefmt.day(contact)} came after its deadline of "
            f"{timefmt.day(episode.contact_due)} "
            "(2 business days)."
        )
    if visit is None:
        reasons.append(f"No face-to-face visit is recorded (due by {timefmt.day(episode.visit_due)}).")
    if med_rec is None:
        reasons.append("No medication reconciliation is recorded.")
    elif visit is not None and med_rec > visit:
        reasons.append(
            f"Medications were reconciled on {timefmt.day(med_rec)}, after the visit on {timefmt.day(visit)}."
        )
    if visit is not None:
        days = (visit - episode.discharge_day).days
        moderate, high = domain.VISIT_DAYS[Complexity.MODERATE], domain.VISIT_DAYS[Complexity.HIGH]
        if days > moderate:
            reasons.append(f"The visit was {days} days after the discharge; TCM needs it within {moderate} days.")
        elif episode.complexity == Complexity.HIGH and days > high:
            reasons.append(
                f"The visit was {days} days after the discharge: 99496 needs it within {high} days, so high "
                "complexity supports 99495."
            )
        elif episode.complexity == Complexity.MODERATE and not reasons:
            reasons.append("Moderate complexity supports 99495; 99496 needs high complexity and a visit within 7 days.")
    return reasons


# --- the patient's TCM care plan -----------------------------------------------------------------------------

# The built-in TCM template (careplans/builtin_content.py); an organization's copy keeps its key ("-2"... when
# taken). Its tasks do the same work as the episode's: the episode task kind (the last part of its dedupe key)
# -> the template task's key, which a plan's task keeps (Task.template_task_key) and a copy keeps whatever its
# tasks are retitled. The template task "Schedule face-to-face visit" (key "visit") counts as the visit step:
# a visit done was booked.
TCM_TEMPLATE_KEY = "post-discharge-tcm"
TCM_STEP_TASKS: dict[str, str] = {
    TransitionStep.CONTACT: "contact",
    TransitionStep.MED_REC: "med_rec",
    TransitionStep.VISIT: "visit",
    "check_in": "check_in",
}
# A plan whose tasks are on the worklist: in force, or written and waiting for a provider's approval.
LIVE_PLAN_STATUSES = (CarePlanStatus.ACTIVE, CarePlanStatus.DRAFT)


CHECK_IN_AFTER_DAYS = 7  # the first weekly check-in, a week after the discharge


def is_tcm_template_key(key: str) -> bool:
    return key == TCM_TEMPLATE_KEY or key.startswith(f"{TCM_TEMPLATE_KEY}-")


def tcm_due_dates(episode: TransitionEpisode) -> dict[str, dict[str, dt.date]]:
    """
    The due dates a TCM care plan takes from the episode (one source of truth: the episode's deadlines, business
    days for the contact), by template task key: "tasks" for the plan's tasks, "goals" for the goal each task
    serves (the readmission goal, served by the check-ins, ends with the 30-day window).
    """
    keys = TCM_STEP_TASKS
    return {
        "tasks": {
            keys[TransitionStep.CONTACT]: episode.contact_due,
            keys[TransitionStep.MED_REC]: episode.med_rec_due,
            keys[TransitionStep.VISIT]: episode.visit_due,
            keys["check_in"]: episode.discharge_day + dt.timedelta(days=CHECK_IN_AFTER_DAYS),
        },
        "goals": {
            keys[TransitionStep.CONTACT]: episode.contact_due,
            keys[TransitionStep.MED_REC]: episode.med_rec_due,
            keys[TransitionStep.VISIT]: episode.visit_due,
            keys["check_in"]: episode.window_end,
        },
    }


def latest_open_episode(organization_id: int, patient_id: int) -> TransitionEpisode | None:
    """The patient's most recent open episode in the organization (the one a new TCM plan is for)."""
    return (
        TransitionEpisode.objects.filter(organization=organization_id, patient=patient_id, status=EpisodeStatus.OPEN)
        .order_by("-discharge_day", "-id")
        .first()
    )


def tcm_plan_goals(episode: TransitionEpisode) -> list[tuple[Goal, dt.date]]:
    """
    The goals of the patient's live TCM plans served by a keyed task, each with the due date the episode gives
    it (tcm_due_dates), when that differs from the goal's own.
    """
    due_by_key = tcm_due_dates(episode)["goals"]
    key = "careplan__template__key"
    template = Q(**{key: TCM_TEMPLATE_KEY}) | Q(**{f"{key}__startswith": f"{TCM_TEMPLATE_KEY}-"})
    goals = (
        Goal.objects.filter(template, organization=episode.organization_id, patient=episode.patient_id)
        .filter(careplan__status__in=LIVE_PLAN_STATUSES, tasks__template_task_key__in=list(due_by_key))
        .annotate(task_key=Min("tasks__template_task_key"))
        .order_by("id")
    )
    return [(goal, due_by_key[goal.task_key]) for goal in goals if goal.due_date != due_by_key[goal.task_key]]


def tcm_plan_tasks(episode: TransitionEpisode, step: str) -> QuerySet[Task]:
    """
    The open tasks of the patient's live TCM care plans in the episode's organization that do the work of the
    episode's `step` (a TransitionStep or "check_in"); none for any other step. Callers have checked access.
    """
    if step not in TCM_STEP_TASKS:
        return Task.objects.none()
    return (
        _live_tcm_tasks(step)
        .filter(organization=episode.organization_id, patient=episode.patient_id, status__in=OPEN_TASK_STATUSES)
        .select_related("careplan")
        .order_by("due_date", "id")
    )


def tcm_plan_tasks_done(episode: TransitionEpisode, step: str, since: dt.datetime) -> QuerySet[Task]:
    """The tasks of the patient's live TCM plans doing `step` that were completed at or after `since`."""
    if step not in TCM_STEP_TASKS:
        return Task.objects.none()
    return _live_tcm_tasks(step).filter(
        organization=episode.organization_id,
        patient=episode.patient_id,
        status=TaskStatus.COMPLETED,
        completed_at__gte=since,
    )


def tcm_plan_step(task: Task, steps) -> str | None:
    """The one of `steps` a live TCM care plan's task does, whatever the task's status; else None."""
    if task.careplan_id is None:
        return None
    for step in steps:
        if task.template_task_key == TCM_STEP_TASKS[step]:
            return step if _live_tcm_tasks(step).filter(pk=task.pk).exists() else None
    return None


def _live_tcm_tasks(step: str) -> QuerySet[Task]:
    """Tasks doing `step` on the draft or active plans made from the TCM template or an organization's copy."""
    key = "careplan__template__key"
    template = Q(**{key: TCM_TEMPLATE_KEY}) | Q(**{f"{key}__startswith": f"{TCM_TEMPLATE_KEY}-"})
    live = Q(careplan__status__in=LIVE_PLAN_STATUSES)
    return Task.objects.filter(template, live, template_task_key=TCM_STEP_TASKS[step])


@dataclass(frozen=True)
class ContactNote:
    how: str  # the outreach method by name, "" when not known
    note: str


def episode_contact_note(episode: TransitionEpisode) -> ContactNote | None:
    """
    What the coordinator wrote about the interactive contact: the outreach it was recorded as, else (a contact
    recorded before contacts were kept as outreach) the outcome note of the episode's contact task.
    """
    if episode.contact_at is None:
        return None
    attempt = (
        OutreachAttempt.objects.filter(
            organization=episode.organization_id,
            patient=episode.patient_id,
            occurred_at=episode.contact_at,
            outcome=OutreachOutcome.REACHED,
        )
        .order_by("-id")
        .first()
    )
    if attempt is not None:
        return ContactNote(how=attempt.get_method_display(), note=attempt.note)
    task = (
        Task.objects.filter(
            focus_type="transitions.TransitionEpisode",
            focus_id=episode.public_id,
            dedupe_key__endswith=f":{TransitionStep.CONTACT}",
            status=TaskStatus.COMPLETED,
        )
        .order_by("-completed_at", "-id")
        .first()
    )
    return ContactNote(how="", note=task.outcome_note) if task is not None and task.outcome_note else None


def episode_tcm_plans(episode: TransitionEpisode) -> list:
    """The patient's live TCM care plans whose open tasks do this episode's steps (the episode page links them)."""
    plans = {}
    for step in TCM_STEP_TASKS:
        for task in tcm_plan_tasks(episode, step):
            plans.setdefault(task.careplan_id, task.careplan)
    return list(plans.values())


# --- the face-to-face visit booked in scheduling -----------------------------------------------------------------

# A visit that was held: the patient came (inside: arrived, checked in, fulfilled; outside: attended).
VISIT_HELD_STATUSES = (AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN, AppointmentStatus.FULFILLED)


def episode_visit_appointments(episode: TransitionEpisode) -> QuerySet[Appointment]:
    """
    The patient's visits booked in the episode's organization (inside or recorded as outside) that fall in the
    30-day window and still hold the time (requested, booked or held), earliest first. Callers checked access.
    """
    tz = episode.organization.tz
    first = dt.datetime.combine(episode.discharge_day, dt.time.min, tzinfo=tz)
    after = dt.datetime.combine(episode.window_end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return (
        Appointment.objects.filter(
            organization=episode.organization_id,
            patient=episode.patient_id,
            status__in=BLOCKING_STATUSES,
            start__gte=first,
            start__lt=after,
        )
        .select_related("practitioner", "external_organization", "location", "appointment_type")
        .order_by("start", "id")
    )


@dataclass(frozen=True)
class BookedVisit:
    """A visit in the episode's window as the episode page shows it."""

    appointment: Appointment
    day: dt.date
    with_whom: str
    held: bool
    late: bool  # after the face-to-face deadline

    @property
    def url(self) -> str:
        return self.appointment.get_absolute_url()


def episode_booked_visits(episode: TransitionEpisode) -> list[BookedVisit]:
    """The visits of `episode_visit_appointments`, each with its local day, whom it is with and whether it is late."""
    tz = episode.organization.tz
    visits = []
    for appointment in episode_visit_appointments(episode):
        day = appointment.start.astimezone(tz).date()
        visits.append(
            BookedVisit(
                appointment=appointment,
                day=day,
                with_whom=provider_label(appointment),
                held=appointment.status in VISIT_HELD_STATUSES,
                late=day > episode.visit_due,
            )
        )
    return visits


def late_visit_warning(episode: TransitionEpisode, visits: list[BookedVisit]) -> str:
    """A warning when every visit booked for the episode is after its face-to-face deadline; else ""."""
    if episode.visit_at is not None or not visits or not all(visit.late for visit in visits):
        return ""
    return (
        f"The booked visit on {timefmt.day(visits[0].day)} is after the {timefmt.day(episode.visit_due)} deadline "
        "for the face-to-face visit: TCM needs it by then. Look for an earlier time."
    )
