"""
Patient <-> patients.Patient (US Core Patient 6.1.0 where the data allows). Writes go through
patients.services; the MRN travels as the identifier of type MR in the organization's own system.
"""

import datetime as dt

from django.db.models import Q

from carecoord.core.choices import US_STATES
from carecoord.core.errors import ValidationError
from carecoord.directory.domain import normalize_zip
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, compact
from carecoord.interop.fhir.codes import BCP47, BIRTH_SEX_URL, INTERPRETER_URL, US_CORE, V2_0203, coding, local_system
from carecoord.interop.fhir.context import lenient
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import date_filter, string_filter, token_filter
from carecoord.patients.choices import LANGUAGE_NAMES, AdministrativeGender, BirthSex, PhoneKind
from carecoord.patients.domain import PhoneError, normalize_phone
from carecoord.patients.models import Patient, PatientIdentifier, SortGivenName
from carecoord.patients.selectors import patients_visible_to
from carecoord.patients.services import patient_register, patient_set_active, patient_update

from ._care import bundle_new_patient

# Two-letter codes and full names ("Massachusetts", as Synthea writes them) to the two-letter code.
STATE_CODES = {name.lower(): code for code, name in US_STATES} | {code.lower(): code for code, _ in US_STATES}
TELECOM_USE = {PhoneKind.MOBILE: "mobile", PhoneKind.HOME: "home", PhoneKind.WORK: "work"}
PHONE_KIND = {use: kind for kind, use in TELECOM_USE.items()}


def _identifier_filter(value: str, modifier: str) -> Q:
    system, _, code = value.rpartition("|") if "|" in value else ("", "", value)
    by_mrn = Q(mrn__iexact=code) if code else Q()
    if system and not system.endswith(":mrn"):
        by_mrn = Q(pk__in=[])
    other = Q(identifiers__value=code) if code else Q()
    if system:
        other &= Q(identifiers__system=system)
    return by_mrn | other


def _phone_filter(value: str, modifier: str) -> Q:
    try:
        number = normalize_phone(value)
    except PhoneError:
        return Q(pk__in=[])
    return Q(phone_primary=number) | Q(phone_secondary=number)


