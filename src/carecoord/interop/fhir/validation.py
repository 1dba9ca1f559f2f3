"""Incoming resources are checked against the FHIR R4 models of fhir.resources (R4B package) first."""

import functools

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError as PydanticValidationError

from .outcome import FhirError


@functools.cache
def model_class(resource_type: str):
    try:
        return get_fhir_model_class(resource_type)
    except KeyError:
        return None


def validate_resource(body, resource_type: str | None = None) -> dict:
    """The resource if it is valid FHIR R4 JSON of the expected type; FhirError 400 naming the element otherwise."""
    if not isinstance(body, dict):
        raise FhirError(400, "The body must be a FHIR resource (a JSON object).", code="structure")
    found = body.get("resourceType")
    if resource_type and found != resource_type:
        raise FhirError(
            400,
            f"The body is a {found or 'resource without resourceType'}, not a {resource_type}.",
            code="structure",
            expression=["resourceType"],
        )
    cls = model_class(found or "")
    if cls is None:
        raise FhirError(400, f"“{found}” is not a FHIR R4 resource type.", code="structure")
    try:
        cls.model_validate(body)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(part) for part in first.get("loc", ()) if part != "__root__")
        where = f"{found}.{path}" if path else found
        raise FhirError(400, f"{where}: {first.get('msg', 'invalid')}.", code="structure", expression=[where]) from exc
    return body


def validate_output(resource: dict) -> None:
    """Raises if a resource we emit is not valid FHIR (used by tests and the export)."""
    model_class(resource["resourceType"]).model_validate(resource)
