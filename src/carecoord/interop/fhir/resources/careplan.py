"""
CarePlan <-> careplans.CarePlan (US Core CarePlan 6.1.0).

status, intent: FHIR R4 codes verbatim. category: US Core assess-plan, plus our category (coded in
urn:carecoord:careplan-category, with its name as text). title, description, subject, period, created map
as they are (a plan sent without a title takes its category's name); author is the staff user who wrote it
(our user id and name); addresses: Condition references; goal: its Goals; activity: a reference to each of
its Tasks. text is a generated narrative.
Writes go through careplans.services: create makes a draft unless the caller is a provider (API clients are
not), whatever status is sent; update edits the fields and moves the status along the plan's lifecycle (a
draft becomes active only by a provider's approval in CareCoord); delete marks it entered-in-error, which
cancels its open tasks. Goals and activities are written through Goal and Task, not here. Not shown: who
approved it and when, the template it came from.
"""

from django.db.models import F, Prefetch, Q

from carecoord.careplans.choices import CarePlanCategory, CarePlanIntent, CarePlanStatus
from carecoord.careplans.domain import EDITABLE_PLAN_STATUSES
from carecoord.careplans.models import CarePlan, Task
from carecoord.careplans.services import careplan_create, careplan_set_status, careplan_update
from carecoord.core import clock
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, choice_label, compact, instant, reference
from carecoord.interop.fhir.codes import US_CORE, coding
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import reference_filter, token_filter
from carecoord.patients.models import Condition
from carecoord.patients.selectors import patients_visible_to, readable_writers_q

from ._care import (
    bad,
    carecoord_system,
    code_in,
    narrative,
    parse_date,
    period_filter,
    references_to,
    subject_checked_in_bundle,
    subject_patient,
    user_reference,
)

US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
CATEGORY_SYSTEM = carecoord_system("careplan-category")
STATUS = "http://hl7.org/fhir/request-status"


def _category_filter(value: str, modifier: str) -> Q:
    system, code = value.split("|", 1) if "|" in value else (None, value)
    if code == "assess-plan" and system in (None, US_CORE_CATEGORY):
        query = Q()
    elif system in (None, CATEGORY_SYSTEM) and code:
        query = Q(category=code)
    else:
        query = Q(pk__in=[])
    return ~query if modifier == "not" else query