@register
class PatientMapper(ResourceMapper):
    resource_type = "Patient"
    model = Patient
    interactions = ("read", "vread", "search-type", "history-instance", "history-type", "create", "update", "delete")
    profile = f"{US_CORE}/us-core-patient"
    select_related = ("organization",)
    prefetch_related = ("identifiers",)
    search_params = {
        "name": SearchParam(
            "name",
            "string",
            string_filter("given_name", "family_name", "preferred_name", "middle_name"),
            "Any part of the name.",
        ),
        "family": SearchParam("family", "string", string_filter("family_name")),
        "given": SearchParam("given", "string", string_filter("given_name", "middle_name", "preferred_name")),
        "birthdate": SearchParam("birthdate", "date", date_filter("birth_date", is_date=True)),
        "gender": SearchParam(
            "gender", "token", token_filter("gender", system="http://hl7.org/fhir/administrative-gender")
        ),
        "identifier": SearchParam("identifier", "token", _identifier_filter, "MRN or another identifier."),
        "phone": SearchParam("phone", "token", _phone_filter),
        "active": SearchParam("active", "token", token_filter("active", codes={"true": True, "false": False})),
    }
    # family: the folded list key (patients.domain.sort_name, indexed), so accents and case sort as on the pages;
    # given: the folded given name inside that key (patients.models.SortGivenName, indexed too), the same way
    sort_fields = {"family": "sort_name", "given": "sort_given", "birthdate": "birth_date", "name": "search_name"}

    def queryset(self, actor):
        # an alias is only in the SQL of a query that sorts by it
        return patients_visible_to(actor).alias(sort_given=SortGivenName("sort_name"))

    def patient_of(self, obj: Patient) -> Patient:
        return obj

    def is_retired(self, obj: Patient) -> bool:
        return not obj.active

    def to_fhir(self, obj: Patient) -> dict:
        telecom = [
            {"system": "phone", "value": number, "use": TELECOM_USE.get(kind, "home")}
            for number, kind in (
                (obj.phone_primary, obj.phone_primary_kind),
                (obj.phone_secondary, obj.phone_secondary_kind),
            )
            if number
        ]
        if obj.email:
            telecom.append({"system": "email", "value": obj.email})
        names = [
            {"use": "official", "family": obj.family_name, "given": [n for n in (obj.given_name, obj.middle_name) if n]}
        ]
        if obj.preferred_name:
            names.append({"use": "usual", "given": [obj.preferred_name]})
        resource = {
            **self.base(obj),
            "extension": [
                {"url": BIRTH_SEX_URL, "valueCode": obj.sex_at_birth},
                {"url": INTERPRETER_URL, "valueBoolean": obj.interpreter_needed},
            ],
            "identifier": [self._mrn(obj), *[self._identifier(i) for i in obj.identifiers.all()]],
            "active": obj.active,
            "name": names,
            "telecom": telecom,
            "gender": obj.gender,
            "birthDate": obj.birth_date.isoformat(),
            "deceasedDateTime": obj.deceased_date.isoformat() if obj.deceased_date else None,
            "address": [
                {
                    "use": "home",
                    "line": [obj.address_line1, obj.address_line2],
                    "city": obj.city,
                    "state": obj.state,
                    "postalCode": obj.postal_code,
                    "country": "US",
                }
            ]
            if (obj.address_line1 or obj.city or obj.postal_code)
            else [],
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
            "managingOrganization": {"display": obj.organization.name},
        }
        return compact(resource)

    def _mrn(self, obj: Patient) -> dict:
        return {
            "use": "usual",
            "type": {"coding": [coding(V2_0203, "MR", "Medical record number")]},
            "system": local_system(obj.organization, "mrn"),
            "value": obj.mrn,
        }

    def _identifier(self, identifier: PatientIdentifier) -> dict:
        return {
            "type": {"coding": [coding(V2_0203, identifier.type)]} if identifier.type != "OTHER" else None,
            "system": identifier.system if "://" in identifier.system or identifier.system.startswith("urn:") else None,
            "value": identifier.value,
        }

    # --- writes ---
    def create(self, actor, resource: dict) -> Patient:
        data = self.from_fhir(resource, actor)
        active = data.pop("active")
        patient = patient_register(actor=actor, data=data, allow_possible_duplicate=True)
        bundle_new_patient(actor, patient)  # nothing on file for it yet (in a transaction Bundle)
        if not active:
            patient = patient_set_active(actor=actor, patient=patient, active=False, expected_version=patient.version)
        return patient

    def update(self, actor, obj: Patient, resource: dict) -> Patient:
        data = self.from_fhir(resource, actor)
        active = data.pop("active")
        patient = patient_update(actor=actor, patient=obj, data=data, expected_version=obj.version)
        if patient.active != active:
            patient = patient_set_active(actor=actor, patient=patient, active=active, expected_version=patient.version)
        return patient

    def delete(self, actor, obj: Patient) -> None:
        """A patient record is never erased: deleting it through FHIR marks it inactive."""
        patient_set_active(actor=actor, patient=obj, active=False, expected_version=obj.version)

    def find_existing(self, actor, resource: dict):
        mrn = _mrn_of(resource)
        return patients_visible_to(actor).filter(mrn__iexact=mrn).first() if mrn else None

    def from_fhir(self, resource: dict, actor) -> dict:
        mrn = _mrn_of(resource)
        if not mrn:
            raise FhirError(
                400, "Patient.identifier needs the medical record number (type MR).", expression=["Patient.identifier"]
            )
        official = _official_name(resource)
        given = official.get("given") or []
        if not official.get("family") or not given:
            raise FhirError(400, "Patient.name needs a family name and a given name.", expression=["Patient.name"])
        if not resource.get("birthDate"):
            raise FhirError(400, "Patient.birthDate is required.", expression=["Patient.birthDate"])
        phones = _phones(resource.get("telecom") or [])
        return {
            "mrn": mrn,
            "given_name": given[0],
            "middle_name": " ".join(given[1:]),
            "family_name": official["family"],
            "preferred_name": _usual_given(resource),
            "birth_date": dt.date.fromisoformat(resource["birthDate"][:10]),
            "gender": resource.get("gender") or AdministrativeGender.UNKNOWN,
            "sex_at_birth": _extension(resource, BIRTH_SEX_URL, "valueCode") or BirthSex.UNK,
            "interpreter_needed": bool(_extension(resource, INTERPRETER_URL, "valueBoolean")),
            **phones,
            "email": next(
                (t.get("value", "") for t in resource.get("telecom") or [] if t.get("system") == "email"), ""
            ),
            **_address(resource),
            "preferred_language": _language(resource),
            "active": resource.get("active", True),
        }


