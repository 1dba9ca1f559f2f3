"""
Goal <-> careplans.Goal (US Core Goal 6.1.0).

lifecycleStatus, achievementStatus (goal-achievement): FHIR R4 codes verbatim. description: text. subject,
startDate map as they are. target (one): measure (LOINC), detailQuantity with comparator (<, <=, >, >=) or
detailRange (our "between"), unit as Quantity.unit, and dueDate. expressedBy: the author of the goal's care
plan (display and our user id; a goal keeps no author of its own).
Every goal belongs to a care plan, which FHIR Goal has no element for: the CareCoord extension
urn:carecoord:fhir:careplan (valueReference CarePlan/<id>) carries it, is always shown, is required on
create and cannot change. Writes go through careplans.services (goal_add, goal_update); delete marks the goal
entered-in-error. A target value without a comparator cannot be kept (400; an import keeps the measure only).
"""

from carecoord.careplans.choices import GoalAchievementStatus, GoalLifecycleStatus, TargetComparator
from carecoord.careplans.models import Goal
from carecoord.careplans.selectors import careplan_get
from carecoord.careplans.services import goal_add, goal_update
from carecoord.core.errors import NotFoundError
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, choice_label, compact, reference, referenced_id
from carecoord.interop.fhir.codes import US_CORE, coding
from carecoord.interop.fhir.context import lenient
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import date_filter, reference_filter, token_filter
from carecoord.patients.selectors import patients_visible_to, readable_writers_q

from ._care import bad, code_in, extension_value, number, parse_date, parse_decimal, subject_patient, user_reference

CAREPLAN_EXTENSION = "urn:carecoord:fhir:careplan"
ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
LOINC = "http://loinc.org"
QUANTITY_COMPARATORS = {
    TargetComparator.BELOW,
    TargetComparator.AT_MOST,
    TargetComparator.ABOVE,
    TargetComparator.AT_LEAST,
}


