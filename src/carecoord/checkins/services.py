"""
Writes of check-ins. A map:
- policy and cadence: `checkin_policy_update`, `cadence_set`, `cadence_stop`, and the periodic
  `checkin_tasks_create` that puts "Check in with ..." on the worklist a day before a check-in is due;
- outreach: `outreach_record`; reaching the patient moves the cadence and completes the open check-in task,
  and N failed attempts in a row escalate once per run (policy: letter, emergency contact or supervisor);
  `outreach_log` adds, in the same transaction, the call's minutes (time_services) and completing its task;
- progress notes: `note_create`, `note_update`, `note_sign` (hash of the canonical content; final after),
  `note_discard`, `note_addendum_add`;
- assessments: `assessment_record` (PHQ-2, PHQ-9, GAD-7); PHQ-9 item 9 above 0 makes an urgent task.
Signed notes are also refused by the database (migrations/0002), beneath the readable refusals here.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery

from carecoord.careplans import services as careplan_services
from carecoord.careplans.choices import (
    OPEN_TASK_STATUSES,
    GoalAchievementStatus,
    TaskKind,
    TaskPriority,
    TaskSource,
    TaskStatus,
)
from carecoord.careplans.models import Task
from carecoord.core import clock, timefmt
from carecoord.core.access import Actor, require_patient_editor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import InvalidStateError, NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import Organization
from carecoord.core.versioning import save_versioned
from carecoord.patients.models import Patient, RelatedPerson
from carecoord.patients.selectors import patient_get, patients_visible_to

from . import notes as note_rules
from . import time_services
from .choices import (
    FAILED_OUTCOMES,
    ActivityType,
    Adherence,
    Barrier,
    EscalationAction,
    NoteStatus,
    OutreachMethod,
    OutreachOutcome,
)
from .instruments import INSTRUMENTS, IncompleteAnswers, Score, score
from .models import Assessment, CheckinCadence, CheckinPolicy, NoteAddendum, OutreachAttempt, ProgressNote, TimeEntry
from .selectors import (
    cadence_next_due,
    checkin_policy_for,
    coordinator_of,
    failed_run,
    last_reached_call,
    open_goals_for,
)

CADENCE_FOCUS = "checkins.CheckinCadence"
OUTREACH_FOCUS = "checkins.OutreachAttempt"
ASSESSMENT_FOCUS = "checkins.Assessment"
FUTURE_SLACK = dt.timedelta(minutes=5)
SIGNED_MESSAGE = "This note is signed and can no longer change; add an addendum instead."


def _visible(actor: Actor, patient: Patient) -> Patient:
    return patient_get(actor, patient.public_id, audit_event=None)


def _not_in_future(at: dt.datetime, what: str) -> None:
    if at > clock.now() + FUTURE_SLACK:
        raise ValidationError(f"The {what} cannot be in the future.", field="occurred_at")


def _local_date(at: dt.datetime, organization: Organization) -> dt.date:
    return at.astimezone(organization.tz).date()


# Policy and cadence -----------------------------------------------------------------------------------------

POLICY_FIELDS = ("high_risk_interval_days", "default_interval_days", "failed_attempts_to_escalate", "escalation_action")


@transaction.atomic
def checkin_policy_update(*, actor: Actor, data: dict) -> CheckinPolicy:
    """An organization administrator sets the check-in defaults and the escalation rule."""
    if not actor.is_org_admin:
        raise PermissionDeniedError("Only an organization administrator can change the check-in policy.")
    policy = checkin_policy_for(actor.organization)
    for name in POLICY_FIELDS:
        if name in data:
            setattr(policy, name, data[name])
    if not 1 <= policy.high_risk_interval_days <= 365 or not 1 <= policy.default_interval_days <= 365:
        raise ValidationError("Check-in intervals run from 1 to 365 days.", field="default_interval_days")
    if not 1 <= policy.failed_attempts_to_escalate <= 20:
        raise ValidationError("Escalate after 1 to 20 failed attempts.", field="failed_attempts_to_escalate")
    if policy.escalation_action not in EscalationAction.values:
        raise ValidationError("Choose what happens on escalation.", field="escalation_action")
    policy.save()
    audit_record(actor=actor, event="checkin_policy.update", action=AuditAction.UPDATE, target=policy)
    return policy


@transaction.atomic
def cadence_set(
    *,
    actor: Actor,
    patient: Patient,
    interval_days: int,
    reason: str = "",
    careplan=None,
    first_due: dt.date | None = None,
) -> CheckinCadence:
    """
    Sets how often the patient is checked on, replacing the active cadence. The first check-in is due on
    `first_due`, or one interval after the last contact (today when there was none).
    """
    require_patient_editor(actor)
    patient = _visible(actor, patient)
    if not 1 <= interval_days <= 365:
        raise ValidationError("Check in every 1 to 365 days.", field="interval_days")
    if careplan is not None and careplan.patient_id != patient.pk:
        raise NotFoundError("That care plan belongs to another patient.")
    current = CheckinCadence.objects.select_for_update().filter(
        organization=actor.organization, patient=patient, active=True
    )
    previous = current.first()
    last_contact = previous.last_contact_at if previous else None
    reached = last_reached_call(actor, patient)  # the home organization's calls count too (selectors)
    if reached is not None and (last_contact is None or reached.occurred_at > last_contact):
        last_contact = reached.occurred_at
    current.update(active=False, updated_at=clock.now())
    today = clock.today_in(actor.organization.tz)
    start = _local_date(last_contact, actor.organization) if last_contact else today
    cadence = CheckinCadence.objects.create(
        organization=actor.organization,
        patient=patient,
        interval_days=interval_days,
        reason=(reason or "").strip()[:200],
        careplan=careplan,
        next_due=first_due or max(start + dt.timedelta(days=interval_days), today),
        last_contact_at=last_contact,
        set_by=actor.user,
    )
    audit_record(
        actor=actor,
        event="cadence.set",
        action=AuditAction.CREATE,
        target=cadence,
        patient=patient,
        detail={"interval_days": interval_days},
    )
    return cadence


@transaction.atomic
def cadence_stop(*, actor: Actor, cadence: CheckinCadence) -> CheckinCadence:
    """Stops scheduled check-ins for the patient; their open check-in task is cancelled."""
    require_patient_editor(actor)
    _visible(actor, cadence.patient)
    if cadence.organization_id != actor.organization.pk:
        raise NotFoundError()
    if not cadence.active:
        raise InvalidStateError("These check-ins are already stopped.")
    cadence.active = False
    save_versioned(cadence, expected_version=cadence.version, fields=["active"])
    for task in _open_checkin_tasks(cadence):
        careplan_services.task_set_status(
            actor=actor,
            task=task,
            status=TaskStatus.CANCELLED,
            expected_version=task.version,
            note="Scheduled check-ins stopped",
        )
    audit_record(actor=actor, event="cadence.stop", action=AuditAction.UPDATE, target=cadence, patient=cadence.patient)
    return cadence


def _open_checkin_tasks(cadence: CheckinCadence):
    return Task.objects.filter(
        organization=cadence.organization_id,
        focus_type=CADENCE_FOCUS,
        focus_id=cadence.public_id,
        status__in=OPEN_TASK_STATUSES,
    ).select_related("patient")


def _patient_reached(actor: Actor, patient: Patient, at: dt.datetime, how: str) -> None:
    """Moves the active cadence to (the day reached + interval) and completes its open check-in tasks."""
    cadence = (
        CheckinCadence.objects.select_for_update()
        .filter(organization=actor.organization, patient=patient, active=True)
        .first()
    )
    if cadence is None:
        return
    if cadence.last_contact_at is None or at > cadence.last_contact_at:
        cadence.last_contact_at = at
        cadence.next_due = _local_date(at, actor.organization) + dt.timedelta(days=cadence.interval_days)
        save_versioned(cadence, expected_version=cadence.version, fields=["last_contact_at", "next_due"])
    for task in _open_checkin_tasks(cadence):
        careplan_services.task_set_status(
            actor=actor, task=task, status=TaskStatus.COMPLETED, expected_version=task.version, note=how
        )


def _task_owner(organization: Organization, patient: Patient, fallback_role: str) -> dict:
    coordinator = coordinator_of(organization, patient)
    return {"owner": coordinator} if coordinator else {"owner_role": fallback_role}


def _last_reached_at_seen_by_cadence_organization():
    """
    For a cadence row: when its patient was last reached by a call its organization may read (the rule of
    `checkins.selectors._calls_seen_by`: its own, the home organization's, and for the home every partner's).
    """
    return (
        OutreachAttempt.objects.filter(patient=OuterRef("patient"), outcome=OutreachOutcome.REACHED)
        .filter(
            Q(organization=OuterRef("organization"))
            | Q(organization=OuterRef("patient__organization"))
            | Q(patient__organization=OuterRef("organization"))
        )
        .order_by("-occurred_at", "-id")
        .values("occurred_at")[:1]
    )


def checkin_tasks_create(*, organization: Organization) -> list[Task]:
    """
    Puts "Check in with <patient>" on the worklist for each active cadence due within a day. Safe to run
    again: the task's dedupe key names the cadence and its due date, which moves when the patient is reached.
    Each task is its own transaction, so one patient's problem does not hold back the others.
    """
    horizon = clock.today_in(organization.tz) + dt.timedelta(days=1)
    cadences = (
        CheckinCadence.objects.filter(
            organization=organization,
            active=True,
            next_due__lte=horizon,
            patient__in=patients_visible_to(careplan_services._system_actor(organization)),
        )
        .annotate(reached_at=Subquery(_last_reached_at_seen_by_cadence_organization()))
        .select_related("patient")
    )
    created = []
    for cadence in cadences:
        # The home organization may have reached the patient since: the check-in then falls later.
        cadence.next_due = cadence_next_due(cadence, cadence.reached_at, organization.tz)
        if cadence.next_due > horizon:
            continue
        created.append(
            careplan_services.task_create(
                actor=None,
                organization=organization,
                patient=cadence.patient,
                kind=TaskKind.CHECK_IN,
                title=f"Check in with {cadence.patient.display_name}",
                description=f"Every {cadence.interval_days} days{': ' + cadence.reason if cadence.reason else ''}. "
                "Log the call from the patient's Check-ins tab; reaching the patient completes this task.",
                due_date=cadence.next_due,
                careplan=None,
                source=TaskSource.CHECKINS,
                focus_type=CADENCE_FOCUS,
                focus_id=cadence.public_id,
                dedupe_key=f"checkin:{cadence.public_id}:{cadence.next_due.isoformat()}",
                **_task_owner(organization, cadence.patient, Role.COORDINATOR),
            )
        )
    return created


# Outreach ---------------------------------------------------------------------------------------------------


@transaction.atomic
def outreach_record(
    *,
    actor: Actor,
    patient: Patient,
    method: str,
    outcome: str,
    occurred_at: dt.datetime,
    related_person: RelatedPerson | None = None,
    note: str = "",
    task: Task | None = None,
) -> OutreachAttempt:
    """
    Records one try at reaching the patient (or a family member). Reaching them moves the check-in cadence
    and completes the open check-in task; failed tries in a row escalate per the organization's policy.
    """
    require_patient_editor(actor)
    patient = _visible(actor, patient)
    _not_in_future(occurred_at, "call time")
    if related_person is not None and (related_person.patient_id != patient.pk or not related_person.active):
        raise NotFoundError("That person is not one of this patient's contacts.")
    if task is not None and (task.patient_id != patient.pk or task.organization_id != actor.organization.pk):
        raise NotFoundError("That task is about another patient.")
    attempt = OutreachAttempt(
        organization=actor.organization,
        patient=patient,
        related_person=related_person,
        method=method,
        outcome=outcome,
        occurred_at=occurred_at,
        by=actor.user,
        note=(note or "").strip()[:500],
        task=task,
    )
    careplan_services._clean(attempt, exclude=["organization", "patient", "related_person", "by", "task"])
    attempt.save()
    audit_record(
        actor=actor,
        event="outreach.record",
        action=AuditAction.CREATE,
        target=attempt,
        patient=patient,
        detail={"outcome": outcome, "method": method},
    )
    if outcome == OutreachOutcome.REACHED:
        who = f" ({related_person.display_name})" if related_person else ""
        _patient_reached(actor, patient, occurred_at, f"Reached by {attempt.get_method_display().lower()}{who}.")
    elif outcome in FAILED_OUTCOMES:
        _escalate_if_due(actor, patient)
    return attempt


def _escalate_if_due(actor: Actor, patient: Patient) -> Task | None:
    """One escalation task per run of failed attempts, once the run reaches the policy's count."""
    policy = checkin_policy_for(actor.organization)
    run = failed_run(actor.organization, patient)
    if len(run) < policy.failed_attempts_to_escalate:
        return None
    first = run[0]
    common = {
        "actor": actor,
        "patient": patient,
        "due_date": clock.today_in(actor.organization.tz),
        "source": TaskSource.CHECKINS,
        "focus_type": OUTREACH_FOCUS,
        "focus_id": first.public_id,
        "dedupe_key": f"outreach-escalation:{first.public_id}",
    }
    tries = f"{len(run)} attempts in a row without reaching {patient.display_name} (since {_when(first, actor)})."
    if policy.escalation_action == EscalationAction.LETTER:
        return careplan_services.task_create(
            **common, kind=TaskKind.PAPERWORK, title=f"Send a letter to {patient.display_name}",
            description=tries + " Ask them to call us.", **_task_owner(actor.organization, patient, Role.COORDINATOR),
        )  # fmt: skip
    if policy.escalation_action == EscalationAction.EMERGENCY_CONTACT:
        contact = patient.related_persons.filter(active=True, is_emergency_contact=True).order_by("id").first()
        who = f"{contact.display_name} ({contact.get_relationship_display()})" if contact else "the emergency contact"
        phone = f" Phone: {contact.phone}." if contact and contact.phone else ""
        missing = "" if contact else " No emergency contact is on file: find one."
        return careplan_services.task_create(
            **common, kind=TaskKind.CALL, title=f"Call {who}, emergency contact of {patient.display_name}",
            description=tries + phone + missing, **_task_owner(actor.organization, patient, Role.COORDINATOR),
        )  # fmt: skip
    return careplan_services.task_create(
        **common, kind=TaskKind.ESCALATION, title=f"Unable to reach {patient.display_name}",
        description=tries, owner_role=Role.SUPERVISOR, priority=TaskPriority.URGENT,
    )  # fmt: skip


