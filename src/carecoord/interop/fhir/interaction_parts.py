"""
What every FHIR interaction shares (interactions.py, searchset.py): its answer, the mapper of a type or 404,
the check that a type offers an interaction, the interaction's audit entry and the version headers.
"""

from dataclasses import dataclass

from carecoord.core.audit import audit_entry, audit_record
from carecoord.core.choices import AuditAction

from . import deferred
from .access import Caller
from .base import ResourceMapper
from .outcome import FhirError
from .registry import mapper_for
from .search import ParsedSearch, parse_search

AUDIT_ACTIONS = {"create": AuditAction.CREATE, "update": AuditAction.UPDATE, "delete": AuditAction.DELETE}


@dataclass(frozen=True)
class Result:
    """An interaction's answer: HTTP status, body and headers (ETag, Location, Last-Modified)."""

    status: int
    body: dict | None
    headers: dict[str, str]


def mapper_or_404(resource_type: str) -> ResourceMapper:
    mapper = mapper_for(resource_type)
    if mapper is None:
        raise FhirError(404, f"CareCoord does not serve the resource type “{resource_type}”.", code="not-supported")
    return mapper


def allowed(mapper: ResourceMapper, interaction: str) -> None:
    if interaction not in mapper.interactions:
        raise FhirError(405, f"{mapper.resource_type} does not support {interaction}.", code="not-supported")


def audit_interaction(
    caller: Caller, interaction: str, mapper: ResourceMapper, obj=None, detail: dict | None = None
) -> None:
    """
    The interaction's audit entry. Inside a transaction Bundle (or a single create) it waits for the end of the
    transaction (deferred.py): each call here is the last step of its interaction's block, so only the
    transaction's rollback can undo it.
    """
    fields = {
        "actor": caller.actor,
        "event": f"fhir.{interaction}",
        "action": AUDIT_ACTIONS.get(interaction, AuditAction.READ),
        "target": obj,
        "patient": mapper.patient_of(obj) if obj is not None else None,
        "detail": {
            "type": mapper.resource_type,
            **({"client": caller.client_id} if caller.client_id else {}),
            **(detail or {}),
        },
    }
    waiting = deferred.pending()
    if waiting is None:
        audit_record(**fields)
    else:
        waiting.audits.append(audit_entry(**fields))


def version_headers(resource: dict) -> dict[str, str]:
    meta = resource.get("meta", {})
    return {"ETag": f'W/"{meta.get("versionId", "1")}"', "Last-Modified": meta.get("lastUpdated", "")}


def whole_number(value: str, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise FhirError(400, f"{name} must be a whole number, not “{value}”.") from exc


def parsed_search(
    caller: Caller, mapper: ResourceMapper, params: list[tuple[str, str]], *, strict: bool
) -> ParsedSearch:
    """`params` parsed against the type's search parameters, dates in the caller's organization's time zone."""
    return parse_search(
        params,
        mapper.search_params,
        mapper.sort_fields,
        resource_type=mapper.resource_type,
        tz=caller.actor.organization.tz,
        strict=strict,
    )
