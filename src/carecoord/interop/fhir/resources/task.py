"""
Task, from two sources (a CompositeMapper, composite.py): careplans.Task here, and the status of community
referrals (community.Referral; _referral_task.py, read-only). Ids of both are their records' ids.

Care-plan tasks (FHIR R4 Task; US Core 6.1.0 has no Task profile):

status, priority: FHIR R4 codes verbatim; intent is always "order". code: our task kind (coded in
urn:carecoord:task-kind, name as text); description: the title; note: the longer description; for: the
patient; owner: the staff user (our user id, system urn:carecoord:user, and name) - a task owned by a role
names it in performerType (urn:carecoord:role) instead; requester: who created it; authoredOn/lastModified:
created/last changed; restriction.period.end: the due date; executionPeriod.end: when it was completed;
output "Outcome": the completion note; businessStatus: "Snoozed until ..." while snoozed; basedOn: its
CarePlan; reasonReference: its Goal; focus: the record it is about (a reference where that record is a FHIR
resource here - Appointment, Task, CarePlan... - else an identifier urn:carecoord:<app.Model>|<id>).
Writes go through careplans.services: create (task_create, or careplan_task_add when basedOn names a plan)
takes status draft/requested/received/accepted/ready, a role-less task without owner goes to the coordinator
role; update changes only status (task_set_status; completing needs the outcome in output or statusReason)
and owner (task_reassign) - other elements cannot change through the API (422); delete marks it
entered-in-error. Not shown or kept: recurrence, snooze reason, escalation links, the source capability.
"""

from django.db.models import Q

from carecoord.careplans.choices import TaskKind, TaskPriority, TaskStatus
from carecoord.careplans.models import Goal, Task
from carecoord.careplans.selectors import careplan_get, tasks_visible_to
from carecoord.careplans.services import careplan_task_add, task_create, task_reassign, task_set_status
from carecoord.core import clock
from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, choice_label, compact, instant, parse_id, reference
from carecoord.interop.fhir.codes import coding
from carecoord.interop.fhir.composite import CompositeMapper
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import date_filter, reference_filter, token_filter

from ._care import (
    USER_SYSTEM,
    bad,
    carecoord_system,
    code_in,
    member_user,
    parse_date,
    references_to,
    subject_patient,
    user_reference,
)
from ._referral_task import ReferralTask

KIND_SYSTEM = carecoord_system("task-kind")
ROLE_SYSTEM = carecoord_system("role")
STATUS = "http://hl7.org/fhir/task-status"
CREATE_STATUSES = (TaskStatus.DRAFT, TaskStatus.REQUESTED, TaskStatus.RECEIVED, TaskStatus.ACCEPTED, TaskStatus.READY)
# Records a task may be about that are FHIR resources here (app.Model -> resource type).
FOCUS_TYPES = {
    "careplans.Task": "Task",
    "careplans.CarePlan": "CarePlan",
    "careplans.Goal": "Goal",
    "patients.Patient": "Patient",
    "patients.Condition": "Condition",
    "patients.RelatedPerson": "RelatedPerson",
    "patients.Consent": "Consent",
    "scheduling.Appointment": "Appointment",
}
OUTCOME = "Outcome"


def _owner_filter(value: str, modifier: str) -> Q:
    if modifier not in ("", "not"):
        raise FhirError(400, f"The modifier :{modifier} is not supported on owner.")
    system, _, code = value.rpartition("|")
    if system and system != USER_SYSTEM:
        return Q(pk__in=[])
    key = parse_id(code)
    query = Q(owner__public_id=key) if key else Q(owner__email__iexact=code)
    return ~query if modifier == "not" else query


