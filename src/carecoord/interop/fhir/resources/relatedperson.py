"""
RelatedPerson <-> patients.RelatedPerson (US Core RelatedPerson 6.1.0).

relationship: our code in v3-RoleCode where it is one (SPS, MTH, DAUC...), else text only (paid caregiver,
other); an emergency contact adds v2-0131 C, a health care proxy adds v3-RoleCode HPOWATT (both read back).
name, phone/email (telecom), address (as Address.text), preferred language (communication) map both ways.
Not in FHIR, kept as they are on update: may-receive-information, portal access, note.
delete = deactivate (related_person_deactivate ends their care-team roles); active=false on update does the
same; a deactivated person cannot be reactivated through the API.
"""

from django.db.models import Q

from carecoord.interop.fhir.base import ResourceMapper, SearchParam, choice_label, compact, reference
from carecoord.interop.fhir.codes import BCP47, US_CORE, coding
from carecoord.interop.fhir.context import NotKept
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import reference_filter, string_filter, token_filter
from carecoord.patients.choices import LANGUAGE_NAMES, Relationship
from carecoord.patients.domain import PhoneError, normalize_phone
from carecoord.patients.models import RelatedPerson
from carecoord.patients.selectors import patients_visible_to
from carecoord.patients.services import related_person_add, related_person_deactivate, related_person_update

from ._care import bad, subject_patient

ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
V2_0131 = "http://terminology.hl7.org/CodeSystem/v2-0131"
# Our relationships that are v3-RoleCode codes as they stand; the others travel as text.
ROLE_CODED = frozenset(Relationship.values) - {Relationship.CAREGIVER, Relationship.OTHER}
EMERGENCY_CONTACT = "C"
HEALTH_CARE_PROXY = "HPOWATT"


def _relationship_filter(value: str, modifier: str) -> Q:
    system, code = value.split("|", 1) if "|" in value else (None, value)
    if system == V2_0131:
        query = Q(is_emergency_contact=True) if code == EMERGENCY_CONTACT else Q(pk__in=[])
    elif code == HEALTH_CARE_PROXY and system in (None, ROLE_CODE):
        query = Q(is_health_care_proxy=True)
    elif system not in (None, ROLE_CODE) or (system == ROLE_CODE and code not in ROLE_CODED):
        query = Q(pk__in=[])
    else:
        query = Q(relationship=code) if code else Q()
    return ~query if modifier == "not" else query