@register
class GoalMapper(ResourceMapper):
    resource_type = "Goal"
    model = Goal
    interactions = ("read", "vread", "search-type", "history-instance", "history-type", "create", "update", "delete")
    profile = f"{US_CORE}/us-core-goal"
    select_related = ("patient", "careplan", "careplan__author")
    documentation = (
        f"Each Goal names its CarePlan in the extension {CAREPLAN_EXTENSION} (valueReference CarePlan/<id>), "
        "required on create."
    )
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "subject": SearchParam(
            "subject", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "lifecycle-status": SearchParam(
            "lifecycle-status", "token", token_filter("lifecycle_status", system="http://hl7.org/fhir/goal-status")
        ),
        "achievement-status": SearchParam(
            "achievement-status", "token", token_filter("achievement_status", system=ACHIEVEMENT)
        ),
        "target-date": SearchParam("target-date", "date", date_filter("due_date", is_date=True)),
        "start-date": SearchParam("start-date", "date", date_filter("start_date", is_date=True)),
        "careplan": SearchParam(
            "careplan",
            "reference",
            reference_filter("careplan", "CarePlan"),
            "The care plan it belongs to (CareCoord).",
            target="CarePlan",
            include_attr="careplan",
        ),
    }
    sort_fields = {"target-date": "due_date", "start-date": "start_date"}

    def queryset(self, actor):
        return Goal.objects.filter(patient__in=patients_visible_to(actor)).filter(readable_writers_q(actor))

    def is_retired(self, obj: Goal) -> bool:
        return obj.lifecycle_status == GoalLifecycleStatus.ENTERED_IN_ERROR

    def to_fhir(self, obj: Goal) -> dict:
        return compact(
            {
                **self.base(obj),
                "extension": [{"url": CAREPLAN_EXTENSION, "valueReference": reference("CarePlan", obj.careplan)}],
                "lifecycleStatus": obj.lifecycle_status,
                "achievementStatus": {
                    "coding": [coding(ACHIEVEMENT, obj.achievement_status, choice_label(obj, "achievement_status"))]
                },
                "description": {"text": obj.description},
                "subject": reference("Patient", obj.patient),
                "startDate": obj.start_date.isoformat(),
                "target": [self._target(obj)],
                "expressedBy": user_reference(obj.careplan.author),
            }
        )

    def _target(self, obj: Goal) -> dict:
        target = {
            "measure": {"coding": [coding(LOINC, obj.measure_code, obj.measure_display)], "text": obj.measure_display}
            if obj.measure_code
            else ({"text": obj.measure_display} if obj.measure_display else None),
            "dueDate": obj.due_date.isoformat() if obj.due_date else None,
        }
        unit = {"unit": obj.target_unit} if obj.target_unit else {}
        if obj.target_comparator == TargetComparator.BETWEEN:
            target["detailRange"] = {
                "low": {"value": number(obj.target_value), **unit},
                "high": {"value": number(obj.target_value_high), **unit},
            }
        elif obj.target_comparator and obj.target_value is not None:
            target["detailQuantity"] = {"value": number(obj.target_value), "comparator": obj.target_comparator, **unit}
        return target

    # --- writes ---
    def create(self, actor, resource: dict) -> Goal:
        careplan = self._careplan(actor, resource)
        patient = subject_patient(actor, resource.get("subject"), "Goal.subject")
        if patient.pk != careplan.patient_id:
            raise bad("Goal.subject", "must be the patient of the goal's care plan.")
        return goal_add(actor=actor, careplan=careplan, data=self.from_fhir(resource))

    def update(self, actor, obj: Goal, resource: dict) -> Goal:
        if self._careplan(actor, resource).pk != obj.careplan_id:
            raise bad(f"Goal.extension('{CAREPLAN_EXTENSION}')", "a goal cannot move to another care plan.")
        patient = subject_patient(actor, resource.get("subject"), "Goal.subject")
        if patient.pk != obj.patient_id:
            raise bad("Goal.subject", "must be the patient of the goal's care plan.")
        data = self.from_fhir(resource)
        return goal_update(actor=actor, goal=obj, data=data, expected_version=obj.version)

    def delete(self, actor, obj: Goal) -> None:
        goal_update(
            actor=actor,
            goal=obj,
            data={"lifecycle_status": GoalLifecycleStatus.ENTERED_IN_ERROR},
            expected_version=obj.version,
        )

    def _careplan(self, actor, resource: dict):
        path = f"Goal.extension('{CAREPLAN_EXTENSION}')"
        key = referenced_id(extension_value(resource, CAREPLAN_EXTENSION, "valueReference"), "CarePlan", path=path)
        if key is None:
            raise bad(path, "name the goal's care plan (valueReference CarePlan/<id>).")
        try:
            return careplan_get(actor, key, audit_event=None)
        except NotFoundError as exc:
            raise bad(path, f"CarePlan/{key} is not known.") from exc

    def from_fhir(self, resource: dict) -> dict:
        description = str((resource.get("description") or {}).get("text") or "").strip()
        if not description:
            codings = (resource.get("description") or {}).get("coding") or []
            description = next((c.get("display", "") for c in codings if c.get("display")), "")
        if not description:
            raise bad("Goal.description", "give the goal in words (description.text).")
        achievement = next(
            (
                c.get("code")
                for c in (resource.get("achievementStatus") or {}).get("coding") or []
                if c.get("system") == ACHIEVEMENT
            ),
            None,
        )
        data = {
            "description": description[:300],
            "lifecycle_status": code_in(
                resource.get("lifecycleStatus"), GoalLifecycleStatus.values, "Goal.lifecycleStatus"
            ),
            "start_date": parse_date(resource.get("startDate"), "Goal.startDate"),
            **_target(resource),
        }
        if achievement:
            data["achievement_status"] = code_in(achievement, GoalAchievementStatus.values, "Goal.achievementStatus")
        if data["start_date"] is None:
            del data["start_date"]  # goal_add starts it today; an update keeps the stored day
        return data


def _target(resource: dict) -> dict:
    targets = resource.get("target") or []
    target = targets[0] if targets else {}
    measure = target.get("measure") or {}
    loinc = next((c for c in measure.get("coding") or [] if c.get("system") == LOINC and c.get("code")), {})
    data = {
        "due_date": parse_date(target.get("dueDate"), "Goal.target.dueDate"),
        "measure_code": str(loinc.get("code", ""))[:20],
        "measure_display": str(loinc.get("display") or measure.get("text") or "")[:120],
        "target_comparator": "",
        "target_value": None,
        "target_value_high": None,
        "target_unit": "",
    }
    quantity, span = target.get("detailQuantity"), target.get("detailRange")
    if quantity:
        comparator = quantity.get("comparator")
        if comparator not in QUANTITY_COMPARATORS:
            if lenient():
                return data
            raise FhirError(
                400,
                "Goal.target.detailQuantity needs a comparator (<, <=, >, >=); give a range as detailRange.",
                expression=["Goal.target.detailQuantity.comparator"],
            )
        data.update(
            target_comparator=comparator,
            target_value=parse_decimal(quantity.get("value"), "Goal.target.detailQuantity.value"),
            target_unit=str(quantity.get("unit") or quantity.get("code") or "")[:30],
        )
    elif span:
        low, high = span.get("low") or {}, span.get("high") or {}
        data.update(
            target_comparator=TargetComparator.BETWEEN,
            target_value=parse_decimal(low.get("value"), "Goal.target.detailRange.low"),
            target_value_high=parse_decimal(high.get("value"), "Goal.target.detailRange.high"),
            target_unit=str(low.get("unit") or high.get("unit") or "")[:30],
        )
    return data
