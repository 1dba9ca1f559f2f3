"""Code systems and identifier systems the mappers share."""

from django.conf import settings

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
BCP47 = "urn:ietf:bcp:47"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"
BIRTH_SEX_URL = f"{US_CORE}/us-core-birthsex"
INTERPRETER_URL = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"


def local_system(organization, kind: str) -> str:
    """The identifier system of one organization's own numbers (its MRNs...), stable across deployments."""
    base = getattr(settings, "CARECOORD_IDENTIFIER_BASE", "urn:carecoord")
    return f"{base}:{organization.slug}:{kind}"


def coding(system: str, code: str, display: str = "") -> dict:
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def codings(concept: dict | None) -> list[dict]:
    return list((concept or {}).get("coding") or [])


def first_code(concept: dict | None, system: str) -> str:
    """The code of `concept` in `system`, or ''."""
    return next((c.get("code", "") for c in codings(concept) if c.get("system") == system), "")