def _when(attempt: OutreachAttempt, actor: Actor) -> str:
    return timefmt.day(attempt.occurred_at, actor.organization.tz)


# A call logged for a worklist task: the call, its minutes and the task in one save ---------------------------

# What the minutes of a call were spent on, as "Enter time by hand" records them (ActivityType); any other way
# of reaching out counts as a call with the patient or family.
CALL_ACTIVITY = {OutreachMethod.HOME_VISIT: ActivityType.VISIT}


@dataclass(frozen=True)
class CallLogged:
    """What `outreach_log` recorded, for the message the coordinator reads."""

    attempt: OutreachAttempt
    time_entry: TimeEntry | None
    task: Task | None  # the task the call was for, as it is now
    task_completed: bool  # this call completed it (on request, or as the patient's check-in task)
    next_task: Task | None  # the next occurrence of a repeating task completed here
    failed_in_a_row: int  # attempts in a row without reaching the patient, this one included (0 if reached)


@transaction.atomic
def outreach_log(
    *,
    actor: Actor,
    patient: Patient,
    method: str,
    outcome: str,
    occurred_at: dt.datetime,
    related_person: RelatedPerson | None = None,
    note: str = "",
    task: Task | None = None,
    minutes: int | None = None,
    complete_task: bool = False,
) -> CallLogged:
    """
    Records a call (`outreach_record`, with its cadence and escalation rules) and, in the same transaction,
    the minutes it took as care-management time (`time_services.time_add`: a call's activity, the actor's kind
    of time, on the call's local day, so they count toward that calendar month), and completes the task the
    call was for when `complete_task` asks and the call reached the patient or family (the call's summary is
    the task's outcome note). A try that did not reach them leaves the task open whatever `complete_task`
    says: failed tries count toward the escalation policy instead. All or nothing: invalid minutes save no call.
    """
    open_before = False
    if task is not None:
        task = Task.objects.select_for_update().get(pk=task.pk)
        open_before = task.status in OPEN_TASK_STATUSES
    attempt = outreach_record(
        actor=actor,
        patient=patient,
        method=method,
        outcome=outcome,
        occurred_at=occurred_at,
        related_person=related_person,
        note=note,
        task=task,
    )
    summary = _call_summary(attempt)
    entry = None
    if minutes is not None:
        entry = time_services.time_add(
            actor=actor,
            patient=attempt.patient,
            activity=CALL_ACTIVITY.get(method, ActivityType.CALL),
            minutes=minutes,
            on_date=_local_date(occurred_at, actor.organization),
            note=(f"{task.title}: {summary}" if task is not None else summary)[:300],
        )
    next_task = None
    if task is not None:
        task.refresh_from_db()  # reaching the patient may have completed it (the patient's check-in task)
        if complete_task and outcome not in FAILED_OUTCOMES and task.status in OPEN_TASK_STATUSES:
            next_task = careplan_services.task_complete(
                actor=actor, task=task, note=summary, expected_version=task.version
            )
            task.refresh_from_db()
    failed = len(failed_run(actor.organization, attempt.patient)) if outcome in FAILED_OUTCOMES else 0
    return CallLogged(
        attempt=attempt,
        time_entry=entry,
        task=task,
        task_completed=open_before and task is not None and task.status == TaskStatus.COMPLETED,
        next_task=next_task,
        failed_in_a_row=failed,
    )


