"""
The FHIR RESTful interactions on one record (read, vread, create, update, delete), each checking the caller's
scopes, reading through the mapper's access-filtered queryset, writing through the app services in one
transaction, and leaving one audit entry. Search and history are in searchset.py. Views and Bundle
processing call both.
"""

import contextlib
import urllib.parse

from django.db import transaction

from carecoord.core.errors import ApplicationError, NotFoundError

from . import deferred
from .access import Caller
from .base import ResourceMapper
from .composite import matching
from .context import NotKept, forget_subjects
from .history import record_version, recording
from .interaction_parts import (
    Result,
    allowed,
    audit_interaction,
    mapper_or_404,
    parsed_search,
    version_headers,
    whole_number,
)
from .models import HistoryMethod, ResourceVersion
from .outcome import FhirError
from .prepared_read import read_get
from .validation import validate_resource


def _allowed_for(mapper: ResourceMapper, obj, interaction: str) -> None:
    """405 when the record's source (the part of a type served from several models) does not offer it."""
    part = mapper.part_for(obj)
    if interaction not in part.interactions:
        source = getattr(part, "source", mapper.resource_type)
        raise FhirError(
            405,
            f"{mapper.resource_type}/{obj.public_id} comes from {source}, which does not support {interaction} "
            "through the API.",
            code="not-supported",
        )


def _gone_or_missing(mapper: ResourceMapper, caller: Caller, resource_id: str) -> FhirError:
    """404, or 410 when the record is one the caller may see and whose latest version is a deletion."""
    try:
        obj = mapper.get(caller.actor, resource_id)
    except FhirError:
        return FhirError(404, f"{mapper.resource_type}/{resource_id} is not known.", code="not-found")
    return FhirError(410, f"{mapper.resource_type}/{obj.public_id} was deleted.", code="deleted")


def _deleted(mapper: ResourceMapper, obj) -> bool:
    if not mapper.is_retired(obj):
        return False
    latest = ResourceVersion.objects.filter(resource_type=mapper.resource_type, resource_id=obj.public_id).first()
    return latest is not None and latest.method == HistoryMethod.DELETE


# --- reads -------------------------------------------------------------------------------------------------


def read(caller: Caller, resource_type: str, resource_id: str) -> Result:
    mapper = mapper_or_404(resource_type)
    allowed(mapper, "read")
    caller.require(resource_type, "read")
    obj = read_get(mapper, caller, resource_id)
    if _deleted(mapper, obj):
        raise _gone_or_missing(mapper, caller, resource_id)
    resource = mapper.to_fhir(obj)
    audit_interaction(caller, "read", mapper, obj)
    return Result(200, resource, version_headers(resource))


def vread(caller: Caller, resource_type: str, resource_id: str, version_id: str) -> Result:
    mapper = mapper_or_404(resource_type)
    allowed(mapper, "vread")
    caller.require(resource_type, "vread")
    obj = mapper.get(caller.actor, resource_id)
    if version_id == str(obj.version) and not _deleted(mapper, obj):
        resource = mapper.to_fhir(obj)
    else:
        row = ResourceVersion.objects.filter(
            resource_type=resource_type, resource_id=obj.public_id, version_id=whole_number(version_id, "version")
        ).first()
        if row is None:
            raise FhirError(404, f"{resource_type}/{resource_id} has no version {version_id}.", code="not-found")
        if row.method == HistoryMethod.DELETE:
            raise FhirError(
                410, f"Version {version_id} of {resource_type}/{resource_id} is a deletion.", code="deleted"
            )
        resource = row.resource
    audit_interaction(caller, "vread", mapper, obj, {"version": version_id})
    return Result(200, resource, version_headers(resource))


# --- writes ------------------------------------------------------------------------------------------------


