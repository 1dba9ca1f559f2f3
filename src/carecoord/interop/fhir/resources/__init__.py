"""One module per FHIR resource type; importing them registers their mappers."""

from carecoord.interop.fhir import history

from . import condition, location, organization, patient, practitioner  # noqa: F401

history.connect()