def _call_summary(attempt: OutreachAttempt) -> str:
    """The call in a line, like `Phone call, reached (Ana Ruiz): taking it daily.` (a task's outcome note)."""
    who = f" ({attempt.related_person.display_name})" if attempt.related_person else ""
    said = f": {attempt.note}" if attempt.note else "."
    return f"{attempt.get_method_display()}, {attempt.get_outcome_display().lower()}{who}{said}"


# Progress notes ---------------------------------------------------------------------------------------------


def _clean_structured(actor: Actor, patient: Patient, template_key: str, structured: dict) -> dict:
    """Keeps the template's sections, with values from their value sets and goals of this patient."""
    template = note_rules.note_template(template_key)
    clean = note_rules.empty_structured(template)
    if template.shows(note_rules.SYMPTOMS):
        clean[note_rules.SYMPTOMS] = str(structured.get(note_rules.SYMPTOMS, "")).strip()[:4000]
    if template.shows(note_rules.ADHERENCE):
        adherence = structured.get(note_rules.ADHERENCE, "") or ""
        if adherence not in Adherence.values:
            raise ValidationError("Choose how the patient takes their medicines.", field="adherence")
        clean[note_rules.ADHERENCE] = adherence
    if template.shows(note_rules.BARRIERS):
        barriers = list(structured.get(note_rules.BARRIERS, []) or [])
        if any(b not in Barrier.values for b in barriers):
            raise ValidationError("Choose barriers from the list.", field="barriers")
        clean[note_rules.BARRIERS] = sorted(set(barriers))
    if template.shows(note_rules.GOALS):
        clean[note_rules.GOALS] = _clean_goal_progress(actor, patient, structured.get(note_rules.GOALS, []) or [])
    return clean


