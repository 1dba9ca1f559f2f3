"""
The hospital stays behind the demo's transitional-care (TCM) plans: each patient with a TCM plan was
discharged from Lakeshore General Hospital on the plan's start day, as the hospital's ADT A03 would report it.

Map: `transitions_create` (called by world.py after the care plans) records each discharge through
`transitions.services.encounter_discharge` (the stay with its diagnoses, the transition episode with LACE,
deadlines, checklist and worklist tasks) and the hospital's discharge medication list through
`medications.services.medication_list_create`; the coordinator takes the episode's tasks (`_take`); then
the episode catches up with the plan (`_catch_up`): the steps, checklist and check-ins the plan's tasks show
done are recorded on the episode, and the episode tasks the plan has open are cancelled as duplicates, so a
worklist never shows the same call twice; episodes whose 30 days have passed are closed by
`episodes_close_ended`. The services stamp the present, so `_dated` dates what each call wrote when it
happened in the demo's story (task times and history, checklist, the stay's history), as careplans.py does.
"""

import datetime as dt
import random

from django.db.models import Case, F, Q, Value, When

from carecoord.careplans.choices import OPEN_TASK_STATUSES, GoalAchievementStatus, TaskSource, TaskStatus
from carecoord.careplans.models import CarePlan, Task, TaskEvent
from carecoord.careplans.services import goal_update, task_reassign, task_set_status
from carecoord.core import clock
from carecoord.core.access import Actor, actor_for
from carecoord.core.choices import Role
from carecoord.core.models import Membership, Organization
from carecoord.directory.models import ExternalOrganization, ExternalOrganizationKind
from carecoord.directory.services import external_organization_create
from carecoord.medications.choices import Frequency, ListSource, Route
from carecoord.medications.models import MedicationList
from carecoord.medications.services import medication_list_create
from carecoord.transitions.choices import DischargeDisposition, EncounterClass, EpisodeStatus, TransitionStep
from carecoord.transitions.models import Encounter, TransitionEpisode
from carecoord.transitions.services import (
    EPISODE_FOCUS,
    STEP_FIELDS,
    encounter_discharge,
    episode_check_item,
    episode_record_step,
    episodes_close_ended,
)

from .careplans import _goal_status
from .directory import PLANS

TCM = "post-discharge-tcm"
HOSPITAL_SLUG = "lakeshore"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ORAL, INHALED, SUBCUT = Route.ORAL, Route.INHALATION, Route.SUBCUTANEOUS
D, BID, QHS, PRN = Frequency.DAILY, Frequency.BID, Frequency.QHS, Frequency.PRN

# The reason for the stay, by the problem the plan addresses (ICD-10-CM prefixes, most specific first):
# principal diagnosis, unit, length of stay (days) and the discharge medicines
# (RxNorm ingredient, name, dose, route, frequency, as written).
STAYS = (
    (("I50", "I11.0", "I13"), ("I50.23", "Acute on chronic systolic (congestive) heart failure"), "5 West Cardiology",
     (3, 6), (("4603", "furosemide", "40 mg", ORAL, BID, "1 tablet twice a day (new dose)"),
              ("20352", "carvedilol", "12.5 mg", ORAL, BID, "1 tablet twice a day with food"),
              ("9997", "spironolactone", "25 mg", ORAL, D, "1 tablet every morning (new)"),
              ("83367", "atorvastatin", "40 mg", ORAL, QHS, "1 tablet at bedtime"))),
    (("J44", "J43"), ("J44.1", "Chronic obstructive pulmonary disease with (acute) exacerbation"),
     "6 North Pulmonary", (3, 5),
     (("8640", "prednisone", "40 mg", ORAL, D, "1 tablet every morning for 5 days, then stop"),
      ("435", "albuterol", "2 puffs", INHALED, PRN, "every 4 hours as needed for shortness of breath"),
      ("88249", "montelukast", "10 mg", ORAL, QHS, "1 tablet at bedtime"))),
    (("E11",), ("E11.65", "Type 2 diabetes mellitus with hyperglycemia"), "4 East Medicine", (2, 4),
     (("274783", "insulin glargine", "18 units", SUBCUT, QHS, "18 units at bedtime (new)"),
      ("6809", "metformin", "500 mg", ORAL, BID, "1 tablet twice a day with meals"),
      ("29046", "lisinopril", "10 mg", ORAL, D, "1 tablet every morning"))),
    (("I10", "I12", "I11"), ("I16.0", "Hypertensive urgency"), "4 East Medicine", (1, 3),
     (("17767", "amlodipine", "10 mg", ORAL, D, "1 tablet every morning (dose increased)"),
      ("29046", "lisinopril", "20 mg", ORAL, D, "1 tablet every morning"),
      ("5487", "hydrochlorothiazide", "25 mg", ORAL, D, "1 tablet every morning (new)"))),
)  # fmt: skip
DEFAULT_STAY = (("J18.9", "Pneumonia, unspecified organism"), "4 East Medicine", (3, 5),
                (("723", "amoxicillin", "875 mg", ORAL, BID, "1 tablet twice a day for 5 more days"),
                 ("161", "acetaminophen", "650 mg", ORAL, PRN, "every 6 hours as needed for fever")))  # fmt: skip
