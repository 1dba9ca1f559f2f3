"""
The FHIR RESTful interactions (read, vread, search, history, create, update, delete), each checking the
caller's scopes, reading through the mapper's access-filtered queryset, writing through the app services
in one transaction, and leaving one audit entry. Views and Bundle processing both call these.
"""

import contextlib
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from carecoord.core.audit import audit_entry, audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ApplicationError, NotFoundError

from . import deferred
from .access import Caller
from .base import ResourceMapper, instant
from .composite import count_of, matching, page_of
from .context import NotKept, forget_subjects
from .history import record_version, recording
from .models import HistoryMethod, ResourceVersion
from .outcome import FhirError, operation_outcome
from .prepared_read import read_get
from .registry import mapper_for
from .search import parse_search
from .validation import validate_resource

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


def _allowed(mapper: ResourceMapper, interaction: str) -> None:
    if interaction not in mapper.interactions:
        raise FhirError(405, f"{mapper.resource_type} does not support {interaction}.", code="not-supported")


def _audit(caller: Caller, interaction: str, mapper: ResourceMapper, obj=None, detail: dict | None = None) -> None:
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
    _allowed(mapper, "read")
    caller.require(resource_type, "read")
    obj = read_get(mapper, caller, resource_id)
    if _deleted(mapper, obj):
        raise _gone_or_missing(mapper, caller, resource_id)
    resource = mapper.to_fhir(obj)
    _audit(caller, "read", mapper, obj)
    return Result(200, resource, version_headers(resource))


def vread(caller: Caller, resource_type: str, resource_id: str, version_id: str) -> Result:
    mapper = mapper_or_404(resource_type)
    _allowed(mapper, "vread")
    caller.require(resource_type, "vread")
    obj = mapper.get(caller.actor, resource_id)
    if version_id == str(obj.version) and not _deleted(mapper, obj):
        resource = mapper.to_fhir(obj)
    else:
        row = ResourceVersion.objects.filter(
            resource_type=resource_type, resource_id=obj.public_id, version_id=_int(version_id, "version")
        ).first()
        if row is None:
            raise FhirError(404, f"{resource_type}/{resource_id} has no version {version_id}.", code="not-found")
        if row.method == HistoryMethod.DELETE:
            raise FhirError(
                410, f"Version {version_id} of {resource_type}/{resource_id} is a deletion.", code="deleted"
            )
        resource = row.resource
    _audit(caller, "vread", mapper, obj, {"version": version_id})
    return Result(200, resource, version_headers(resource))


def search(caller: Caller, resource_type: str, params: list[tuple[str, str]], base: str, *, strict=False) -> Result:
    mapper = mapper_or_404(resource_type)
    _allowed(mapper, "search-type")
    caller.require(resource_type, "search-type")
    parsed = parse_search(
        params,
        mapper.search_params,
        mapper.sort_fields,
        resource_type=resource_type,
        tz=caller.actor.organization.tz,
        strict=strict,
    )
    sources = matching(mapper, caller.actor, params, parsed, tz=caller.actor.organization.tz)
    total = count_of(sources) if parsed.total or parsed.summary_count else None
    bundle = {"resourceType": "Bundle", "type": "searchset"}
    if total is not None:
        bundle["total"] = total
    entries = []
    if not parsed.summary_count and parsed.count:
        page = page_of(sources, parsed.offset, parsed.count)
        entries = [_entry(base, part.to_fhir(obj), "match") for part, obj in page]
        entries += _included(caller, page, parsed.includes, base)
        has_next = (total is not None and parsed.offset + parsed.count < total) or (
            total is None and len(page) == parsed.count
        )
    else:
        has_next = False
    bundle["link"] = _links(base, resource_type, params, parsed.offset, parsed.count, has_next)
    if parsed.ignored:
        outcome = operation_outcome(
            f"Ignored unknown search parameters: {', '.join(parsed.ignored)}.", code="not-supported", severity="warning"
        )
        entries.append({"resource": outcome, "search": {"mode": "outcome"}})
    if entries:
        bundle["entry"] = entries
    _audit(caller, "search-type", mapper, None, {"query": urllib.parse.urlencode(params)[:500], "total": total})
    return Result(200, bundle, {})