def _clean_goal_progress(actor: Actor, patient: Patient, rows: list[dict]) -> list[dict]:
    goals = {str(goal.public_id): goal for goal in open_goals_for(actor, patient)}
    clean = []
    for row in rows:
        goal = goals.get(str(row.get("goal", "")))
        if goal is None:
            raise ValidationError("A goal in the note is not one of this patient's open goals.", field="goals")
        progress, status = str(row.get("progress", "")).strip()[:2000], row.get("status", "") or ""
        if status and status not in GoalAchievementStatus.values:
            raise ValidationError("Choose the goal's progress from the list.", field="goals")
        if progress or status:
            clean.append({"goal": str(goal.public_id), "description": goal.description, "progress": progress,
                          "status": status})  # fmt: skip
    return clean


def _clean_participants(participants: list[dict]) -> list[dict]:
    clean = []
    for p in participants:
        kind, name = p.get("kind", ""), str(p.get("name", "")).strip()[:200]
        if kind not in ("patient", "family", "provider", "other") or not name:
            raise ValidationError("Name each participant.", field="participants")
        entry = {"kind": kind, "name": name}
        if p.get("id"):
            entry["id"] = str(p["id"])
        clean.append(entry)
    return clean


def _apply_note_data(actor: Actor, note: ProgressNote, data: dict) -> None:
    note.title = (data.get("title") or note.title or "").strip()[:200]
    if not note.title:
        raise ValidationError("A note needs a title.", field="title")
    note.body = (data.get("body") or "").strip()
    note.occurred_at = data.get("occurred_at") or note.occurred_at
    _not_in_future(note.occurred_at, "time of the contact")
    note.structured = _clean_structured(actor, note.patient, note.template, data.get("structured") or {})
    note.participants = _clean_participants(data.get("participants") or [])