@register
class CarePlanMapper(ResourceMapper):
    resource_type = "CarePlan"
    model = CarePlan
    interactions = ("read", "vread", "search-type", "history-instance", "history-type", "create", "update", "delete")
    profile = f"{US_CORE}/us-core-careplan"
    select_related = ("patient", "author")
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "subject": SearchParam(
            "subject", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "status": SearchParam("status", "token", token_filter("status", system=STATUS)),
        "intent": SearchParam("intent", "token", token_filter("intent", system="http://hl7.org/fhir/request-intent")),
        "category": SearchParam(
            "category", "token", _category_filter, "assess-plan (every plan) or our category code."
        ),
        "date": SearchParam("date", "date", period_filter("start_date", "end_date"), "The plan's period."),
    }
    sort_fields = {"date": "start_date", "status": "status"}

    def queryset(self, actor):
        return CarePlan.objects.filter(patient__in=patients_visible_to(actor)).filter(readable_writers_q(actor))

    def read_queryset(self, actor):
        tasks = Task.objects.order_by(F("due_date").asc(nulls_last=True), "id")
        return super().read_queryset(actor).prefetch_related("addresses", "goals", Prefetch("tasks", queryset=tasks))

    def is_retired(self, obj: CarePlan) -> bool:
        return obj.status == CarePlanStatus.ENTERED_IN_ERROR

    def to_fhir(self, obj: CarePlan) -> dict:
        period = f"from {obj.start_date.isoformat()}" + (f" to {obj.end_date.isoformat()}" if obj.end_date else "")
        return compact(
            {
                **self.base(obj),
                "text": narrative(
                    f"{obj.title} ({choice_label(obj, 'category')}), {choice_label(obj, 'status').lower()}, {period}.",
                    obj.description,
                ),
                "status": obj.status,
                "intent": obj.intent,
                "category": [
                    {"coding": [coding(US_CORE_CATEGORY, "assess-plan", "Assessment and Plan of Treatment")]},
                    {"coding": [coding(CATEGORY_SYSTEM, obj.category)], "text": choice_label(obj, "category")},
                ],
                "title": obj.title,
                "description": obj.description,
                "subject": reference("Patient", obj.patient),
                "period": {
                    "start": obj.start_date.isoformat(),
                    "end": obj.end_date.isoformat() if obj.end_date else None,
                },
                "created": instant(obj.created_at),
                "author": user_reference(obj.author),
                "addresses": [reference("Condition", c) for c in obj.addresses.all()],
                "goal": [reference("Goal", g) for g in obj.goals.all()],
                "activity": [{"reference": reference("Task", t)} for t in obj.tasks.all()],
            }
        )

    # --- writes ---
    def create(self, actor, resource: dict) -> CarePlan:
        patient = subject_patient(actor, resource.get("subject"), "CarePlan.subject")
        data = self.from_fhir(resource, actor)
        return careplan_create(actor=actor, patient=patient, data=data, addresses=self._addresses(patient, resource))

    def create_rolls_back_itself(self, actor, resource: dict) -> bool:
        return subject_checked_in_bundle(actor, resource, "CarePlan.subject")  # careplan_create's own block

    def update(self, actor, obj: CarePlan, resource: dict) -> CarePlan:
        patient = subject_patient(actor, resource.get("subject"), "CarePlan.subject")
        if patient.pk != obj.patient_id:
            raise FhirError(400, "CarePlan.subject cannot change.", expression=["CarePlan.subject"])
        data = self.from_fhir(resource, actor)
        addresses = self._addresses(patient, resource)
        status = code_in(resource.get("status"), CarePlanStatus.values, "CarePlan.status")
        changed = any(getattr(obj, k) != v for k, v in data.items()) or {c.pk for c in addresses} != {
            c.pk for c in obj.addresses.all()
        }
        plan = obj
        if status != plan.status and plan.status not in EDITABLE_PLAN_STATUSES:
            plan = careplan_set_status(actor=actor, careplan=plan, status=status, expected_version=plan.version)
        if changed:
            plan = careplan_update(
                actor=actor, careplan=plan, data=data, addresses=addresses, expected_version=plan.version
            )
        if status != plan.status:
            plan = careplan_set_status(actor=actor, careplan=plan, status=status, expected_version=plan.version)
        return plan

    def delete(self, actor, obj: CarePlan) -> None:
        careplan_set_status(
            actor=actor,
            careplan=obj,
            status=CarePlanStatus.ENTERED_IN_ERROR,
            expected_version=obj.version,
            reason="deleted through the FHIR API",
        )

    def _addresses(self, patient, resource: dict) -> list[Condition]:
        keys = references_to(resource.get("addresses"), "Condition", "CarePlan.addresses")
        found = list(Condition.objects.filter(patient=patient, public_id__in=keys))
        missing = set(keys) - {c.public_id for c in found}
        if missing:
            raise bad("CarePlan.addresses", f"Condition/{sorted(missing)[0]} is not one of this patient's conditions.")
        return found

    def from_fhir(self, resource: dict, actor) -> dict:
        title = (resource.get("title") or "").strip() or _category_name(resource)
        if not title:
            raise bad("CarePlan.title", "a care plan needs a title.")
        period = resource.get("period") or {}
        return {
            "title": title[:200],
            "description": resource.get("description") or "",
            "category": _category(resource),
            "intent": code_in(resource.get("intent"), CarePlanIntent.values, "CarePlan.intent"),
            "start_date": parse_date(period.get("start"), "CarePlan.period.start")
            or clock.today_in(actor.organization.tz),
            "end_date": parse_date(period.get("end"), "CarePlan.period.end"),
        }


def _category(resource: dict) -> str:
    concepts = resource.get("category") or []
    for concept in concepts:
        for found in concept.get("coding") or []:
            if found.get("system") == CATEGORY_SYSTEM and found.get("code") in CarePlanCategory.values:
                return found["code"]
    labels = {label.lower(): value for value, label in CarePlanCategory.choices}
    texts = [str(concept.get("text", "")).strip().lower() for concept in concepts]
    return next((labels[t] for t in texts if t in labels), CarePlanCategory.OTHER)


def _category_name(resource: dict) -> str:
    """A title for a plan sent without one (Synthea's): the name of its first category other than assess-plan."""
    for concept in resource.get("category") or []:
        codes = concept.get("coding") or []
        if any(c.get("code") == "assess-plan" for c in codes):
            continue
        name = concept.get("text") or next((c.get("display") for c in codes if c.get("display")), "")
        if name:
            return str(name).strip()
    return ""
