"""Condition <-> patients.Condition (US Core Condition Problems and Health Concerns 6.1.0)."""

import datetime as dt

from django.db.models import Q

from carecoord.interop.fhir.base import ResourceMapper, SearchParam, compact, reference, referenced_id
from carecoord.interop.fhir.codes import coding, codings, first_code
from carecoord.interop.fhir.context import NotKept, lenient, subjects
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import date_filter, reference_filter, token_filter
from carecoord.patients.choices import (
    CodeSystem,
    ConditionCategory,
    ConditionClinicalStatus,
    ConditionVerificationStatus,
)
from carecoord.patients.models import Condition
from carecoord.patients.selectors import patients_visible_to
from carecoord.patients.services import condition_add, condition_update

from ._care import actor_key, bundle_memo, empty_for_new_patient, subject_checked_in_bundle, visible_patient

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
PROFILE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-condition-problems-health-concerns"


def _code_filter(value: str, modifier: str) -> Q:
    system, code = value.split("|", 1) if "|" in value else ("", value)
    query = Q(code=code) if code else Q()
    return query & Q(code_system=system) if system else query


@register
class ConditionMapper(ResourceMapper):
    resource_type = "Condition"
    model = Condition
    interactions = ("read", "vread", "search-type", "history-instance", "history-type", "create", "update", "delete")
    profile = PROFILE
    select_related = ("patient",)
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "subject": SearchParam(
            "subject", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "code": SearchParam("code", "token", _code_filter),
        "clinical-status": SearchParam("clinical-status", "token", token_filter("clinical_status", system=CLINICAL)),
        "category": SearchParam("category", "token", token_filter("category", system=CATEGORY)),
        "onset-date": SearchParam("onset-date", "date", date_filter("onset_date", is_date=True)),
    }
    sort_fields = {"onset-date": "onset_date", "code": "code"}

    def queryset(self, actor):
        return Condition.objects.filter(patient__in=patients_visible_to(actor))

    def is_retired(self, obj: Condition) -> bool:
        return obj.verification_status == ConditionVerificationStatus.ENTERED_IN_ERROR

    def to_fhir(self, obj: Condition) -> dict:
        system = CATEGORY if obj.category != ConditionCategory.HEALTH_CONCERN else US_CORE_CATEGORY
        verification = obj.verification_status
        resource = {
            **self.base(obj),
            "clinicalStatus": {"coding": [coding(CLINICAL, obj.clinical_status)]}
            if verification != ConditionVerificationStatus.ENTERED_IN_ERROR
            else None,
            "verificationStatus": {"coding": [coding(VERIFICATION, verification)]},
            "category": [{"coding": [coding(system, obj.category)]}],
            "code": {"coding": [coding(obj.code_system, obj.code, obj.display)], "text": obj.display},
            "subject": reference("Patient", obj.patient),
            "onsetDateTime": obj.onset_date.isoformat() if obj.onset_date else None,
            "abatementDateTime": obj.abatement_date.isoformat() if obj.abatement_date else None,
            "recordedDate": obj.created_at.date().isoformat(),
            "note": [{"text": obj.note}] if obj.note else None,
        }
        return compact(resource)

    def create(self, actor, resource: dict) -> Condition:
        patient = self._subject(actor, resource)
        condition = condition_add(actor=actor, patient=patient, data=self.from_fhir(resource))
        _remember(actor, condition)
        return condition

    def create_rolls_back_itself(self, actor, resource: dict) -> bool:
        return subject_checked_in_bundle(actor, resource, "Condition.subject")  # condition_add's own block

    def update(self, actor, obj: Condition, resource: dict) -> Condition:
        self._subject(actor, resource)
        return condition_update(actor=actor, condition=obj, data=self.from_fhir(resource), expected_version=obj.version)

    def delete(self, actor, obj: Condition) -> None:
        data = {"verification_status": ConditionVerificationStatus.ENTERED_IN_ERROR}
        condition_update(actor=actor, condition=obj, data=data, expected_version=obj.version)

    def find_existing(self, actor, resource: dict):
        try:
            patient_id = referenced_id(resource.get("subject"), "Patient", path="Condition.subject")
            data = self.from_fhir(resource)
        except (FhirError, NotKept):
            return None
        on_file = _on_file(self, actor, patient_id) if patient_id is not None else None
        if on_file is None:  # outside a transaction Bundle: one query
            return (
                self.queryset(actor)
                .filter(
                    patient__public_id=patient_id,
                    code_system=data["code_system"],
                    code=data["code"],
                    onset_date=data.get("onset_date"),
                )
                .first()
            )
        found = on_file.get((data["code_system"], data["code"], data.get("onset_date")))
        return self.queryset(actor).filter(pk=found[1]).first() if found else None

    def _subject(self, actor, resource: dict):
        key = referenced_id(resource.get("subject"), "Patient", path="Condition.subject")
        if key is None:
            raise FhirError(400, "Condition.subject must reference the Patient.", expression=["Condition.subject"])
        try:
            return visible_patient(actor, key)
        except Exception as exc:
            raise FhirError(
                400, f"Condition.subject Patient/{key} is not known.", expression=["Condition.subject"]
            ) from exc

    def from_fhir(self, resource: dict) -> dict:
        concept = resource.get("code") or {}
        system, code, display = _preferred_code(concept)
        if not code:
            message = "Condition.code needs a SNOMED CT or ICD-10-CM coding."
            if lenient():
                raise NotKept(message)
            raise FhirError(400, message, expression=["Condition.code"])
        clinical = first_code(resource.get("clinicalStatus"), CLINICAL) or ConditionClinicalStatus.ACTIVE
        verification = first_code(resource.get("verificationStatus"), VERIFICATION) or "confirmed"
        categories = [c.get("code") for cat in resource.get("category") or [] for c in codings(cat)]
        category = next((c for c in categories if c in ConditionCategory.values), ConditionCategory.PROBLEM_LIST)
        return {
            "code_system": system,
            "code": code,
            "display": (display or concept.get("text") or code)[:300],
            "category": category,
            "clinical_status": clinical,
            "verification_status": verification,
            "onset_date": _date(resource.get("onsetDateTime")),
            "abatement_date": _date(resource.get("abatementDateTime")),
            "note": " ".join(n.get("text", "") for n in resource.get("note") or [])[:300],
        }