@transaction.atomic
def note_create(*, actor: Actor, patient: Patient, template: str, data: dict) -> ProgressNote:
    """Starts a draft progress note from a template."""
    require_patient_editor(actor)
    patient = _visible(actor, patient)
    if template not in note_rules.NOTE_TEMPLATES:
        raise ValidationError("Choose a note template.", field="template")
    note = ProgressNote(
        organization=actor.organization,
        patient=patient,
        template=template,
        author=actor.user,
        occurred_at=clock.now(),
        title=note_rules.note_template(template).default_title,
    )
    _apply_note_data(actor, note, data)
    note.save()
    audit_record(actor=actor, event="note.create", action=AuditAction.CREATE, target=note, patient=patient)
    return note


def _own_draft(actor: Actor, note: ProgressNote, verb: str) -> None:
    _visible(actor, note.patient)
    if note.organization_id != actor.organization.pk:
        raise NotFoundError()
    if note.is_signed:
        raise InvalidStateError(SIGNED_MESSAGE)
    if note.status != NoteStatus.DRAFT:
        raise InvalidStateError("This note was entered in error and can no longer change.")
    if note.author_id != actor.user.pk:
        raise PermissionDeniedError(f"Only the author of a draft note can {verb} it.")


@transaction.atomic
def note_update(*, actor: Actor, note: ProgressNote, data: dict, expected_version: int) -> ProgressNote:
    """Saves an edit of a draft; a signed note refuses (corrections are addenda)."""
    require_patient_editor(actor)
    _own_draft(actor, note, "edit")
    _apply_note_data(actor, note, data)
    save_versioned(
        note,
        expected_version=expected_version,
        fields=["title", "body", "occurred_at", "structured", "participants"],
    )
    audit_record(actor=actor, event="note.update", action=AuditAction.UPDATE, target=note, patient=note.patient)
    return note