ATTENDINGS = ("Chen, Michael MD", "Hospitalist service")
# The plan's tasks whose completion means the episode's step was done (template task titles).
STEP_TASKS = {
    TransitionStep.CONTACT: "Interactive contact within 2 business days",
    TransitionStep.MED_REC: "Medication reconciliation",
}
SERVICES_TASK, VISIT_TASK, CHECK_IN_TASK = (
    "Confirm home health and equipment", "Schedule face-to-face visit", "Readmission watch check-in",
)  # fmt: skip


def transitions_create(rng: random.Random, *, organizations: dict[str, Organization], today: dt.date, counts) -> None:
    """Records the discharge behind every demo TCM plan, with its episode and discharge medication list."""
    plans = (
        CarePlan.objects.filter(organization__in=list(organizations.values()), template__key=TCM)
        .select_related("patient", "organization")
        .prefetch_related("addresses")
        .order_by("organization__slug", "patient__mrn", "pk")
    )
    hospital = organizations[HOSPITAL_SLUG]
    facilities: dict[int, ExternalOrganization] = {}
    for plan in plans:
        org = plan.organization
        if org.pk not in facilities:
            facilities[org.pk] = _facility(org, hospital)
        actor = _coordinator_actor(plan)
        episode, received = _discharge(rng, plan, facilities[org.pk], actor)
        if episode is not None:
            triage = received + dt.timedelta(minutes=rng.randint(10, 50))
            episode = _take(actor, episode, triage)
            _catch_up(rng, plan, episode, actor, today, triage)
            counts["transitions"] += 1
    for org in organizations.values():
        _close_ended(org)
    orgs = list(organizations.values())
    counts["transitions_open"] = TransitionEpisode.objects.filter(
        organization__in=orgs, status=EpisodeStatus.OPEN
    ).count()
    # The episodes' tasks join the care plans' in the summary (set, not added: `counts` is a Counter).
    tasks = Task.objects.filter(organization__in=orgs)
    open_tasks = tasks.filter(status__in=OPEN_TASK_STATUSES)
    counts["tasks"], counts["tasks_open"] = tasks.count(), open_tasks.count()
    counts["tasks_overdue"] = open_tasks.filter(due_date__lt=today).count()
    counts["task_events"] = TaskEvent.objects.filter(task__organization__in=orgs).count()


def _facility(org: Organization, hospital: Organization) -> ExternalOrganization:
    """The hospital in the organization's directory; the hospital's own directory gets it as its ADT feed would."""
    found = ExternalOrganization.objects.filter(
        organization=org, name=hospital.name, kind=ExternalOrganizationKind.HOSPITAL
    ).first()
    if found is not None:
        return found
    _, line, city, zip_code, _ = PLANS[hospital.slug].locations[0]
    admin = Membership.objects.filter(organization=org, role=Role.ORG_ADMIN, active=True).select_related("user")
    data = {"name": hospital.name, "kind": ExternalOrganizationKind.HOSPITAL, "address_line": line, "city": city,
            "state": "IL", "postal_code": zip_code}  # fmt: skip
    return external_organization_create(actor=actor_for(admin.first().user, org), data=data)


def _coordinator_actor(plan: CarePlan) -> Actor:
    owner = (
        Task.objects.filter(careplan=plan, owner__isnull=False).order_by("pk").values_list("owner", flat=True).first()
    )
    member = Membership.objects.filter(organization=plan.organization, role=Role.COORDINATOR, active=True)
    membership = member.filter(user_id=owner).first() or member.order_by("pk").first()
    return actor_for(membership.user, plan.organization)