# Inside a transaction Bundle (_care.bundle_memo), a patient's conditions on file are read once for the
# import's matches: (code_system, code, onset_date) -> (clinical_status, pk) of the one .first() finds
# (Condition.Meta.ordering: clinical_status first; the lowest pk among equals), with the Bundle's own creates
# added as they happen. A PUT or DELETE forgets them (context.forget_subjects).
ON_FILE = "Condition on file"
empty_for_new_patient(ON_FILE, "public_id", dict)


def _on_file(mapper: ConditionMapper, actor, patient_key) -> dict | None:
    def load() -> dict:
        found: dict = {}
        rows = mapper.queryset(actor).filter(patient__public_id=patient_key).order_by("clinical_status", "pk")
        for system, code, onset, status, pk in rows.values_list(
            "code_system", "code", "onset_date", "clinical_status", "pk"
        ):
            found.setdefault((system, code, onset), (status, pk))
        return found

    return bundle_memo((ON_FILE, patient_key, *actor_key(actor)), load)


def _remember(actor, condition: Condition) -> None:
    """Adds a new condition to its patient's conditions on file, when the Bundle has read them."""
    found = (subjects() or {}).get((ON_FILE, condition.patient.public_id, *actor_key(actor)))
    if found is None:
        return
    key = (condition.code_system, condition.code, condition.onset_date)
    if key not in found or condition.clinical_status < found[key][0]:
        found[key] = (condition.clinical_status, condition.pk)


def _preferred_code(concept: dict) -> tuple[str, str, str]:
    for system in (CodeSystem.SNOMED, CodeSystem.ICD10CM):
        for found in codings(concept):
            if found.get("system") == system and found.get("code"):
                return system, found["code"], found.get("display", "")
    return "", "", ""


def _date(value) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None