@transaction.atomic
def note_sign(*, actor: Actor, note: ProgressNote, expected_version: int) -> ProgressNote:
    """
    Signs a draft: hashes its canonical content and makes it final. A note of a contact moves the check-in
    cadence, and goal progress with a chosen status updates the goal on its care plan.
    """
    require_patient_editor(actor)
    _own_draft(actor, note, "sign")
    if not (note.body.strip() or any(note.structured.values())):
        raise ValidationError("Write something before signing: the note is empty.", field="body")
    note.status, note.signed_at, note.signed_by = NoteStatus.SIGNED, clock.now(), actor.user
    note.content_sha256 = note_rules.note_content_sha256(note)
    save_versioned(
        note, expected_version=expected_version, fields=["status", "signed_at", "signed_by", "content_sha256"]
    )
    audit_record(
        actor=actor,
        event="note.sign",
        action=AuditAction.UPDATE,
        target=note,
        patient=note.patient,
        detail={"sha256": note.content_sha256},
    )
    if note_rules.is_contact(note.template, note.participants):
        _patient_reached(actor, note.patient, note.occurred_at, f"{note.get_template_display()} note signed.")
    _update_goals(actor, note)
    return note


def _update_goals(actor: Actor, note: ProgressNote) -> None:
    """Goal statuses chosen in the signed note, through the care plan's own goal update."""
    goals = {str(g.public_id): g for g in open_goals_for(actor, note.patient)}
    for row in note.structured.get(note_rules.GOALS, []):
        goal = goals.get(row.get("goal", ""))
        if goal is None or not row.get("status") or row["status"] == goal.achievement_status:
            continue
        careplan_services.goal_update(
            actor=actor, goal=goal, data={"achievement_status": row["status"]}, expected_version=goal.version
        )