def _stay_for(plan: CarePlan):
    codes = [c.code for c in plan.addresses.all()] or [c.code for c in plan.patient.conditions.all()]
    for prefixes, principal, unit, days, meds in STAYS:
        if any(code.startswith(prefixes) for code in codes):
            return principal, unit, days, meds
    return DEFAULT_STAY


def _discharge(rng: random.Random, plan: CarePlan, facility: ExternalOrganization, actor: Actor):
    """
    The A03: a stay ending on the plan's start day, mid-morning (the plan was written at discharge planning),
    received minutes later; the coordinator enters the discharge medication list from the summary then.
    Returns the episode (as stored) and the time the discharge was received.
    """
    org, patient = plan.organization, plan.patient
    (code, display), unit, (low, high), meds = _stay_for(plan)
    discharged = dt.datetime.combine(plan.start_date, dt.time(rng.randint(9, 11), rng.choice((0, 15, 30, 45))),
                                     tzinfo=org.tz)  # fmt: skip
    admitted = dt.datetime.combine(
        plan.start_date - dt.timedelta(days=rng.randint(low, high)),
        dt.time(rng.randint(0, 23), rng.choice((5, 20, 35, 50))),
        tzinfo=org.tz,
    )
    secondary = [
        {"system": ICD10CM, "code": c.code, "display": c.display, "type": "F"}
        for c in patient.conditions.filter(clinical_status="active").order_by("code")[:4]
        if c.code != code
    ]
    home_health = rng.random() < 0.4
    disposition = DischargeDisposition.HOME_HEALTH if home_health else DischargeDisposition.HOME
    data = {
        "visit_number": f"V{plan.start_date:%y%m%d}{rng.randint(1000, 9999)}",
        "encounter_class": EncounterClass.INPATIENT,
        "admission_type": rng.choice(("E", "E", "E", "U")),
        "admitted_at": admitted,
        "discharged_at": discharged,
        "location": f"{unit}, room {rng.randint(501, 548) if unit[0] == '5' else rng.randint(401, 648)}",
        "attending": rng.choice(ATTENDINGS),
        "reason": display,
        "diagnoses": [{"system": ICD10CM, "code": code, "display": display, "type": "A"}, *secondary],
        "discharge_disposition": disposition,
        "discharged_to": "Home with Heartland Home Health" if home_health else "Home",
    }
    source = {"event": "A03", "facility": facility.name, "note": "Demo data"}
    received = discharged + dt.timedelta(minutes=rng.randint(3, 40))
    mark = clock.now()
    _, episode = encounter_discharge(organization=org, patient=patient, facility=facility, data=data, source=source)
    lines = [
        {"rxnorm_code": rxcui, "display": name, "dose": dose, "route_code": route, "frequency_code": freq,
         "frequency_text": text, "start_date": plan.start_date}
        for rxcui, name, dose, route, freq, text in meds
    ]  # fmt: skip
    medication_list_create(
        actor=actor, patient=patient, source=ListSource.DISCHARGE, list_date=plan.start_date, lines=lines,
        source_name=f"{facility.name} discharge summary", external_organization=facility,
    )  # fmt: skip
    MedicationList.objects.filter(patient=patient, organization=org, created_at__gte=mark).update(
        created_at=received, updated_at=received
    )
    if episode is None:
        return None, received
    return _backdate(episode, mark, received), received


def _episode_tasks(episode: TransitionEpisode):
    return Task.objects.filter(source=TaskSource.TRANSITIONS, focus_type=EPISODE_FOCUS, focus_id=episode.public_id)


TASK_STAMPS = ("created_at", "updated_at", "completed_at")


def _since(value: dt.datetime | None, mark: dt.datetime) -> bool:
    return value is not None and value >= mark