@register
class RelatedPersonMapper(ResourceMapper):
    resource_type = "RelatedPerson"
    model = RelatedPerson
    interactions = ("read", "vread", "search-type", "history-instance", "history-type", "create", "update", "delete")
    profile = f"{US_CORE}/us-core-relatedperson"
    select_related = ("patient",)
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "name": SearchParam("name", "string", string_filter("given_name", "family_name"), "Given or family name."),
        "relationship": SearchParam(
            "relationship",
            "token",
            _relationship_filter,
            "v3-RoleCode (SPS, MTH, DAUC..., HPOWATT for a health care proxy) or v2-0131|C for an emergency contact.",
        ),
        "active": SearchParam("active", "token", token_filter("active", codes={"true": True, "false": False})),
    }
    sort_fields = {"name": "family_name", "family": "family_name"}

    def queryset(self, actor):
        return RelatedPerson.objects.filter(patient__in=patients_visible_to(actor))

    def is_retired(self, obj: RelatedPerson) -> bool:
        return not obj.active

    def to_fhir(self, obj: RelatedPerson) -> dict:
        codings = (
            [coding(ROLE_CODE, obj.relationship, choice_label(obj, "relationship"))]
            if obj.relationship in (ROLE_CODED)
            else []
        )
        relationships = [{"coding": codings, "text": choice_label(obj, "relationship")}]
        if obj.is_emergency_contact:
            relationships.append({"coding": [coding(V2_0131, EMERGENCY_CONTACT, "Emergency Contact")]})
        if obj.is_health_care_proxy:
            relationships.append({"coding": [coding(ROLE_CODE, HEALTH_CARE_PROXY, "healthcare power of attorney")]})
        telecom = [{"system": "phone", "value": obj.phone}] if obj.phone else []
        if obj.email:
            telecom.append({"system": "email", "value": obj.email})
        return compact(
            {
                **self.base(obj),
                "active": obj.active,
                "patient": reference("Patient", obj.patient),
                "relationship": relationships,
                "name": [{"family": obj.family_name, "given": [obj.given_name]}],
                "telecom": telecom,
                "address": [{"text": obj.address}] if obj.address else [],
                "communication": [
                    {
                        "language": {
                            "coding": [
                                coding(BCP47, obj.preferred_language, LANGUAGE_NAMES.get(obj.preferred_language, ""))
                            ]
                        },
                        "preferred": True,
                    }
                ],
            }
        )

    # --- writes ---
    def create(self, actor, resource: dict) -> RelatedPerson:
        patient = subject_patient(actor, resource.get("patient"), "RelatedPerson.patient")
        person = related_person_add(actor=actor, patient=patient, data=self.from_fhir(resource))
        if resource.get("active") is False:
            person = related_person_deactivate(actor=actor, person=person)
        return person

    def update(self, actor, obj: RelatedPerson, resource: dict) -> RelatedPerson:
        patient = subject_patient(actor, resource.get("patient"), "RelatedPerson.patient")
        if patient.pk != obj.patient_id:
            raise FhirError(
                400,
                "RelatedPerson.patient cannot change: add the person to the other patient.",
                expression=["RelatedPerson.patient"],
            )
        active = resource.get("active", True)
        if active and not obj.active:
            raise FhirError(
                422,
                "A deactivated related person cannot be reactivated; add them again.",
                code="business-rule",
                expression=["RelatedPerson.active"],
            )
        person = related_person_update(
            actor=actor, person=obj, data=self.from_fhir(resource), expected_version=obj.version
        )
        if not active and person.active:
            person = related_person_deactivate(actor=actor, person=person)
        return person

    def delete(self, actor, obj: RelatedPerson) -> None:
        related_person_deactivate(actor=actor, person=obj)

    def find_existing(self, actor, resource: dict):
        try:
            data = self.from_fhir(resource)
            patient = subject_patient(actor, resource.get("patient"), "RelatedPerson.patient")
        except (FhirError, NotKept):
            return None
        return (
            self.queryset(actor)
            .filter(patient=patient, given_name__iexact=data["given_name"], family_name__iexact=data["family_name"])
            .first()
        )

    def from_fhir(self, resource: dict) -> dict:
        names = resource.get("name") or []
        name = next((n for n in names if n.get("use") in (None, "official", "usual")), names[0] if names else {})
        given = name.get("given") or []
        if not name.get("family") or not given:
            raise bad("RelatedPerson.name", "needs a family name and a given name.")
        codes = [
            (c.get("system"), c.get("code"))
            for concept in resource.get("relationship") or []
            for c in concept.get("coding") or []
        ]
        texts = [concept.get("text", "") for concept in resource.get("relationship") or []]
        relationship = next((code for system, code in codes if system == ROLE_CODE and code in ROLE_CODED), None)
        if relationship is None:
            labels = {label.lower(): value for value, label in Relationship.choices}
            relationship = next(
                (labels[t.strip().lower()] for t in texts if t.strip().lower() in labels), Relationship.OTHER
            )
        return {
            "given_name": given[0][:100],
            "family_name": name["family"][:100],
            "relationship": relationship,
            "phone": _phone(resource),
            "email": next(
                (t.get("value", "") for t in resource.get("telecom") or [] if t.get("system") == "email"), ""
            ),
            "address": _address_text(resource),
            "preferred_language": _language(resource),
            "is_emergency_contact": (V2_0131, EMERGENCY_CONTACT) in codes,
            "is_health_care_proxy": (ROLE_CODE, HEALTH_CARE_PROXY) in codes,
        }


def _phone(resource: dict) -> str:
    raw = next((t.get("value", "") for t in resource.get("telecom") or [] if t.get("system") == "phone"), "")
    if not raw:
        return ""
    try:
        return normalize_phone(raw)
    except PhoneError as exc:
        raise bad("RelatedPerson.telecom", f"“{raw}” is not a phone number ({exc}).") from exc


def _address_text(resource: dict) -> str:
    found = (resource.get("address") or [None])[0]
    if not found:
        return ""
    text = found.get("text") or ", ".join(
        part
        for part in (
            " ".join(found.get("line") or []),
            found.get("city", ""),
            " ".join(p for p in (found.get("state", ""), found.get("postalCode", "")) if p),
        )
        if part
    )
    return text[:300]


def _language(resource: dict) -> str:
    for communication in resource.get("communication") or []:
        for code in (communication.get("language") or {}).get("coding") or []:
            tag = str(code.get("code", "")).split("-")[0].lower()
            if tag in LANGUAGE_NAMES:
                return tag
    return "en"