def create(
    caller: Caller, resource_type: str, body, base: str, *, if_none_exist: str = "", skip_unkept_first: bool = False
) -> Result:
    """
    `skip_unkept_first` (a lenient import's entry that is left out, not failed, when it is not valid FHIR):
    the mapper's precheck runs before the validation (see _precheck_first).
    """
    mapper = mapper_or_404(resource_type)
    allowed(mapper, "create")
    caller.require(resource_type, "create")
    if skip_unkept_first and not if_none_exist:
        _precheck_first(caller, mapper, body)
    resource = validate_resource(body, resource_type)
    if not if_none_exist:
        # What the mapper would refuse before writing anything, refused before the transaction opens (an
        # import skips many resources this way: no savepoint to open and roll back for each).
        _run(lambda: mapper.precheck(caller.actor, resource))
    block, savepoint = _create_block(caller, mapper, resource)
    undoable = isinstance(block, transaction.Atomic)  # a savepoint or a transaction of its own
    models = {part.model for part in mapper.parts}
    if savepoint or if_none_exist:
        # Rows of earlier entries waiting in a transaction Bundle (deferred.py) go in before this savepoint,
        # which would take them along if it rolled back, and before a search or write that reads them.
        deferred.insert_waiting_rows(*models)
    own = deferred.pending() is None
    if own:
        # Outside a Bundle the create's rows, version and audit entries wait for the end of its transaction
        # too, and go in one INSERT per table (a measurement's two audit entries in one): nothing else in it
        # reads them, and all are written before its commit. Its savepoint is the whole transaction.
        block, savepoint = _own_deferred_writes(block), False
    with block, recording(), deferred.versions_deferred(models, savepoint=savepoint):
        if if_none_exist:
            existing = _conditional_match(caller, mapper, if_none_exist)
            if existing is not None:
                found = mapper.to_fhir(existing)
                audit_interaction(caller, "read", mapper, existing, {"conditional": if_none_exist[:300]})
                return Result(200, found, {**version_headers(found), "Location": _location(base, found)})
        obj = _run(lambda: mapper.create(caller.actor, resource))
        with _after_writing(undoable=undoable):
            created = mapper.to_fhir(obj)
            record_version(mapper, obj, HistoryMethod.CREATE, created)
            audit_interaction(caller, "create", mapper, obj)
    return Result(201, created, {**version_headers(created), "Location": _location(base, created)})


@contextlib.contextmanager
def _after_writing(*, undoable: bool):
    """
    Around what follows a create's writes. When the create's block cannot undo them (no savepoint of its own
    inside a Bundle: _create_block), an error here would leave the record without its version and audit
    entries if the Bundle went on, as a lenient import does past an entry it cannot keep: such an error fails
    the whole Bundle instead (500, not one of the statuses an import skips an entry for).
    """
    if undoable:
        yield
        return
    try:
        yield
    except (FhirError, NotKept, ApplicationError) as exc:
        raise FhirError(
            500,
            f"The record was written but could not be recorded, so nothing of this request is kept: {exc}",
            code="exception",
        ) from exc


@contextlib.contextmanager
def _own_deferred_writes(block):
    with block, deferred.deferred_writes():
        yield


def _precheck_first(caller: Caller, mapper: ResourceMapper, body) -> None:
    """
    The precheck before the FHIR validation, for a lenient import's entry: most of what a Synthea file holds
    is refused by the precheck (observations CareCoord does not keep), and validating them first cost a fifth
    of the import. Both ways the entry is left out with "Not stored: <reason>", so only the reason given for a
    resource both invalid and not kept changes. The precheck reads the resource unvalidated: a shape it does
    not expect raises something else, ignored here, and the resource is validated and prechecked as usual.
    """
    if not isinstance(body, dict):
        return
    try:
        mapper.precheck(caller.actor, body)
    except NotKept:
        raise
    except Exception:  # noqa: S110 -- malformed: validate_resource names the element, as before
        pass


def _create_block(caller: Caller, mapper: ResourceMapper, resource: dict):
    """
    A create's transaction: atomic() (inside a Bundle, a savepoint, so an entry an import skips leaves
    nothing). Inside a transaction already, a mapper may say this create raises any error before its first
    write (`create_fails_before_writing`); then a savepoint would roll back nothing and costs two statements
    per entry (an import's observations), and an error still rolls back the enclosing Bundle or batch entry.
    Returns the block and whether it is a savepoint.
    """
    inside = transaction.get_connection().in_atomic_block
    fails_first = getattr(mapper, "create_fails_before_writing", None)
    if inside and fails_first is not None and fails_first(caller.actor, resource):
        return contextlib.nullcontext(), False
    # Or all it writes is inside its service's own atomic block, whose savepoint undoes it on an error: the
    # create's block is treated as a savepoint (what waits of it is dropped on an error) without opening one.
    rolls_back_itself = getattr(mapper, "create_rolls_back_itself", None)
    if inside and rolls_back_itself is not None and rolls_back_itself(caller.actor, resource):
        return contextlib.nullcontext(), True
    return transaction.atomic(), True


def find_existing(caller: Caller, resource_type: str, resource: dict) -> Result | None:
    """The record on file that `resource` describes (by its identifiers), for idempotent imports; else None."""
    mapper = mapper_or_404(resource_type)
    caller.require(resource_type, "read")
    obj = mapper.find_existing(caller.actor, resource)
    if obj is None:
        return None
    found = mapper.to_fhir(obj)
    audit_interaction(caller, "read", mapper, obj, {"matched": "identifier"})
    return Result(200, found, version_headers(found))