class CarePlanTask(ResourceMapper):
    resource_type = "Task"
    model = Task
    source = "care-plan tasks"
    interactions = ("read", "vread", "search-type", "history-instance", "history-type", "create", "update", "delete")
    select_related = ("patient", "organization", "owner", "careplan", "goal", "created_by")
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "subject": SearchParam(
            "subject", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "owner": SearchParam(
            "owner", "token", _owner_filter, f"The owner by our user id ({USER_SYSTEM}|<id>) or email."
        ),
        "status": SearchParam("status", "token", token_filter("status", system=STATUS)),
        "priority": SearchParam(
            "priority", "token", token_filter("priority", system="http://hl7.org/fhir/request-priority")
        ),
        "code": SearchParam("code", "token", token_filter("kind", system=KIND_SYSTEM), "Our task kind."),
        "period": SearchParam("period", "date", date_filter("due_date", is_date=True), "The due date."),
        "authored-on": SearchParam("authored-on", "date", date_filter("created_at")),
        "modified": SearchParam("modified", "date", date_filter("updated_at")),
        "based-on": SearchParam(
            "based-on",
            "reference",
            reference_filter("careplan", "CarePlan"),
            target="CarePlan",
            include_attr="careplan",
        ),
    }
    sort_fields = {"period": "due_date", "authored-on": "created_at", "modified": "updated_at", "status": "status"}

    def queryset(self, actor):
        return tasks_visible_to(actor)

    def is_retired(self, obj: Task) -> bool:
        return obj.status == TaskStatus.ENTERED_IN_ERROR

    def to_fhir(self, obj: Task) -> dict:
        today = clock.today_in(obj.organization.tz)
        snoozed = obj.snoozed_until and obj.snoozed_until > today
        return compact(
            {
                **self.base(obj),
                "basedOn": [reference("CarePlan", obj.careplan)],
                "status": obj.status,
                "businessStatus": {"text": f"Snoozed until {obj.snoozed_until.isoformat()}"} if snoozed else None,
                "intent": "order",
                "priority": obj.priority,
                "code": {
                    "coding": [coding(KIND_SYSTEM, obj.kind, choice_label(obj, "kind"))],
                    "text": choice_label(obj, "kind"),
                },
                "description": obj.title,
                "focus": _focus(obj),
                "for": reference("Patient", obj.patient),
                "executionPeriod": {"end": instant(obj.completed_at)} if obj.completed_at else None,
                "authoredOn": instant(obj.created_at),
                "lastModified": instant(obj.updated_at),
                "requester": user_reference(obj.created_by),
                "performerType": [
                    {
                        "coding": [coding(ROLE_SYSTEM, obj.owner_role, choice_label(obj, "owner_role"))],
                        "text": choice_label(obj, "owner_role"),
                    }
                ]
                if obj.owner_role and obj.owner_id is None
                else [],
                "owner": user_reference(obj.owner),
                "reasonReference": reference("Goal", obj.goal),
                "note": [{"text": obj.description}] if obj.description else [],
                "restriction": {"period": {"end": obj.due_date.isoformat()}} if obj.due_date else None,
                "output": [{"type": {"text": OUTCOME}, "valueString": obj.outcome_note}] if obj.outcome_note else [],
            }
        )

    # --- writes ---
    def create(self, actor, resource: dict) -> Task:
        patient = subject_patient(actor, resource.get("for"), "Task.for")
        status = code_in(resource.get("status"), TaskStatus.values, "Task.status")
        if status not in CREATE_STATUSES:
            raise bad("Task.status", f"a new task is {', '.join(CREATE_STATUSES)}, not {status}.")
        careplan, goal = self._plan_and_goal(actor, resource)
        owner, owner_role = self._owner(actor, resource)
        title = str(resource.get("description") or "").strip()
        if not title:
            raise bad("Task.description", "a task needs a title (description).")
        fields = {
            "kind": _kind(resource),
            "title": title[:200],
            "description": "\n\n".join(n.get("text", "") for n in resource.get("note") or [] if n.get("text")),
            "priority": code_in(resource.get("priority") or "routine", TaskPriority.values, "Task.priority"),
            "due_date": _due(resource),
            "owner": owner,
            "owner_role": owner_role,
            "goal": goal,
            "status": status,
        }
        if careplan is not None:
            if careplan.patient_id != patient.pk:
                raise bad("Task.basedOn", "the care plan belongs to another patient.")
            # A FHIR client sends what another system already decided (often a task that fell due earlier):
            # no person is there to confirm a past due date, so it is taken as sent, as task_create does.
            return careplan_task_add(actor=actor, careplan=careplan, allow_past_due=True, **fields)
        return task_create(actor=actor, patient=patient, **fields)

    def update(self, actor, obj: Task, resource: dict) -> Task:
        patient = subject_patient(actor, resource.get("for"), "Task.for")
        careplan, goal = self._plan_and_goal(actor, resource)
        fixed = {
            "Task.for": (patient.pk, obj.patient_id),
            "Task.description": (str(resource.get("description") or "").strip(), obj.title),
            "Task.code": (_kind(resource), obj.kind),
            "Task.priority": (resource.get("priority") or "routine", obj.priority),
            "Task.restriction.period.end": (_due(resource), obj.due_date),
            "Task.basedOn": (careplan.pk if careplan else None, obj.careplan_id),
            "Task.reasonReference": (goal.pk if goal else None, obj.goal_id),
        }
        for path, (sent, kept) in fixed.items():
            if sent != kept:
                raise FhirError(
                    422,
                    f"{path} cannot change through the API: only Task.status and Task.owner can.",
                    code="business-rule",
                    expression=[path],
                )
        owner, owner_role = self._owner(actor, resource)
        moved = owner.pk != obj.owner_id if owner else (obj.owner_id is not None or owner_role != obj.owner_role)
        if moved:
            obj = task_reassign(actor=actor, task=obj, owner=owner, owner_role=owner_role, expected_version=obj.version)
        status = code_in(resource.get("status"), TaskStatus.values, "Task.status")
        if status != obj.status:
            task_set_status(
                actor=actor, task=obj, status=status, note=_status_note(resource), expected_version=obj.version
            )
        return obj

    def delete(self, actor, obj: Task) -> None:
        task_set_status(
            actor=actor,
            task=obj,
            status=TaskStatus.ENTERED_IN_ERROR,
            note="Deleted through the FHIR API",
            expected_version=obj.version,
        )

    def _plan_and_goal(self, actor, resource: dict):
        plans = references_to(resource.get("basedOn"), "CarePlan", "Task.basedOn")
        careplan = goal = None
        if plans:
            try:
                careplan = careplan_get(actor, plans[0], audit_event=None)
            except NotFoundError as exc:
                raise bad("Task.basedOn", f"CarePlan/{plans[0]} is not known.") from exc
        goals = references_to(resource.get("reasonReference"), "Goal", "Task.reasonReference")
        if goals:
            goal = Goal.objects.filter(public_id=goals[0], careplan=careplan).first() if careplan else None
            if goal is None:
                raise bad("Task.reasonReference", f"Goal/{goals[0]} is not a goal of the task's care plan (basedOn).")
        return careplan, goal

    def _owner(self, actor, resource: dict):
        owner = member_user(actor, resource.get("owner"), "Task.owner")
        if owner is not None:
            return owner, ""
        for concept in resource.get("performerType") or []:
            for found in concept.get("coding") or []:
                if found.get("system") == ROLE_SYSTEM and found.get("code") in Role.values:
                    return None, found["code"]
            labels = {label.lower(): value for value, label in Role.choices}
            if str(concept.get("text", "")).strip().lower() in labels:
                return None, labels[concept["text"].strip().lower()]
        return None, Role.COORDINATOR


@register
class TaskMapper(CompositeMapper):
    resource_type = "Task"
    part_classes = (CarePlanTask, ReferralTask)


def _focus(obj: Task) -> dict | None:
    if not obj.focus_id:
        return None
    resource_type = FOCUS_TYPES.get(obj.focus_type)
    if resource_type:
        return {"reference": f"{resource_type}/{obj.focus_id}"}
    return {"identifier": {"system": carecoord_system(obj.focus_type), "value": str(obj.focus_id)}}


def _kind(resource: dict) -> str:
    codings = (resource.get("code") or {}).get("coding") or []
    return next(
        (c["code"] for c in codings if c.get("system") == KIND_SYSTEM and c.get("code") in TaskKind.values),
        TaskKind.OTHER,
    )


def _due(resource: dict):
    period = (resource.get("restriction") or {}).get("period") or {}
    return parse_date(period.get("end"), "Task.restriction.period.end")


def _status_note(resource: dict) -> str:
    outcome = next(
        (o.get("valueString") for o in resource.get("output") or [] if (o.get("type") or {}).get("text") == OUTCOME),
        None,
    )
    return outcome or str((resource.get("statusReason") or {}).get("text") or "")
