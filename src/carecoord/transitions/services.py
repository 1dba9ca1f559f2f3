"""
Writes on transitions of care. The HL7 v2 feed (interop.hl7v2.handler) calls the `encounter_*` services
with `actor=None` (the organization acting through its feed, see careplans.services._system_actor); people
call the `episode_*` services.

- `encounter_admit` (A01): the stay is recorded, the care team gets a task and an email notice, and an
  admission within 30 days of an earlier discharge flags that episode as readmitted.
- `encounter_transfer` (A02): the new location.
- `encounter_register` (A04): an ED or outpatient registration; an ED visit gets a follow-up task.
- `encounter_discharge` (A03): the stay ends, LACE is computed, a transition episode opens with its
  deadlines as worklist tasks and the checklist the discharge disposition picks. A step the patient's TCM
  care plan (template "post-discharge-tcm") already has an open task for is left to that task, its due date
  (and its goal's) set to the episode's deadline, so the worklist never shows the same call twice.
- `encounter_update` (A08): corrections to the stay; an open episode's deadlines follow a corrected
  discharge. Demographics the hospital reports are kept in the encounter's history, not written on the chart.
- `encounter_cancel_admit` (A11) and `encounter_cancel_discharge` (A13): undo what the admit or the
  discharge created (tasks cancelled, never deleted) and keep what happened in the history. The TCM plan's
  tasks are the plan's: a cancelled discharge leaves them open.
- `episode_sync_visit` (scheduling's `appointment_changed`): a visit booked in the episode's window closes the
  tasks to book it; a visit held (arrived, checked in, fulfilled, or attended outside) records the face-to-face
  step; a cancelled or missed visit that leaves none booked gives a new task to book it again when a task to
  book it had been closed by the booking (the episode's own face-to-face task, still open, already asks).
- `episode_record_step`: a step done completes the episode's task for it and the TCM plan's open task for the
  same work (which ends that task's escalation); the interactive contact is also recorded as the outreach
  that reached the patient, so its note is on the patient's timeline.

Every change appends to `Encounter.history` ({at, event, source, changes, note}) and leaves audit entries.
Times are stored in UTC; days (discharge day, deadlines) are the organization's local days, and business
days skip the holidays of the organization's state.
"""

import contextvars
import datetime as dt
import uuid

from django.db import transaction
from django.db.models import F, QuerySet

from carecoord.careplans.choices import OPEN_TASK_STATUSES, TaskKind, TaskPriority, TaskSource, TaskStatus
from carecoord.careplans.models import Goal, Task, TaskEvent
from carecoord.careplans.services import _system_actor, task_create, task_set_status
from carecoord.checkins.choices import OutreachMethod, OutreachOutcome
from carecoord.checkins.models import OutreachAttempt
from carecoord.checkins.services import outreach_record
from carecoord.core import clock
from carecoord.core.access import Actor, require_patient_editor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import NotFoundError, ValidationError
from carecoord.core.models import Organization
from carecoord.core.versioning import save_versioned
from carecoord.directory.models import ExternalOrganization
from carecoord.messaging.choices import Channel
from carecoord.messaging.services import message_queue
from carecoord.patients.choices import CareTeamRole
from carecoord.patients.models import CareTeamMember, Patient
from carecoord.patients.selectors import patients_visible_to

from . import domain, selectors
from .checklists import checklist_for, episode_checklist
from .choices import (
    CONTACT_METHODS,
    Complexity,
    DischargeDisposition,
    EncounterClass,
    EncounterStatus,
    EpisodeStatus,
    TransitionStep,
)
from .models import Encounter, TransitionEpisode

ENCOUNTER_FOCUS = "transitions.Encounter"
EPISODE_FOCUS = "transitions.TransitionEpisode"
ENCOUNTER_FIELDS = (
    "visit_number", "encounter_class", "admission_type", "admitted_at", "discharged_at", "location", "attending",
    "reason", "diagnoses", "discharge_disposition", "discharged_to",
)  # fmt: skip
READMISSION_DAYS = 30  # an admission within 30 days of a discharge is a readmission (HEDIS PCR, CMS HRRP)
ED_FOLLOW_UP_DAYS = 7  # HEDIS FMC/FUA/FUM: follow-up within 7 days of an ED visit
ED_LOOKBACK_DAYS = 182  # LACE "E": emergency visits in the 6 months before the admission
INDEX_ED_HOURS = 24  # an ED visit at the same facility up to a day before the admission is its index visit
WEEKLY_CHECK_INS = 4  # high risk: weekly check-ins across the 30-day window
NOT_COUNTED_STATUSES = (EncounterStatus.CANCELLED, EncounterStatus.ENTERED_IN_ERROR)

# Set while a step is being recorded, or a scheduling task closed because a visit was booked: the task
# completions that follow must not record an episode step of their own (receivers.record_step_of_completed_task).
recording_step: contextvars.ContextVar[bool] = contextvars.ContextVar("transitions_recording_step", default=False)


# --- shared steps --------------------------------------------------------------------------------------------


def _acting(actor: Actor | None, organization: Organization) -> Actor:
    """The person acting, or the organization acting through its feed."""
    return actor if actor is not None else _system_actor(organization)


def _require_patient(actor: Actor, patient: Patient) -> None:
    if not patients_visible_to(actor).filter(pk=patient.pk).exists():
        raise NotFoundError()


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _apply(encounter: Encounter, data: dict) -> dict:
    """Sets the given fields; returns {field: [before, after]} for those that changed (JSON-ready)."""
    changes = {}
    for name, value in data.items():
        if name not in (*ENCOUNTER_FIELDS, "status"):
            raise TypeError(f"Encounter has no field {name} to set here")
        before = getattr(encounter, name)
        if before != value:
            changes[name] = [_plain(before), _plain(value)]
            setattr(encounter, name, value)
    return changes


def _record(encounter: Encounter, event: str, source: dict, changes: dict, note: str = "") -> None:
    entry = {"at": clock.now().isoformat(), "event": event, "source": source, "changes": changes}
    if note:
        entry["note"] = note
    encounter.history = [*encounter.history, entry]


def _save(encounter: Encounter) -> None:
    if encounter.pk is not None:
        encounter.version += 1
    _check_encounter(encounter)
    encounter.save()


