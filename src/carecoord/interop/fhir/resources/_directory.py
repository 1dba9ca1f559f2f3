"""Pieces the directory mappers (Practitioner, Organization, Location) share."""

from django.db.models import Q

from carecoord.core.errors import ValidationError
from carecoord.directory.domain import normalize_npi
from carecoord.interop.fhir.codes import NPI_SYSTEM
from carecoord.interop.fhir.context import lenient
from carecoord.interop.fhir.outcome import FhirError
from carecoord.patients.domain import PhoneError, normalize_phone


def npi_identifier(npi: str) -> list[dict]:
    return [{"system": NPI_SYSTEM, "value": npi}] if npi else []


def npi_of(resource: dict, path: str) -> str:
    """The NPI of the resource; an import drops one failing its check digit, an API call is told why."""
    raw = next((i.get("value", "") for i in resource.get("identifier") or [] if i.get("system") == NPI_SYSTEM), "")
    try:
        return normalize_npi(raw)
    except ValidationError as exc:
        if lenient():
            return ""
        raise FhirError(400, f"{path}: {exc.message}", expression=[path]) from exc


def npi_filter(value: str, modifier: str) -> Q:
    system, code = value.split("|", 1) if "|" in value else (NPI_SYSTEM, value)
    return Q(npi=code) if system in (NPI_SYSTEM, "") and code else Q(pk__in=[])


def telecom_value(resource: dict, system: str) -> str:
    return next((t.get("value", "") for t in resource.get("telecom") or [] if t.get("system") == system), "")


def phone_of(resource: dict, path: str) -> str:
    raw = telecom_value(resource, "phone")
    if not raw:
        return ""
    try:
        return normalize_phone(raw)
    except PhoneError as exc:
        if lenient():
            return ""
        raise FhirError(400, f"{path}: “{raw}” is not a phone number.", expression=[path]) from exc


def telecom(phone: str, email: str = "", fax: str = "") -> list[dict]:
    found = [{"system": "phone", "value": phone, "use": "work"}] if phone else []
    if fax:
        found.append({"system": "fax", "value": fax, "use": "work"})
    if email:
        found.append({"system": "email", "value": email, "use": "work"})
    return found


def address(line: str, city: str, state: str, postal_code: str) -> list[dict]:
    if not (line or city or postal_code):
        return []
    return [
        {
            "use": "work",
            "line": [line] if line else [],
            "city": city,
            "state": state,
            "postalCode": postal_code,
            "country": "US",
        }
    ]


def address_fields(resource: dict) -> dict:
    found = (resource.get("address") or [{}])[0]
    state = str(found.get("state", "")).upper()
    return {
        "address_line": " ".join(found.get("line") or [])[:200],
        "city": found.get("city", "")[:100],
        "state": state if len(state) == 2 else "",
        "postal_code": str(found.get("postalCode", ""))[:10],
    }