def _backdate(episode: TransitionEpisode, mark: dt.datetime, at: dt.datetime) -> TransitionEpisode:
    """
    What the services wrote about the episode since `mark` happened at `at`: they stamp the present, and the
    demo's past is written as the care plan loader writes it (task times, task history, checklist, the stay's
    history). Returns the episode as stored.
    """
    ids = list(_episode_tasks(episode).values_list("pk", flat=True))
    TaskEvent.objects.filter(task_id__in=ids, at__gte=mark).update(at=at)
    written = Q(created_at__gte=mark) | Q(updated_at__gte=mark) | Q(completed_at__gte=mark)
    Task.objects.filter(written, pk__in=ids).update(
        **{n: Case(When(**{f"{n}__gte": mark}, then=Value(at)), default=F(n)) for n in TASK_STAMPS}
    )

    def moved(value):
        return at.astimezone(dt.UTC).isoformat() if value and dt.datetime.fromisoformat(value) >= mark else value

    episode = TransitionEpisode.objects.select_related("encounter", "organization", "patient").get(pk=episode.pk)
    stamps = {n: at for n in ("created_at", "updated_at", "closed_at") if _since(getattr(episode, n), mark)}
    checklist = [{**step, "done_at": moved(step.get("done_at"))} for step in episode.checklist]
    TransitionEpisode.objects.filter(pk=episode.pk).update(checklist=checklist, **stamps)
    stay = episode.encounter
    stay_stamps = {n: at for n in ("created_at", "updated_at") if _since(getattr(stay, n), mark)}
    history = [{**entry, "at": moved(entry.get("at"))} for entry in stay.history]
    Encounter.objects.filter(pk=stay.pk).update(history=history, **stay_stamps)
    for target, values in ((episode, {**stamps, "checklist": checklist}), (stay, {**stay_stamps, "history": history})):
        for name, value in values.items():
            setattr(target, name, value)
    return episode


def _dated(when: dt.datetime, of: TransitionEpisode, service, /, **kwargs) -> TransitionEpisode:
    """Calls `service(**kwargs)` and dates what it wrote about episode `of` `when`; returns the episode as stored."""
    mark = clock.now()
    service(**kwargs)
    return _backdate(of, mark, min(when, clock.now()))


def _kind(task: Task, first_keys: dict) -> str:
    """The episode task's kind (contact, med_rec, visit, checklist, check_in), from its own or its series' key."""
    key = task.dedupe_key or first_keys.get(task.series, "")
    return key.rsplit(":", 1)[-1]


def _take(actor: Actor, episode: TransitionEpisode, at: dt.datetime) -> TransitionEpisode:
    """
    The coordinator takes any of the discharge's tasks the feed gave the coordinator pool (a patient whose care
    team has no coordinator of the organization).
    """

    mark = clock.now()
    for task in _episode_tasks(episode).filter(owner__isnull=True, status__in=OPEN_TASK_STATUSES).order_by("pk"):
        task_reassign(actor=actor, task=task, owner=actor.user, expected_version=task.version,
                      note="Taken by the patient's care coordinator")  # fmt: skip
    return _backdate(episode, mark, at)


def _catch_up(rng: random.Random, plan: CarePlan, episode: TransitionEpisode, actor: Actor, today: dt.date,
              triage: dt.datetime) -> TransitionEpisode:  # fmt: skip
    """
    Records on the episode what the plan's completed tasks say was done, when they say it was done, so the
    two tell the same story and the episode's tasks are completed at those times.
    """
    tz = plan.organization.tz
    done = {
        t.title: t for t in Task.objects.filter(careplan=plan, status=TaskStatus.COMPLETED).order_by("due_date", "pk")
    }
    earliest = max(triage, episode.encounter.discharged_at + dt.timedelta(hours=3))
    for step, title in STEP_TASKS.items():
        task = done.get(title)
        if task is not None:
            at = max(task.completed_at, earliest)
            episode = _dated(at, episode, episode_record_step, actor=actor, episode=episode, step=step,
                             note=task.outcome_note, expected_version=episode.version, at=at)  # fmt: skip
    if VISIT_TASK in done and episode.visit_due < today:
        day = max(episode.visit_due - dt.timedelta(days=rng.randint(0, 3)), episode.discharge_day + dt.timedelta(1))
        at = dt.datetime.combine(day, dt.time(10, 30), tzinfo=tz)
        note = "Seen by the primary care clinician; medicines and warning signs reviewed."
        episode = _dated(at, episode, episode_record_step, actor=actor, episode=episode, step=TransitionStep.VISIT,
                         note=note, expected_version=episode.version, at=at)  # fmt: skip
    services = done.get(SERVICES_TASK)
    if services is not None:  # the plan's task covers the checklist: its items were done then
        at = max(services.completed_at, earliest)
        mark = clock.now()
        steps_not_done = {step for step, field in STEP_FIELDS.items() if getattr(episode, field) is None}
        for key in [s["key"] for s in episode.checklist if not s.get("done_at") and s["key"] not in steps_not_done]:
            episode = episode_check_item(actor=actor, episode=episode, key=key, done=True,
                                         expected_version=episode.version)  # fmt: skip
        episode = _backdate(episode, mark, at)
    if CHECK_IN_TASK in done:
        episode = _check_ins_done(rng, plan, actor, episode, today)
    _score_goals_now_past(rng, plan, actor, today)
    return _no_duplicates(actor, plan, episode, triage=triage, ended=episode.window_end < today)