def _check_encounter(encounter: Encounter) -> None:
    if encounter.encounter_class not in EncounterClass.values:
        raise ValidationError(f"Unknown encounter class “{encounter.encounter_class}”.", field="encounter_class")
    if encounter.discharge_disposition not in DischargeDisposition.values:
        encounter.discharge_disposition = ""
    if encounter.admitted_at and encounter.discharged_at and encounter.discharged_at < encounter.admitted_at:
        raise ValidationError("The discharge is before the admission.", field="discharged_at")


def _rounds(encounter: Encounter, event: str) -> int:
    """How many times `event` happened to this encounter (keys tasks so a re-admit or re-discharge is new work)."""
    return sum(1 for entry in encounter.history if entry.get("event") == event)


def _find_encounter(
    organization: Organization, patient: Patient, facility: ExternalOrganization | None, visit_number: str, *,
    statuses: tuple[str, ...] | None = None,
) -> Encounter | None:  # fmt: skip
    """The stay a message is about: by visit number at the facility, else the patient's latest there."""
    stays = Encounter.objects.select_for_update().filter(organization=organization, patient=patient, facility=facility)
    if statuses:
        stays = stays.filter(status__in=statuses)
    if visit_number:
        return stays.filter(visit_number=visit_number).order_by("-admitted_at", "-id").first()
    return stays.order_by("-admitted_at", "-id").first()


def _local_day(organization: Organization, moment: dt.datetime) -> dt.date:
    return moment.astimezone(organization.tz).date()


