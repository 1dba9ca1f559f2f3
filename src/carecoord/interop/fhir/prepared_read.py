"""
The record a FHIR read names, for the types whose access-filtered queryset is built from ids, dates and the
clock alone (Patient: patients_visible_to): its SQL is compiled once per connection, actor and day
(core.prepared) and run again with the id and the clock of each read, so every read still asks the database
(a revoked share, an ended break-glass window are seen on the next read). On PostgreSQL a Patient's
identifiers (the mapper's prefetch) come back in its own row, one round trip for both (core.prepared).
Other types use `mapper.get`.
"""

import uuid

from carecoord.core import clock
from carecoord.core.access import failing_closed
from carecoord.core.prepared import prepared_query

from .access import Caller
from .base import ResourceMapper, parse_id
from .outcome import FhirError

PREPARED_READS = frozenset({"Patient"})
_ID_SENTINEL = uuid.UUID("5e7e5e7e-0000-4000-8000-5e7e5e7e5e7e")


def read_get(mapper: ResourceMapper, caller: Caller, resource_id: str):
    """`mapper.get`, through a prepared statement for the types that allow one."""
    if mapper.resource_type not in PREPARED_READS or type(mapper).get is not ResourceMapper.get:
        return mapper.get(caller.actor, resource_id)
    key = parse_id(resource_id)
    actor = caller.actor
    with failing_closed():  # as patients_visible_to: a fault in deciding access answers 503
        statement = prepared_query(
            ("fhir.read", mapper.resource_type, actor, clock.today_in(actor.organization.tz)),
            lambda: mapper.read_queryset(actor).filter(public_id=_ID_SENTINEL).order_by()[:1],
            {"public_id": _ID_SENTINEL},
        )
    if statement is None:
        return mapper.get(actor, resource_id)
    obj = statement.first(public_id=key) if key else None
    if obj is None:
        raise FhirError(404, f"{mapper.resource_type}/{resource_id} is not known.", code="not-found")
    return obj