def _mrn_of(resource: dict) -> str:
    for identifier in resource.get("identifier") or []:
        codes = {c.get("code") for c in (identifier.get("type") or {}).get("coding") or []}
        if "MR" in codes or str(identifier.get("system", "")).endswith(":mrn"):
            return str(identifier.get("value", "")).strip()
    return ""


def _official_name(resource: dict) -> dict:
    names = resource.get("name") or []
    return next((n for n in names if n.get("use") == "official"), names[0] if names else {})


def _usual_given(resource: dict) -> str:
    usual = next((n for n in resource.get("name") or [] if n.get("use") in ("usual", "nickname")), None)
    return (usual.get("given") or [""])[0] if usual else ""


def _extension(resource: dict, url: str, key: str):
    return next((e.get(key) for e in resource.get("extension") or [] if e.get("url") == url), None)


def _phones(telecom: list[dict]) -> dict:
    numbers = []
    for entry in telecom:
        if entry.get("system") != "phone" or not entry.get("value"):
            continue
        try:
            numbers.append((normalize_phone(entry["value"]), PHONE_KIND.get(entry.get("use", ""), PhoneKind.HOME)))
        except PhoneError as exc:
            if lenient():
                continue  # an import keeps the patient and leaves out a number that is not a real one
            raise FhirError(
                400,
                f"Patient.telecom: “{entry['value']}” is not a phone number ({exc}).",
                expression=["Patient.telecom"],
            ) from exc
    data = {}
    for (number, kind), prefix in zip(numbers[:2], ("phone_primary", "phone_secondary"), strict=False):
        data[prefix], data[f"{prefix}_kind"] = number, kind
    return data


def _address(resource: dict) -> dict:
    addresses = resource.get("address") or []
    home = next((a for a in addresses if a.get("use") == "home"), addresses[0] if addresses else None)
    if not home:
        return {}
    lines = home.get("line") or []
    state = STATE_CODES.get(str(home.get("state", "")).strip().lower(), "")
    return {
        "address_line1": lines[0] if lines else "",
        "address_line2": " ".join(lines[1:]),
        "city": home.get("city", ""),
        "state": state,
        "postal_code": _postal_code(str(home.get("postalCode") or "")),
    }


def _postal_code(raw: str) -> str:
    try:
        return normalize_zip(raw, required=False)
    except ValidationError as exc:
        if lenient():
            return ""  # an import keeps the patient and leaves out a ZIP code that is not one
        raise FhirError(
            400, f"Patient.address.postalCode: {exc.message}", expression=["Patient.address.postalCode"]
        ) from exc


def _language(resource: dict) -> str:
    for communication in resource.get("communication") or []:
        for code in communication.get("language", {}).get("coding") or []:
            tag = str(code.get("code", "")).split("-")[0].lower()
            if tag in LANGUAGE_NAMES:
                return tag
    return "en"