def _entry(base: str, resource: dict, mode: str) -> dict:
    return {
        "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }


def _included(caller: Caller, page: list, includes: Iterable, base: str) -> list[dict]:
    """The records the page's (part, record) pairs refer to through each _include parameter."""
    entries, seen = [], set()
    for param in includes:
        target = mapper_for(param.target)
        if target is None or not caller.grants.allows(param.target, "read"):
            continue
        ids = set()
        for part, obj in page:
            own = part.search_params.get(param.name)
            if own is not None and own.include_attr:
                ids.add(getattr(obj, f"{own.include_attr}_id"))
        ids -= {None}
        for obj in target.read_queryset(caller.actor).filter(pk__in=ids):
            key = (param.target, obj.pk)
            if key not in seen:
                seen.add(key)
                entries.append(_entry(base, target.to_fhir(obj), "include"))
    return entries


def _links(base: str, resource_type: str, params, offset: int, count: int, has_next: bool) -> list[dict]:
    kept = [(k, v) for k, v in params if k != "_offset"]

    def url(at: int) -> str:
        return f"{base}{resource_type}?{urllib.parse.urlencode([*kept, ('_offset', str(at))])}"

    links = [{"relation": "self", "url": url(offset)}, {"relation": "first", "url": url(0)}]
    if offset > 0:
        links.append({"relation": "previous", "url": url(max(0, offset - count))})
    if has_next:
        links.append({"relation": "next", "url": url(offset + count)})
    return links


def history(caller: Caller, resource_type: str, resource_id: str | None, params, base: str) -> Result:
    mapper = mapper_or_404(resource_type)
    interaction = "history-instance" if resource_id else "history-type"
    _allowed(mapper, interaction)
    caller.require(resource_type, interaction)
    rows = ResourceVersion.objects.filter(organization=caller.actor.organization, resource_type=resource_type)
    obj = None
    if resource_id:
        obj = mapper.get(caller.actor, resource_id)
        rows = rows.filter(resource_id=obj.public_id)
    else:
        visible = Q(pk__in=[])
        for part in mapper.parts:
            visible |= Q(resource_id__in=part.read_queryset(caller.actor).values("public_id"))
        rows = rows.filter(visible)
    count = _int(dict(params).get("_count", "50"), "_count")
    rows = list(rows.order_by("-last_updated", "-version_id")[: max(0, min(count, 500))])
    entries = [_history_entry(base, row) for row in rows]
    if obj is not None and not any(row.version_id == obj.version for row in rows):
        entries.insert(0, _current_entry(base, mapper.to_fhir(obj)))  # written before history was kept
    _audit(caller, interaction, mapper, obj)
    bundle = {"resourceType": "Bundle", "type": "history", "total": len(entries)}
    if entries:
        bundle["entry"] = entries
    return Result(200, bundle, {})


def _current_entry(base: str, resource: dict) -> dict:
    version = resource["meta"]["versionId"]
    url = f"{resource['resourceType']}/{resource['id']}"
    return {
        "fullUrl": f"{base}{url}",
        "resource": resource,
        "request": {"method": "POST" if version == "1" else "PUT", "url": url},
        "response": {"status": "200", "lastModified": resource["meta"]["lastUpdated"], "etag": f'W/"{version}"'},
    }


def _history_entry(base: str, row: ResourceVersion) -> dict:
    entry = {
        "fullUrl": f"{base}{row.resource_type}/{row.resource_id}",
        "request": {
            "method": row.method,
            "url": f"{row.resource_type}/{row.resource_id}" if row.method != "POST" else row.resource_type,
        },
        "response": {
            "status": {"POST": "201", "PUT": "200", "DELETE": "204"}[row.method],
            "lastModified": instant(row.last_updated),
            "etag": f'W/"{row.version_id}"',
        },
    }
    if row.resource is not None:
        entry["resource"] = row.resource
    return entry


# --- writes ------------------------------------------------------------------------------------------------


def create(
    caller: Caller, resource_type: str, body, base: str, *, if_none_exist: str = "", skip_unkept_first: bool = False
) -> Result:
    """
    `skip_unkept_first` (a lenient import's entry that is left out, not failed, when it is not valid FHIR):
    the mapper's precheck runs before the validation (see _precheck_first).
    """
    mapper = mapper_or_404(resource_type)
    _allowed(mapper, "create")
    caller.require(resource_type, "create")
    if skip_unkept_first and not if_none_exist:
        _precheck_first(caller, mapper, body)
    resource = validate_resource(body, resource_type)
    if not if_none_exist:
        # What the mapper would refuse before writing anything, refused before the transaction opens (an
        # import skips many resources this way: no savepoint to open and roll back for each).
        _run(lambda: mapper.precheck(caller.actor, resource))
    block, savepoint = _create_block(caller, mapper, resource)
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
                _audit(caller, "read", mapper, existing, {"conditional": if_none_exist[:300]})
                return Result(200, found, {**version_headers(found), "Location": _location(base, found)})
        obj = _run(lambda: mapper.create(caller.actor, resource))
        created = mapper.to_fhir(obj)
        record_version(mapper, obj, HistoryMethod.CREATE, created)
        _audit(caller, "create", mapper, obj)
    return Result(201, created, {**version_headers(created), "Location": _location(base, created)})


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
    _audit(caller, "read", mapper, obj, {"matched": "identifier"})
    return Result(200, found, version_headers(found))


def _conditional_match(caller: Caller, mapper: ResourceMapper, query: str):
    params = urllib.parse.parse_qsl(query.split("?", 1)[-1], keep_blank_values=True)
    parsed = parse_search(
        params,
        mapper.search_params,
        mapper.sort_fields,
        resource_type=mapper.resource_type,
        tz=caller.actor.organization.tz,
        strict=True,
    )
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
    _allowed(mapper, "update")
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
        _audit(caller, "update", mapper, saved)
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
    _allowed(mapper, "delete")
    caller.require(resource_type, "delete")
    forget_subjects()
    with transaction.atomic():
        obj = mapper.get(caller.actor, resource_id)
        _allowed_for(mapper, obj, "delete")
        if not _deleted(mapper, obj):
            _run(lambda: mapper.delete(caller.actor, obj))
            obj.refresh_from_db()
            record_version(mapper, obj, HistoryMethod.DELETE)
            _audit(caller, "delete", mapper, obj)
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


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise FhirError(400, f"{name} must be a whole number, not “{value}”.") from exc