def _day_text(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _facility_name(encounter: Encounter) -> str:
    return encounter.facility.name if encounter.facility_id else "the hospital"


def _coordinator_of(patient: Patient, organization: Organization, day: dt.date):
    """
    The patient's current care-team coordinator who is active staff of this organization, if there is one. The
    care team is the patient's home organization's record (patients.services.care_team_add), so for a patient
    shared with a coordination organization its coordinator sits on the home record: looking only at
    records kept by `organization` sent a shared patient's discharge tasks to the whole coordinator pool.
    """
    members = CareTeamMember.objects.filter(
        patient=patient,
        role=CareTeamRole.COORDINATOR,
        user__is_active=True,
        user__memberships__organization=organization,
        user__memberships__active=True,
    ).select_related("user")
    for member in members.order_by("start_date", "pk"):
        if member.is_current(day):
            return member.user
    return None


def _owner(patient: Patient, organization: Organization) -> dict:
    """Who a transition task goes to: the care-team coordinator, else anyone in the coordinator role."""
    user = _coordinator_of(patient, organization, clock.today_in(organization.tz))
    return {"owner": user} if user else {"owner_role": Role.COORDINATOR}


def _task(actor: Actor, patient: Patient, *, focus_type: str, focus_id: uuid.UUID, key: str, **fields) -> Task:
    return task_create(
        actor=None if actor.user is None else actor,
        organization=actor.organization,
        patient=patient,
        source=TaskSource.TRANSITIONS,
        focus_type=focus_type,
        focus_id=focus_id,
        dedupe_key=key,
        **_owner(patient, actor.organization),
        **fields,
    )


def _cancel_open_tasks(actor: Actor, tasks: QuerySet[Task], note: str) -> int:
    """Cancels (never deletes) the open tasks, each with a history entry and an audit record."""
    count = 0
    for task in tasks.filter(status__in=OPEN_TASK_STATUSES):
        task_set_status(actor=actor, task=task, status=TaskStatus.CANCELLED, expected_version=task.version, note=note)
        count += 1
    return count


def _tasks_about(focus_type: str, focus_id: uuid.UUID) -> QuerySet[Task]:
    return Task.objects.filter(source=TaskSource.TRANSITIONS, focus_type=focus_type, focus_id=focus_id)


def _audit(actor: Actor, event: str, action: str, target, patient: Patient, **detail) -> None:
    audit_record(actor=actor, event=event, action=action, target=target, patient=patient, detail=detail)


# --- admission, transfer, registration ----------------------------------------------------------------------


@transaction.atomic
def encounter_admit(
    *, organization: Organization, patient: Patient, facility: ExternalOrganization | None, data: dict,
    source: dict, actor: Actor | None = None,
) -> Encounter:  # fmt: skip
    """
    An inpatient admission (A01): records the stay (or turns the registration with the same visit number
    into it), gives the care team a task and a notice, and flags an episode discharged in the last 30 days.
    """
    actor = _acting(actor, organization)
    _require_patient(actor, patient)
    encounter = _find_encounter(organization, patient, facility, data.get("visit_number", ""))
    created = encounter is None
    if created:
        encounter = Encounter(organization=organization, patient=patient, facility=facility)
    data = {"encounter_class": EncounterClass.INPATIENT, **data, "status": EncounterStatus.IN_PROGRESS}
    changes = _apply(encounter, data)
    _record(encounter, "admit", source, changes)
    _save(encounter)
    _audit(actor, "encounter.admit", AuditAction.CREATE if created else AuditAction.UPDATE, encounter, patient,
           source=source.get("event", ""))  # fmt: skip
    _admission_task_and_notice(actor, encounter)
    _flag_readmission(actor, encounter)
    return encounter


def _admission_task_and_notice(actor: Actor, encounter: Encounter) -> None:
    organization, patient = encounter.organization, encounter.patient
    day = _local_day(organization, encounter.admitted_at or clock.now())
    where = _facility_name(encounter)
    round_ = _rounds(encounter, "admit")
    _task(
        actor, patient, focus_type=ENCOUNTER_FOCUS, focus_id=encounter.public_id,
        key=f"tx:admit:{encounter.public_id}:{round_}",
        kind=TaskKind.CALL, priority=TaskPriority.URGENT, due_date=clock.today_in(organization.tz),
        title=f"Admitted to {where} on {_day_text(day)}: reach the inpatient team",
        description=(
            f"{patient.display_name} was admitted to {where} on {_day_text(day)}"
            + (f" ({encounter.reason})" if encounter.reason else "")
            + ". Share the care plan and medication list with the inpatient team and ask to be part of "
            "discharge planning."
        ),
    )  # fmt: skip
    _notify_care_team(encounter, f"admitted to {where} on {_day_text(day)}", key=f"admit:{round_}")


def _notify_care_team(encounter: Encounter, what: str, *, key: str) -> int:
    """
    Emails each current staff member of the patient's care team a notice. It names no patient (email is not
    a safe place for health information): the task on the worklist says who.
    """
    organization, patient = encounter.organization, encounter.patient
    today = clock.today_in(organization.tz)
    sent = 0
    members = CareTeamMember.objects.filter(patient=patient, organization=organization, user__isnull=False)
    for member in members.select_related("user"):
        user = member.user
        if not member.is_current(today) or not user.is_active or not user.email:
            continue
        message_queue(
            organization=organization,
            channel=Channel.EMAIL,
            to_address=user.email,
            subject="CareCoord: a patient on your care team was admitted",
            body=(
                f"A patient on your care team was {what}.\n\n"
                "Sign in to CareCoord to see who it is and the task on your worklist."
            ),
            patient=patient,
            idempotency_key=f"tx:notice:{encounter.public_id}:{key}:{user.pk}",
            kind="care_team_notice",
            focus_type=ENCOUNTER_FOCUS,
            focus_id=encounter.public_id,
        )
        sent += 1
    return sent


def _flag_readmission(actor: Actor, encounter: Encounter) -> TransitionEpisode | None:
    """An inpatient admission within 30 days of an earlier discharge flags that discharge's episode."""
    if encounter.encounter_class != EncounterClass.INPATIENT or encounter.admitted_at is None:
        return None
    admit_day = _local_day(encounter.organization, encounter.admitted_at)
    earlier = (
        TransitionEpisode.objects.select_for_update()
        .filter(
            organization=encounter.organization,
            patient=encounter.patient,
            status__in=(EpisodeStatus.OPEN, EpisodeStatus.CLOSED),
            readmission__isnull=True,
            discharge_day__lte=admit_day,
            discharge_day__gte=admit_day - dt.timedelta(days=READMISSION_DAYS),
        )
        .exclude(encounter=encounter)
        .order_by("-discharge_day")
        .first()
    )
    if earlier is None:
        return None
    earlier.readmission = encounter
    earlier.version += 1
    earlier.save(update_fields=["readmission", "version", "updated_at"])
    days = (admit_day - earlier.discharge_day).days
    _audit(actor, "episode.readmission", AuditAction.UPDATE, earlier, encounter.patient, days=days)
    _task(
        actor, encounter.patient, focus_type=EPISODE_FOCUS, focus_id=earlier.public_id,
        key=f"tx:readmit:{earlier.public_id}:{encounter.public_id}",
        kind=TaskKind.OTHER, priority=TaskPriority.URGENT, due_date=clock.today_in(encounter.organization.tz),
        title=f"Readmitted {days} days after the discharge of {_day_text(earlier.discharge_day)}",
        description="Review what happened since the discharge and what the follow-up plan missed.",
    )  # fmt: skip
    return earlier


@transaction.atomic
def encounter_transfer(
    *, organization: Organization, patient: Patient, facility: ExternalOrganization | None, data: dict,
    source: dict, actor: Actor | None = None,
) -> Encounter:  # fmt: skip
    """A transfer within the hospital (A02): the stay's new location (a stay we never heard of is recorded)."""
    actor = _acting(actor, organization)
    _require_patient(actor, patient)
    encounter = _find_encounter(organization, patient, facility, data.get("visit_number", ""))
    created = encounter is None
    if created:
        encounter = Encounter(organization=organization, patient=patient, facility=facility)
        data = {**data, "status": EncounterStatus.IN_PROGRESS}
    changes = _apply(encounter, data)
    _record(encounter, "transfer", source, changes)
    _save(encounter)
    _audit(actor, "encounter.transfer", AuditAction.CREATE if created else AuditAction.UPDATE, encounter, patient,
           location=encounter.location)  # fmt: skip
    return encounter


@transaction.atomic
def encounter_register(
    *, organization: Organization, patient: Patient, facility: ExternalOrganization | None, data: dict,
    source: dict, actor: Actor | None = None,
) -> Encounter:  # fmt: skip
    """
    An emergency or outpatient registration (A04). An emergency visit gets a follow-up task due within 7
    days (HEDIS FMC/FUA/FUM ask for follow-up within 7 days of an ED visit).
    """
    actor = _acting(actor, organization)
    _require_patient(actor, patient)
    encounter = _find_encounter(organization, patient, facility, data.get("visit_number", ""))
    created = encounter is None
    if created:
        encounter = Encounter(organization=organization, patient=patient, facility=facility)
    data = {"encounter_class": EncounterClass.AMBULATORY, **data, "status": EncounterStatus.IN_PROGRESS}
    changes = _apply(encounter, data)
    _record(encounter, "register", source, changes)
    _save(encounter)
    _audit(actor, "encounter.register", AuditAction.CREATE if created else AuditAction.UPDATE, encounter, patient)
    if encounter.encounter_class == EncounterClass.EMERGENCY:
        day = _local_day(organization, encounter.admitted_at or clock.now())
        where = _facility_name(encounter)
        _task(
            actor, patient, focus_type=ENCOUNTER_FOCUS, focus_id=encounter.public_id,
            key=f"tx:ed:{encounter.public_id}:{_rounds(encounter, 'register')}",
            kind=TaskKind.CALL, priority=TaskPriority.URGENT,
            due_date=day + dt.timedelta(days=ED_FOLLOW_UP_DAYS),
            title=f"Emergency visit at {where} on {_day_text(day)}: follow up within {ED_FOLLOW_UP_DAYS} days",
            description="Reach the patient, learn why they went to the emergency department, and book a "
            "follow-up visit within 7 days.",
        )  # fmt: skip
    return encounter


# --- discharge and the transition episode -------------------------------------------------------------------


@transaction.atomic
def encounter_discharge(
    *, organization: Organization, patient: Patient, facility: ExternalOrganization | None, data: dict,
    source: dict, actor: Actor | None = None,
) -> tuple[Encounter, TransitionEpisode | None]:  # fmt: skip
    """
    A discharge (A03): ends the stay and opens its transition episode (none when the patient died).
    `data["discharged_at"]` is required.
    """
    actor = _acting(actor, organization)
    _require_patient(actor, patient)
    if not data.get("discharged_at"):
        raise ValidationError("A discharge needs its date and time.", field="discharged_at")
    encounter = _find_encounter(organization, patient, facility, data.get("visit_number", ""))
    created = encounter is None
    if created:
        encounter = Encounter(organization=organization, patient=patient, facility=facility)
    changes = _apply(encounter, {**data, "status": EncounterStatus.FINISHED})
    _record(encounter, "discharge", source, changes)
    _save(encounter)
    _audit(actor, "encounter.discharge", AuditAction.CREATE if created else AuditAction.UPDATE, encounter, patient,
           disposition=encounter.discharge_disposition)  # fmt: skip
    if encounter.discharge_disposition == DischargeDisposition.EXPIRED:
        _task(
            actor, patient, focus_type=ENCOUNTER_FOCUS, focus_id=encounter.public_id,
            key=f"tx:expired:{encounter.public_id}", kind=TaskKind.PAPERWORK, priority=TaskPriority.URGENT,
            due_date=clock.today_in(organization.tz),
            title=f"Reported deceased at {_facility_name(encounter)}: confirm and update the record",
            description="Confirm with the hospital, record the date of death, end outreach and tell the care team.",
        )  # fmt: skip
        return encounter, None
    return encounter, _open_episode(actor, encounter)


def lace_for(encounter: Encounter) -> domain.Lace:
    """
    LACE at discharge: length of stay in local days; acute when PV1-4 said emergency or urgent (or the stay is
    an emergency encounter); Charlson from the patient's coded conditions and the stay's diagnoses; emergency
    visits in the 6 months before the admission, the index ED visit (same facility, up to a day before) excluded.
    """
    organization = encounter.organization
    admitted = encounter.admitted_at or encounter.discharged_at
    stay = domain.length_of_stay_days(
        _local_day(organization, admitted), _local_day(organization, encounter.discharged_at)
    )
    acute = encounter.admission_type in ("E", "U") or encounter.encounter_class == EncounterClass.EMERGENCY
    codes = [
        (c.code_system, c.code)
        for c in encounter.patient.conditions.exclude(verification_status__in=("entered-in-error", "refuted")).exclude(
            clinical_status="resolved"
        )
    ]
    codes += [(d.get("system", ""), d.get("code", "")) for d in encounter.diagnoses]
    visits = (
        Encounter.objects.filter(
            patient=encounter.patient,
            encounter_class=EncounterClass.EMERGENCY,
            admitted_at__gte=admitted - dt.timedelta(days=ED_LOOKBACK_DAYS),
            admitted_at__lt=admitted,
        )
        .exclude(pk=encounter.pk)
        .exclude(status__in=NOT_COUNTED_STATUSES)
        .exclude(facility=encounter.facility, admitted_at__gte=admitted - dt.timedelta(hours=INDEX_ED_HOURS))
        .count()
    )
    return domain.lace(length_of_stay=stay, acute=acute, charlson=domain.charlson_index(codes), emergency_visits=visits)


def _lace_detail(encounter: Encounter, score: domain.Lace) -> dict:
    codes = [(c.code_system, c.code) for c in encounter.patient.conditions.all()]
    codes += [(d.get("system", ""), d.get("code", "")) for d in encounter.diagnoses]
    return {
        "variant": "LACE (van Walraven et al., CMAJ 2010)",
        "length_of_stay": score.length_of_stay, "l_points": score.l_points,
        "acute": score.acute, "a_points": score.a_points,
        "charlson": score.charlson, "c_points": score.c_points,
        "charlson_conditions": sorted(domain.charlson_conditions(codes)),
        "emergency_visits": score.emergency_visits, "e_points": score.e_points,
        "score": score.score, "risk": score.risk,
    }  # fmt: skip


def _deadlines(organization: Organization, discharge_day: dt.date, complexity: str) -> domain.Deadlines:
    return domain.transition_deadlines(
        discharge_day, complexity, lambda day, n: clock.add_business_days(day, n, state=organization.state)
    )


def _set_deadlines(episode: TransitionEpisode, deadlines: domain.Deadlines) -> None:
    episode.contact_due = deadlines.contact_due
    episode.visit_due = deadlines.visit_due
    episode.med_rec_due = deadlines.med_rec_due
    episode.window_end = deadlines.window_end


def _open_episode(actor: Actor, encounter: Encounter) -> TransitionEpisode:
    """Opens (or, after a cancelled discharge, reopens) the episode, with LACE, deadlines, checklist and tasks."""
    organization = encounter.organization
    score = lace_for(encounter)
    complexity = Complexity.HIGH if score.risk == "high" else Complexity.MODERATE
    discharge_day = _local_day(organization, encounter.discharged_at)
    episode = TransitionEpisode.objects.select_for_update().filter(encounter=encounter).first()
    created = episode is None
    if created:
        episode = TransitionEpisode(organization=organization, patient=encounter.patient, encounter=encounter)
    else:
        episode.version += 1
    episode.status, episode.closed_at = EpisodeStatus.OPEN, None
    episode.discharge_day, episode.complexity = discharge_day, complexity
    _set_deadlines(episode, _deadlines(organization, discharge_day, complexity))
    episode.lace_score, episode.lace_detail = score.score, _lace_detail(encounter, score)
    episode.checklist = _merge_checklist(episode.checklist, encounter.discharge_disposition)
    episode.save()
    _audit(actor, "episode.open", AuditAction.CREATE if created else AuditAction.UPDATE, episode, episode.patient,
           lace=score.score, risk=score.risk, complexity=complexity)  # fmt: skip
    plan_tasks = _episode_tasks(actor, episode, round_=_rounds(encounter, "discharge"))
    if plan_tasks:
        _audit(actor, "episode.tcm_plan", AuditAction.UPDATE, episode, episode.patient,
               tasks=[str(task.public_id) for task in plan_tasks])  # fmt: skip
    return episode


def _merge_checklist(current: list[dict], disposition: str) -> list[dict]:
    """The disposition's checklist, keeping what was already done on steps of the same key."""
    done = {step["key"]: step.get("done_at") for step in current or []}
    return [{**step, "done_at": done.get(step["key"])} for step in episode_checklist(disposition)]


def _episode_tasks(actor: Actor, episode: TransitionEpisode, *, round_: int) -> list[Task]:
    """
    The worklist tasks of an episode: each deadline not yet met, the checklist and, at high risk, check-ins;
    except the work the patient's TCM care plan has an open task for, which stays with that task. Returns the
    plan's tasks so used.
    """
    patient = episode.patient
    key = f"tx:{episode.public_id}:{round_}"
    common = {"focus_type": EPISODE_FOCUS, "focus_id": episode.public_id}
    plan = _plan_tasks_for_steps(actor, episode)
    if episode.contact_at is None and not plan[TransitionStep.CONTACT]:
        _task(actor, patient, **common, key=f"{key}:{TransitionStep.CONTACT}", kind=TaskKind.CALL,
              priority=TaskPriority.URGENT, due_date=episode.contact_due,
              title=f"Interactive contact after discharge, by {_day_text(episode.contact_due)}",
              description="Within 2 business days of the discharge, by phone, video or in person: how the patient "
              "is, symptoms, medications, services, the follow-up visit.")  # fmt: skip
    if episode.med_rec_at is None and not plan[TransitionStep.MED_REC]:
        _task(actor, patient, **common, key=f"{key}:{TransitionStep.MED_REC}", kind=TaskKind.MEDICATION_REVIEW,
              due_date=episode.med_rec_due,
              title=f"Medication reconciliation, by {_day_text(episode.med_rec_due)}",
              description="Reconcile the discharge medication list with what the patient takes, no later than "
              "the face-to-face visit.")  # fmt: skip
    if episode.visit_at is None and not plan[TransitionStep.VISIT]:
        days = domain.VISIT_DAYS[Complexity(episode.complexity)]
        _task(actor, patient, **common, key=f"{key}:{TransitionStep.VISIT}", kind=TaskKind.SCHEDULE,
              due_date=episode.visit_due,
              title=f"Face-to-face visit within {days} days, by {_day_text(episode.visit_due)}",
              description=f"{Complexity(episode.complexity).label} complexity follow-up after discharge.")  # fmt: skip
    checklist = checklist_for(episode.encounter.discharge_disposition)
    if any(step.get("done_at") is None for step in episode.checklist):
        _task(actor, patient, **common, key=f"{key}:checklist", kind=TaskKind.PAPERWORK,
              due_date=episode.contact_due, title=checklist.title,
              description="\n".join(f"- {step['label']}" for step in episode.checklist))  # fmt: skip
    if episode.complexity == Complexity.HIGH and not plan["check_in"]:
        _task(actor, patient, **common, key=f"{key}:check_in", kind=TaskKind.CHECK_IN,
              due_date=episode.discharge_day + dt.timedelta(days=7),
              recurrence={"frequency": "weekly", "interval": 1, "count": WEEKLY_CHECK_INS},
              title="Weekly check-in after discharge (high readmission risk)",
              description=f"LACE {episode.lace_score}: check in every week until the 30-day window ends.")  # fmt: skip
    return [task for tasks in plan.values() for task in tasks]


def _reschedule(actor: Actor, episode: TransitionEpisode) -> None:
    """After a corrected discharge or a new complexity: new deadlines, and the open tasks' due dates follow."""
    deadlines = _deadlines(episode.organization, episode.discharge_day, episode.complexity)
    _set_deadlines(episode, deadlines)
    due = {
        TransitionStep.CONTACT: deadlines.contact_due,
        TransitionStep.MED_REC: deadlines.med_rec_due,
        TransitionStep.VISIT: deadlines.visit_due,
        "checklist": deadlines.contact_due,
    }
    for task in _tasks_about(EPISODE_FOCUS, episode.public_id).filter(status__in=OPEN_TASK_STATUSES):
        step = task.dedupe_key.rsplit(":", 1)[-1] if task.dedupe_key else ""
        new_due = due.get(step)
        if new_due is None or new_due == task.due_date:
            continue
        _move_due(actor, task, new_due, "the episode's deadlines changed")
    _plan_tasks_for_steps(actor, episode)


def _move_due(actor: Actor, task: Task, due: dt.date, why: str) -> None:
    before = task.due_date
    TaskEvent.objects.create(task=task, at=clock.now(), by=actor.user, kind="due", note=f"Due {before} → {due}: {why}")
    Task.objects.filter(pk=task.pk).update(due_date=due, version=F("version") + 1, updated_at=clock.now())
    task.due_date, task.version = due, task.version + 1
    _audit(actor, "task.due", AuditAction.UPDATE, task, task.patient, before=_plain(before), after=_plain(due))


STEP_DUE = {
    TransitionStep.CONTACT: "contact_due",
    TransitionStep.MED_REC: "med_rec_due",
    TransitionStep.VISIT: "visit_due",
}


def _plan_tasks_for_steps(actor: Actor, episode: TransitionEpisode) -> dict[str, list[Task]]:
    """
    The open tasks of the patient's TCM care plan that do the episode's steps (and its check-ins), by step. The
    episode's deadlines are the one source of truth: a step's task, and the plan goal it serves, is due on the
    episode's deadline (the plan counts calendar days from its start day; the episode counts business days
    for the contact, from the actual discharge).
    """
    found = {step: list(selectors.tcm_plan_tasks(episode, step)) for step in selectors.TCM_STEP_TASKS}
    why = f"the TCM deadline after the discharge of {_day_text(episode.discharge_day)}"
    for step, field_name in STEP_DUE.items():
        deadline = getattr(episode, field_name)
        if getattr(episode, STEP_FIELDS[step]) is not None:
            continue
        for task in found[step]:
            if task.due_date != deadline:
                _move_due(actor, task, deadline, why)
    for goal, due in selectors.tcm_plan_goals(episode):
        before = goal.due_date
        Goal.objects.filter(pk=goal.pk).update(due_date=due, version=F("version") + 1, updated_at=clock.now())
        _audit(actor, "goal.due", AuditAction.UPDATE, goal, goal.patient, before=_plain(before), after=_plain(due))
    return found


@transaction.atomic
def encounter_update(
    *, organization: Organization, patient: Patient, facility: ExternalOrganization | None, data: dict,
    source: dict, reported_demographics: dict | None = None, actor: Actor | None = None,
) -> Encounter | None:  # fmt: skip
    """
    Corrections to a stay (A08): the changed fields are set and kept in the history (before and after);
    a corrected discharge moves an open episode's deadlines. What the hospital reports about the patient
    that differs from the chart is recorded in the history for a coordinator to check. None when the stay
    is unknown.
    """
    actor = _acting(actor, organization)
    _require_patient(actor, patient)
    encounter = _find_encounter(organization, patient, facility, data.get("visit_number", ""))
    if encounter is None:
        return None
    if encounter.status != EncounterStatus.FINISHED:
        data = {k: v for k, v in data.items() if k not in ("discharged_at", "discharge_disposition", "discharged_to")}
    changes = _apply(encounter, data)
    differences = _demographic_differences(patient, reported_demographics or {})
    note = "The hospital reports demographics that differ from the chart." if differences else ""
    if differences:
        changes["reported_demographics"] = differences
    _record(encounter, "update", source, changes, note)
    _save(encounter)
    _audit(actor, "encounter.update", AuditAction.UPDATE, encounter, patient, fields=sorted(changes))
    episode = TransitionEpisode.objects.select_for_update().filter(encounter=encounter, status=EpisodeStatus.OPEN)
    episode = episode.first()
    if episode is not None and {"discharged_at", "discharge_disposition", "admitted_at", "diagnoses"} & set(changes):
        episode.discharge_day = _local_day(organization, encounter.discharged_at)
        score = lace_for(encounter)
        episode.lace_score, episode.lace_detail = score.score, _lace_detail(encounter, score)
        episode.checklist = _merge_checklist(episode.checklist, encounter.discharge_disposition)
        _reschedule(actor, episode)
        episode.version += 1
        episode.save()
        _audit(actor, "episode.update", AuditAction.UPDATE, episode, patient, lace=score.score)
    return encounter


def _demographic_differences(patient: Patient, reported: dict) -> dict:
    chart = {
        "family_name": patient.family_name, "given_name": patient.given_name,
        "birth_date": patient.birth_date.isoformat(), "address_line1": patient.address_line1,
        "city": patient.city, "postal_code": patient.postal_code,
    }  # fmt: skip
    return {
        name: [chart[name], value]
        for name, value in reported.items()
        if name in chart and value and str(value).casefold() != str(chart[name]).casefold()
    }


# --- cancels -------------------------------------------------------------------------------------------------


@transaction.atomic
def encounter_cancel_admit(
    *, organization: Organization, patient: Patient, facility: ExternalOrganization | None, visit_number: str,
    source: dict, actor: Actor | None = None,
) -> Encounter | None:  # fmt: skip
    """
    A cancelled admission (A11): the stay becomes cancelled, its open tasks are cancelled and the readmission
    flag it raised is lowered; the history keeps all of it. None when there is no such stay in progress.
    """
    actor = _acting(actor, organization)
    _require_patient(actor, patient)
    encounter = _find_encounter(organization, patient, facility, visit_number,
                                statuses=(EncounterStatus.IN_PROGRESS, EncounterStatus.FINISHED))  # fmt: skip
    if encounter is None:
        return None
    if TransitionEpisode.objects.filter(encounter=encounter, status=EpisodeStatus.OPEN).exists():
        raise ValidationError("This stay was discharged: the hospital must cancel the discharge (A13) first.")
    changes = _apply(encounter, {"status": EncounterStatus.CANCELLED})
    _record(encounter, "cancel_admit", source, changes)
    _save(encounter)
    note = "Admission cancelled by the hospital"
    cancelled = _cancel_open_tasks(actor, _tasks_about(ENCOUNTER_FOCUS, encounter.public_id), note)
    for episode in TransitionEpisode.objects.select_for_update().filter(readmission=encounter):
        episode.readmission = None
        episode.version += 1
        episode.save(update_fields=["readmission", "version", "updated_at"])
        readmit_tasks = _tasks_about(EPISODE_FOCUS, episode.public_id).filter(
            dedupe_key=f"tx:readmit:{episode.public_id}:{encounter.public_id}"
        )
        cancelled += _cancel_open_tasks(actor, readmit_tasks, note)
        _audit(actor, "episode.readmission_cleared", AuditAction.UPDATE, episode, patient)
    _audit(actor, "encounter.cancel_admit", AuditAction.UPDATE, encounter, patient, tasks_cancelled=cancelled)
    return encounter


@transaction.atomic
def encounter_cancel_discharge(
    *, organization: Organization, patient: Patient, facility: ExternalOrganization | None, visit_number: str,
    source: dict, actor: Actor | None = None,
) -> Encounter | None:  # fmt: skip
    """
    A cancelled discharge (A13): the episode is cancelled with its open tasks, and the stay is in progress
    again (its discharge time and disposition cleared; the history keeps them). None when nothing was discharged.
    """
    actor = _acting(actor, organization)
    _require_patient(actor, patient)
    encounter = _find_encounter(organization, patient, facility, visit_number, statuses=(EncounterStatus.FINISHED,))
    if encounter is None:
        return None
    changes = _apply(encounter, {"status": EncounterStatus.IN_PROGRESS, "discharged_at": None,
                                 "discharge_disposition": "", "discharged_to": ""})  # fmt: skip
    _record(encounter, "cancel_discharge", source, changes)
    _save(encounter)
    note = "Discharge cancelled by the hospital"
    cancelled = _cancel_open_tasks(actor, _tasks_about(ENCOUNTER_FOCUS, encounter.public_id), note)
    episode = TransitionEpisode.objects.select_for_update().filter(encounter=encounter).first()
    if episode is not None and episode.status != EpisodeStatus.CANCELLED:
        episode.status, episode.closed_at = EpisodeStatus.CANCELLED, clock.now()
        episode.version += 1
        episode.save(update_fields=["status", "closed_at", "version", "updated_at"])
        cancelled += _cancel_open_tasks(actor, _tasks_about(EPISODE_FOCUS, episode.public_id), note)
        _audit(actor, "episode.cancel", AuditAction.UPDATE, episode, patient)
    _audit(actor, "encounter.cancel_discharge", AuditAction.UPDATE, encounter, patient, tasks_cancelled=cancelled)
    return encounter


# --- what coordinators record on an episode ----------------------------------------------------------------


def _episode_in_scope(actor: Actor, episode: TransitionEpisode) -> TransitionEpisode:
    require_patient_editor(actor)
    if episode.organization_id != actor.organization.pk:
        raise NotFoundError()
    _require_patient(actor, episode.patient)
    return episode


STEP_FIELDS = {
    TransitionStep.CONTACT: "contact_at",
    TransitionStep.MED_REC: "med_rec_at",
    TransitionStep.VISIT: "visit_at",
}


CONTACT_NOTE_MAX = OutreachAttempt._meta.get_field("note").max_length or 500


@transaction.atomic
def episode_record_step(
    *, actor: Actor, episode: TransitionEpisode, step: str, note: str, expected_version: int,
    at: dt.datetime | None = None, method: str = OutreachMethod.PHONE,
) -> TransitionEpisode:  # fmt: skip
    """
    Records that the interactive contact, the medication reconciliation or the face-to-face visit was done
    (`at`, default now) and completes, with `note` as the outcome, its task and the TCM care plan's open task
    for the same work. The contact is also recorded as the outreach (by `method`) that reached the patient.
    """
    _episode_in_scope(actor, episode)
    if step not in STEP_FIELDS:
        raise ValidationError(f"Unknown step “{step}”.", field="step")
    if episode.status != EpisodeStatus.OPEN:
        raise ValidationError(f"This episode is {episode.get_status_display().lower()}.")
    note = (note or "").strip()
    if not note:
        raise ValidationError("Say what happened.", field="note")
    at = at or clock.now()
    if at > clock.now() + dt.timedelta(minutes=5):
        raise ValidationError("That time is in the future.", field="at")
    if _local_day(episode.organization, at) < episode.discharge_day:
        raise ValidationError("That is before the discharge.", field="at")
    if step == TransitionStep.CONTACT:
        if method not in CONTACT_METHODS:
            raise ValidationError("Choose how the patient or caregiver was reached.", field="method")
        if len(note) > CONTACT_NOTE_MAX:
            raise ValidationError(f"Keep the contact note to {CONTACT_NOTE_MAX} characters.", field="note")
    field_name = STEP_FIELDS[TransitionStep(step)]
    setattr(episode, field_name, at)
    fields = [field_name]
    if step == TransitionStep.CONTACT:
        episode.contact_by = actor.user
        fields.append("contact_by")
    if step == TransitionStep.MED_REC:
        episode.med_rec_by = actor.user
        fields.append("med_rec_by")
    if any(item["key"] == step and not item.get("done_at") for item in episode.checklist):
        # The checklist's item of the same name (contact, med_rec) is this step: it is done with it.
        episode.checklist = [{**item, "done_at": at.isoformat()} if item["key"] == step else item
                             for item in episode.checklist]  # fmt: skip
        fields.append("checklist")
    save_versioned(episode, expected_version=expected_version, fields=fields)
    _complete_checklist_when_done(actor, episode)
    own = _tasks_about(EPISODE_FOCUS, episode.public_id).filter(
        dedupe_key__endswith=f":{step}", status__in=OPEN_TASK_STATUSES
    )
    done = [*own, *selectors.tcm_plan_tasks(episode, step)]
    for task in done:
        task_set_status(actor=actor, task=task, status=TaskStatus.COMPLETED, expected_version=task.version, note=note)
    if step == TransitionStep.CONTACT:
        outreach_record(actor=actor, patient=episode.patient, method=method, outcome=OutreachOutcome.REACHED,
                        occurred_at=at, note=note, task=done[0] if done else None)  # fmt: skip
    _audit(actor, "episode.step", AuditAction.UPDATE, episode, episode.patient, step=step, at=at.isoformat(),
           tasks=[str(task.public_id) for task in done])  # fmt: skip
    return episode


@transaction.atomic
def episode_check_item(
    *, actor: Actor, episode: TransitionEpisode, key: str, done: bool, expected_version: int
) -> TransitionEpisode:
    """Marks a checklist step done (or not); when every step is done, the checklist task is completed."""
    _episode_in_scope(actor, episode)
    if episode.status != EpisodeStatus.OPEN:
        raise ValidationError(f"This episode is {episode.get_status_display().lower()}.")
    if key not in {step["key"] for step in episode.checklist}:
        raise ValidationError("That step is not on this episode's checklist.", field="key")
    now = clock.now().isoformat()
    episode.checklist = [
        {**step, "done_at": (step.get("done_at") or now) if done else None} if step["key"] == key else step
        for step in episode.checklist
    ]
    save_versioned(episode, expected_version=expected_version, fields=["checklist"])
    _complete_checklist_when_done(actor, episode)
    _audit(actor, "episode.checklist", AuditAction.UPDATE, episode, episode.patient, key=key, done=done)
    return episode


def _complete_checklist_when_done(actor: Actor, episode: TransitionEpisode) -> None:
    """When every step of the checklist is done, its task is completed."""
    if not all(step.get("done_at") for step in episode.checklist):
        return
    for task in _tasks_about(EPISODE_FOCUS, episode.public_id).filter(
        dedupe_key__endswith=":checklist", status__in=OPEN_TASK_STATUSES
    ):
        task_set_status(actor=actor, task=task, status=TaskStatus.COMPLETED, expected_version=task.version,
                        note="Every step of the checklist is done.")  # fmt: skip


@transaction.atomic
def episode_set_complexity(
    *, actor: Actor, episode: TransitionEpisode, complexity: str, expected_version: int
) -> TransitionEpisode:
    """Sets the medical decision-making complexity; the visit and medication deadlines (and tasks) follow."""
    _episode_in_scope(actor, episode)
    if complexity not in Complexity.values:
        raise ValidationError("Choose moderate or high complexity.", field="complexity")
    if episode.status != EpisodeStatus.OPEN:
        raise ValidationError(f"This episode is {episode.get_status_display().lower()}.")
    before = episode.complexity
    episode.complexity = complexity
    _reschedule(actor, episode)
    save_versioned(episode, expected_version=expected_version,
                   fields=["complexity", "contact_due", "visit_due", "med_rec_due", "window_end"])  # fmt: skip
    _audit(actor, "episode.complexity", AuditAction.UPDATE, episode, episode.patient, before=before, after=complexity)
    return episode


@transaction.atomic
def episodes_close_ended(*, organization: Organization) -> int:
    """Closes the open episodes whose 30-day window has ended (a daily job); returns how many."""
    today = clock.today_in(organization.tz)
    actor = _system_actor(organization)
    ended = TransitionEpisode.objects.select_for_update().filter(
        organization=organization, status=EpisodeStatus.OPEN, window_end__lt=today
    )
    count = 0
    for episode in ended.select_related("patient"):
        episode.status, episode.closed_at = EpisodeStatus.CLOSED, clock.now()
        episode.version += 1
        episode.save(update_fields=["status", "closed_at", "version", "updated_at"])
        _audit(actor, "episode.close", AuditAction.UPDATE, episode, episode.patient)
        count += 1
    return count


# --- the face-to-face visit booked in scheduling ----------------------------------------------------------------

REBOOK = "rebook"


def _booking_tasks(episode: TransitionEpisode) -> list[Task]:
    """The open tasks whose work a booking does: the TCM plan's "Schedule face-to-face visit" and "book again"."""
    rebook = _tasks_about(EPISODE_FOCUS, episode.public_id).filter(
        dedupe_key__contains=f":{REBOOK}:", status__in=OPEN_TASK_STATUSES
    )
    return [*selectors.tcm_plan_tasks(episode, TransitionStep.VISIT), *rebook]


FOLLOW_UP_ITEM = "follow_up_visit"


def _check_follow_up_booked(actor: Actor, episode: TransitionEpisode) -> None:
    """The checklist's "book the follow-up visit" step is done by the booking (a later cancel leaves it done)."""
    if not any(item["key"] == FOLLOW_UP_ITEM and not item.get("done_at") for item in episode.checklist):
        return
    now = clock.now().isoformat()
    episode.checklist = [{**item, "done_at": now} if item["key"] == FOLLOW_UP_ITEM else item
                         for item in episode.checklist]  # fmt: skip
    save_versioned(episode, expected_version=episode.version, fields=["checklist"])
    _complete_checklist_when_done(actor, episode)


def _booking_task_closed(episode: TransitionEpisode) -> bool:
    """Whether a task to book the visit (the TCM plan's, or a "book again") was completed since the discharge."""
    since = dt.datetime.combine(episode.discharge_day, dt.time.min, tzinfo=episode.organization.tz)
    plan = selectors.tcm_plan_tasks_done(episode, TransitionStep.VISIT, since)
    rebook = _tasks_about(EPISODE_FOCUS, episode.public_id).filter(
        dedupe_key__contains=f":{REBOOK}:", status=TaskStatus.COMPLETED
    )
    return plan.exists() or rebook.exists()


def _own_visit_task_open(episode: TransitionEpisode) -> bool:
    return (
        _tasks_about(EPISODE_FOCUS, episode.public_id)
        .filter(dedupe_key__endswith=f":{TransitionStep.VISIT}", status__in=OPEN_TASK_STATUSES)
        .exists()
    )


@transaction.atomic
def episode_sync_visit(*, appointment) -> list[TransitionEpisode]:
    """
    Keeps the patient's open episodes in the appointment's organization in step with the visits booked in
    their windows (called for every appointment booked, moved, cancelled or progressed):
    - a visit held records the face-to-face step at the visit's start (its tasks complete with it);
    - else a visit booked completes the tasks to book one (recorded as booked, not as the visit held);
    - else, when the changed appointment was in the window and no task to book the visit is open, a task to
      book it again, due on the face-to-face deadline (not when nothing was closed by the booking and the
      episode's own face-to-face task is still open: that task already asks for the visit).
    The organization acts (the person who booked may be a scheduler); returns the episodes looked at.
    """
    organization = appointment.organization
    actor = _system_actor(organization)
    episodes = TransitionEpisode.objects.select_for_update().select_related("organization", "patient")
    episodes = list(
        episodes.filter(organization=organization, patient=appointment.patient_id, status=EpisodeStatus.OPEN)
    )
    for episode in episodes:
        if episode.visit_at is None:
            _sync_episode_visit(actor, episode, appointment)
    return episodes


def _sync_episode_visit(actor: Actor, episode: TransitionEpisode, changed) -> None:
    visits = selectors.episode_booked_visits(episode)
    held = next((visit for visit in visits if visit.held), None)
    if held is not None:
        at = min(held.appointment.start, clock.now())
        note = f"Visit with {held.with_whom} on {_day_text(held.day)} (recorded from the schedule)."
        episode_record_step(actor=actor, episode=episode, step=TransitionStep.VISIT, note=note,
                            expected_version=episode.version, at=at)  # fmt: skip
        return
    if visits:
        first = visits[0]
        note = f"Visit booked with {first.with_whom} on {_day_text(first.day)}."
        token = recording_step.set(True)
        try:
            for task in _booking_tasks(episode):
                task_set_status(actor=actor, task=task, status=TaskStatus.COMPLETED, expected_version=task.version,
                                note=note)  # fmt: skip
        finally:
            recording_step.reset(token)
        _check_follow_up_booked(actor, episode)
        _audit(actor, "episode.visit_booked", AuditAction.UPDATE, episode, episode.patient,
               appointment=str(first.appointment.public_id), day=first.day.isoformat())  # fmt: skip
        return
    changed_day = _local_day(episode.organization, changed.start)
    if not episode.discharge_day <= changed_day <= episode.window_end:
        return
    if _booking_tasks(episode):
        return
    if _own_visit_task_open(episode) and not _booking_task_closed(episode):
        return  # nothing was closed by the booking: the face-to-face task still asks for the visit
    _task(actor, episode.patient, focus_type=EPISODE_FOCUS, focus_id=episode.public_id,
          key=f"tx:{episode.public_id}:{REBOOK}:{changed.public_id}", kind=TaskKind.SCHEDULE,
          priority=TaskPriority.URGENT, due_date=episode.visit_due,
          title=f"Book the face-to-face visit again, by {_day_text(episode.visit_due)}",
          description=f"The visit on {_day_text(changed_day)} is {changed.get_status_display().lower()}; no other "
          "visit is booked in the 30 days after the discharge.")  # fmt: skip