def _conditional_match(caller: Caller, mapper: ResourceMapper, query: str):
    params = urllib.parse.parse_qsl(query.split("?", 1)[-1], keep_blank_values=True)
    parsed = parsed_search(caller, mapper, params, strict=True)
    matches = [
        obj
        for source in matching(mapper, caller.actor, params, parsed, tz=caller.actor.organization.tz)
        for obj in source.queryset[:2]
    ][:2]
    if len(matches) > 1:
        raise FhirError(
            412, f"If-None-Exist “{query}” matches more than one {mapper.resource_type}.", code="multiple-matches"
        )
    return matches[0] if matches else None


def update(caller: Caller, resource_type: str, resource_id: str, body, *, if_match: str = "") -> Result:
    mapper = mapper_or_404(resource_type)
    allowed(mapper, "update")
    caller.require(resource_type, "update")
    resource = validate_resource(body, resource_type)
    if resource.get("id") != resource_id:
        raise FhirError(
            400,
            f"The resource id “{resource.get('id', '')}” does not match the URL's “{resource_id}”.",
            expression=[f"{resource_type}.id"],
        )
    forget_subjects()
    with transaction.atomic():
        obj = _locked(mapper, caller, resource_id)
        _allowed_for(mapper, obj, "update")
        if _deleted(mapper, obj):
            raise FhirError(410, f"{resource_type}/{resource_id} was deleted.", code="deleted")
        if not if_match.strip():
            # The server's policy (CapabilityStatement versioning "versioned-update"; RELIABILITY.md T24): an
            # update names the version it changes, so two clients never overwrite each other silently.
            raise FhirError(
                428,
                f"Updating {resource_type}/{resource_id} needs If-Match with the version you read "
                f'(If-Match: W/"{obj.version}" for the current one; ifMatch in a Bundle entry).',
                code="required",
            )
        if if_match.strip() not in (f'W/"{obj.version}"', f'"{obj.version}"'):
            raise FhirError(
                412,
                f"{resource_type}/{resource_id} is at version {obj.version}, not {if_match}: "
                "read it again and reapply your change.",
                code="conflict",
            )
        saved = _run(lambda: mapper.update(caller.actor, obj, resource))
        saved.refresh_from_db()
        record_version(mapper, saved, HistoryMethod.UPDATE)
        written = mapper.to_fhir(mapper.get(caller.actor, resource_id))
        audit_interaction(caller, "update", mapper, saved)
    return Result(200, written, version_headers(written))


def _locked(mapper: ResourceMapper, caller: Caller, resource_id: str):
    """
    The visible record, re-read after locking its row (SELECT ... FOR UPDATE; SQLite's IMMEDIATE transactions
    already serialize writers), so concurrent updates with the same If-Match get one 200 and 412s, not 409s.
    """
    obj = mapper.get(caller.actor, resource_id)
    model = type(obj)
    current = model.objects.select_for_update().filter(pk=obj.pk).values_list("version", flat=True).first()
    if current is not None and current != obj.version:
        obj = mapper.get(caller.actor, resource_id)
    return obj


def delete(caller: Caller, resource_type: str, resource_id: str) -> Result:
    mapper = mapper_or_404(resource_type)
    allowed(mapper, "delete")
    caller.require(resource_type, "delete")
    forget_subjects()
    with transaction.atomic():
        obj = mapper.get(caller.actor, resource_id)
        _allowed_for(mapper, obj, "delete")
        if not _deleted(mapper, obj):
            _run(lambda: mapper.delete(caller.actor, obj))
            obj.refresh_from_db()
            record_version(mapper, obj, HistoryMethod.DELETE)
            audit_interaction(caller, "delete", mapper, obj)
    return Result(204, None, {})


def _run(action):
    """Runs a service call, turning the application's errors into FHIR errors with the same message."""
    try:
        return action()
    except FhirError:
        raise
    except NotFoundError as exc:
        raise FhirError(404, exc.message, code="not-found") from exc
    except ApplicationError as exc:
        status = 409 if exc.http_status == 409 else 403 if exc.http_status == 403 else 422
        code = {409: "conflict", 403: "forbidden"}.get(status, "business-rule")
        raise FhirError(status, exc.message, code=code, expression=[exc.field] if exc.field else None) from exc


def _location(base: str, resource: dict) -> str:
    return f"{base}{resource['resourceType']}/{resource['id']}/_history/{resource['meta']['versionId']}"