def _score_goals_now_past(rng: random.Random, plan: CarePlan, actor: Actor, today: dt.date) -> None:
    """The discharge moves the plan's goals to the episode's deadlines; those now past get a result, as in careplans."""
    past = plan.goals.filter(due_date__lt=today, achievement_status=GoalAchievementStatus.IN_PROGRESS)
    for goal in past.order_by("pk"):
        result = _goal_status(rng, goal.due_date, today, draft=False, finished=False)
        goal_update(actor=actor, goal=goal, data=result, expected_version=goal.version)


# The plan's task that covers each kind of episode task (the last part of the episode task's dedupe key).
PLAN_TASK_FOR = {**STEP_TASKS, TransitionStep.VISIT: VISIT_TASK, "checklist": SERVICES_TASK, "check_in": CHECK_IN_TASK}
DUPLICATE_NOTE = "The TCM care plan has the same task open; the work is followed there."
ENDED_NOTE = "The 30-day window after the discharge ended."


def _no_duplicates(actor: Actor, plan: CarePlan, episode: TransitionEpisode, *, triage: dt.datetime,
                   ended: bool) -> TransitionEpisode:  # fmt: skip
    """
    An episode task the plan already has open is cancelled with a note when the coordinator takes the
    discharge (the episode's deadlines stay on the dashboard), so a coordinator's worklist does not show the
    same call twice. When the window has ended, what is left is cancelled the next morning.
    """
    open_titles = set(Task.objects.filter(careplan=plan, status__in=OPEN_TASK_STATUSES).values_list("title", flat=True))
    tasks = _episode_tasks(episode)
    first_keys = dict(tasks.filter(occurrence=1).exclude(series=None).values_list("series", "dedupe_key"))
    morning = dt.datetime.combine(
        episode.window_end + dt.timedelta(days=1), dt.time(8, 15), tzinfo=plan.organization.tz
    )
    for task in tasks.filter(status__in=OPEN_TASK_STATUSES).order_by("pk"):
        if not ended and PLAN_TASK_FOR.get(_kind(task, first_keys)) not in open_titles:
            continue
        at = morning if ended else max(task.created_at, triage) + dt.timedelta(minutes=5)
        note = ENDED_NOTE if ended else DUPLICATE_NOTE
        episode = _dated(at, episode, task_set_status, actor=actor, task=task, status=TaskStatus.CANCELLED,
                         expected_version=task.version, note=note)  # fmt: skip
    return episode


def _check_ins_done(rng: random.Random, plan: CarePlan, actor: Actor, episode: TransitionEpisode,
                    today: dt.date) -> TransitionEpisode:  # fmt: skip
    """The episode's weekly check-ins that fell before today were made, by the plan's call of that day if any."""
    calls = {
        t.due_date: t for t in Task.objects.filter(careplan=plan, title=CHECK_IN_TASK, status=TaskStatus.COMPLETED)
    }
    note = "Checked in by phone: no warning symptoms, taking medicines as prescribed."
    while True:
        task = (
            _episode_tasks(episode)
            .filter(title__startswith="Weekly check-in", status__in=OPEN_TASK_STATUSES, due_date__lt=today)
            .order_by("due_date")
            .first()
        )
        if task is None:
            return episode
        call = calls.get(task.due_date)
        minutes = rng.randint(9 * 60, 16 * 60)
        at = call.completed_at if call else dt.datetime.combine(task.due_date, dt.time(minutes // 60, minutes % 60),
                                                                 tzinfo=plan.organization.tz)  # fmt: skip
        outcome = call.outcome_note if call else note
        episode = _dated(at, episode, task_set_status, actor=actor, task=task, status=TaskStatus.COMPLETED,
                         expected_version=task.version, note=outcome)  # fmt: skip


def _close_ended(organization: Organization) -> None:
    """The nightly job closes the episodes whose 30-day window has ended, the night after it did."""
    mark = clock.now()
    episodes_close_ended(organization=organization)
    closed = TransitionEpisode.objects.filter(organization=organization, status=EpisodeStatus.CLOSED,
                                              closed_at__gte=mark)  # fmt: skip
    for episode in closed:
        night = dt.datetime.combine(episode.window_end + dt.timedelta(days=1), dt.time(0, 30), tzinfo=organization.tz)
        night = min(night, clock.now())
        TransitionEpisode.objects.filter(pk=episode.pk).update(closed_at=night, updated_at=night)