@transaction.atomic
def note_discard(*, actor: Actor, note: ProgressNote) -> None:
    """The author throws away a draft (a signed note stays forever)."""
    require_patient_editor(actor)
    _own_draft(actor, note, "discard")
    audit_record(
        actor=actor,
        event="note.discard",
        action=AuditAction.DELETE,
        target=note,
        patient=note.patient,
        detail={"title": note.title[:80]},
    )
    note.delete()


@transaction.atomic
def note_addendum_add(*, actor: Actor, note: ProgressNote, text: str) -> NoteAddendum:
    """Adds a correction or addition under a signed note."""
    require_patient_editor(actor)
    _visible(actor, note.patient)
    if note.organization_id != actor.organization.pk:
        raise NotFoundError()
    if not note.is_signed:
        raise InvalidStateError("A draft can still be edited; addenda go on signed notes.")
    text = (text or "").strip()
    if not text:
        raise ValidationError("Write the addendum.", field="text")
    addendum = NoteAddendum.objects.create(note=note, text=text[:10000], author=actor.user)
    audit_record(actor=actor, event="note.addendum", action=AuditAction.CREATE, target=addendum, patient=note.patient)
    return addendum


# Assessments ------------------------------------------------------------------------------------------------


@transaction.atomic
def assessment_record(
    *,
    actor: Actor,
    patient: Patient,
    instrument: str,
    answers: dict,
    occurred_at: dt.datetime,
    note: ProgressNote | None = None,
) -> tuple[Assessment, Score]:
    """
    Scores and stores a questionnaire, optionally as part of a draft note. A positive answer on PHQ-9
    item 9 puts an urgent, due-today safety task on the worklist (once per assessment).
    """
    require_patient_editor(actor)
    patient = _visible(actor, patient)
    if instrument not in INSTRUMENTS:
        raise ValidationError("Choose a questionnaire.", field="instrument")
    _not_in_future(occurred_at, "time of the questionnaire")
    if note is not None:
        if note.patient_id != patient.pk or note.organization_id != actor.organization.pk:
            raise NotFoundError("That note is about another patient.")
        if note.status != NoteStatus.DRAFT:
            raise InvalidStateError("That note is signed; record the questionnaire on its own or in a new note.")
    try:
        result = score(INSTRUMENTS[instrument], answers)
    except IncompleteAnswers as exc:
        raise ValidationError(str(exc), field="answers") from exc
    assessment = Assessment.objects.create(
        organization=actor.organization, patient=patient, instrument=instrument, answers=dict(result.answers),
        total=result.total, band=result.band.label, severity=result.band.severity, positive=result.positive,
        urgent=result.urgent, occurred_at=occurred_at, by=actor.user, note=note,
    )  # fmt: skip
    audit_record(
        actor=actor,
        event="assessment.record",
        action=AuditAction.CREATE,
        target=assessment,
        patient=patient,
        detail={"instrument": instrument, "total": result.total, "urgent": result.urgent},
    )
    if result.urgent:
        _safety_task(actor, patient, assessment, result)
    return assessment, result


def _safety_task(actor: Actor, patient: Patient, assessment: Assessment, result: Score) -> Task:
    return careplan_services.task_create(
        actor=actor,
        patient=patient,
        kind=TaskKind.CALL,
        title=f"Safety follow-up today: {patient.display_name} (PHQ-9 item 9)",
        description=" ".join(result.urgent_reasons),
        priority=TaskPriority.URGENT,
        due_date=clock.today_in(actor.organization.tz),
        source=TaskSource.CHECKINS,
        focus_type=ASSESSMENT_FOCUS,
        focus_id=assessment.public_id,
        dedupe_key=f"assessment-urgent:{assessment.public_id}",
        **_task_owner(actor.organization, patient, Role.SUPERVISOR),
    )
