"""
transaction and batch Bundles (https://hl7.org/fhir/R4/http.html#transaction). A transaction is all or
nothing: entries run in the order DELETE, POST, PUT, GET inside one database transaction, `urn:uuid:`
references between entries are resolved (POSTs run after the entries they refer to), conditional references
("Organization?identifier=...") are resolved by search, and any failing entry rolls the whole Bundle back
with an OperationOutcome naming that entry. A batch runs each entry on its own.

`lenient` (the import's mode; `Prefer: handling=lenient` on the API) skips resource types CareCoord does not
keep, with a warning in the entry's response, and makes POSTs idempotent: a resource whose identifiers match
one already on file is not created again.
"""

import graphlib
import urllib.parse
from dataclasses import dataclass, field

from django.db import transaction

from carecoord.patients.selectors import visibility_memo

from . import interactions, searchset
from .access import Caller
from .composite import matching
from .context import NotKept, lenient, lenient_import, subject_cache
from .deferred import deferred_writes, flush, insert_waiting_rows
from .interaction_parts import Result, parsed_search
from .outcome import FhirError, operation_outcome
from .registry import mapper_for
from .resources._care import bundle_forget
from .resources._directory import MATCHES
from .resources.observation import OPEN_GOALS

METHOD_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "GET": 3}
NESTED = (dict, list)  # what a resource parsed from JSON nests
# Types whose create writes no goal (their services touch no careplans.Goal row): after one, a patient's open
# goals that an Observation create read earlier in the Bundle still hold.
GOALS_UNCHANGED = frozenset({"Observation", "Condition", "Organization", "Practitioner", "Location"})
# Types whose create changes no directory record but its own (Practitioner and Organization memos add theirs).
DIRECTORY_UNCHANGED = frozenset({"Observation", "Condition", "Organization", "Practitioner", "Patient"})


@dataclass
class Entry:
    index: int
    method: str
    url: str
    full_url: str
    resource: dict | None
    if_none_exist: str = ""
    if_match: str = ""
    response: dict = field(default_factory=dict)
    output: dict | None = None  # the resource a GET entry returns
    # The objects of a POST's resource holding a reference string (found once, when the POSTs are ordered).
    holders: list[dict] | None = None


def process_bundle(
    caller: Caller, body, base: str, *, lenient: bool = False, resolved: dict[str, str] | None = None
) -> Result:
    """
    Runs a transaction or batch Bundle. `resolved` maps references already known ("urn:uuid:..." or an
    export's "Patient/<old id>") to ours; an import passes one map across its files and fills it.
    """
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise FhirError(400, "POST to the base URL takes a Bundle of type transaction or batch.", code="structure")
    kind = body.get("type")
    if kind not in ("transaction", "batch"):
        raise FhirError(400, f"Bundle.type must be transaction or batch, not “{kind}”.", expression=["Bundle.type"])
    entries = [_entry(i, raw) for i, raw in enumerate(body.get("entry") or [])]
    with lenient_import(lenient), visibility_memo():
        if kind == "transaction":
            with transaction.atomic(), subject_cache(), deferred_writes():
                _run_transaction(caller, entries, base, lenient, {} if resolved is None else resolved)
        else:
            for entry in entries:
                _run_batch_entry(caller, entry, base, lenient)
    response = {
        "resourceType": "Bundle",
        "type": f"{kind}-response",
        "entry": [_response_entry(entry) for entry in entries],
    }
    return Result(200, response, {})


def _entry(index: int, raw) -> Entry:
    where = f"Bundle.entry[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("request"), dict):
        raise FhirError(400, f"{where} needs a request with method and url.", expression=[f"{where}.request"])
    request = raw["request"]
    method = str(request.get("method", "")).upper()
    if method not in METHOD_ORDER:
        raise FhirError(
            400,
            f"{where}.request.method “{method}” is not one of DELETE, POST, PUT, GET.",
            expression=[f"{where}.request.method"],
        )
    url = str(request.get("url", "")).strip().lstrip("/")
    if not url:
        raise FhirError(400, f"{where}.request.url is missing.", expression=[f"{where}.request.url"])
    resource = raw.get("resource")
    if method in ("POST", "PUT") and not isinstance(resource, dict):
        raise FhirError(400, f"{where} ({method} {url}) has no resource.", expression=[f"{where}.resource"])
    return Entry(
        index,
        method,
        url,
        str(raw.get("fullUrl", "")),
        resource,
        if_none_exist=str(request.get("ifNoneExist", "")),
        if_match=str(request.get("ifMatch", "")),
    )


def _run_transaction(caller: Caller, entries: list[Entry], base: str, lenient: bool, resolved: dict) -> None:
    ordered = _transaction_order(entries)
    if lenient:
        _prefetch_existing(caller, ordered)
    for entry in ordered:
        if entry.method != "POST":
            flush()  # a read, update or delete sees (or follows) every row, audit entry and version so far
        try:
            if not (lenient and mapper_for(_type_of(entry)) is None):  # an entry not kept needs no references
                _rewrite_references(caller, entry, resolved)
            _perform(caller, entry, base, lenient, resolved)
        except FhirError as error:
            error.diagnostics = f"Bundle.entry[{entry.index}] ({entry.method} {entry.url}): {error.diagnostics}"
            raise


def _prefetch_existing(caller: Caller, entries: list[Entry]) -> None:
    """
    The records on file that a lenient import's POSTs will be matched against (find_existing), read at once
    per type where its mapper can (`prefetch_existing`, into the Bundle's memos: resources/_directory.py).
    """
    by_type: dict[str, list[dict]] = {}
    for entry in entries:
        if entry.method == "POST" and not entry.if_none_exist and entry.resource is not None:
            by_type.setdefault(_type_of(entry), []).append(entry.resource)
    for resource_type, resources in by_type.items():
        mapper = mapper_for(resource_type)
        prefetch = getattr(mapper, "prefetch_existing", None)
        if prefetch is not None and caller.grants.allows(resource_type, "read"):
            prefetch(caller.actor, resources)


def _run_batch_entry(caller: Caller, entry: Entry, base: str, lenient: bool) -> None:
    try:
        with transaction.atomic():
            _perform(caller, entry, base, lenient, {})
    except FhirError as error:
        entry.response = {"status": str(error.status), "outcome": operation_outcome(error.diagnostics, code=error.code)}


def _transaction_order(entries: list[Entry]) -> list[Entry]:
    """DELETE, then POST (each after the POSTs it refers to by urn:uuid), then PUT, then GET."""
    posts = [e for e in entries if e.method == "POST"]
    by_url = {e.full_url: e for e in posts if e.full_url}
    graph = graphlib.TopologicalSorter()
    for entry in posts:
        entry.holders = _holders(entry.resource)
        graph.add(entry.index, *(by_url[h["reference"]].index for h in entry.holders if h["reference"] in by_url))
    try:
        post_order = list(graph.static_order())
    except graphlib.CycleError as exc:
        raise FhirError(400, "The Bundle's POST entries refer to each other in a cycle.", code="structure") from exc
    position = {index: rank for rank, index in enumerate(post_order)}
    return sorted(entries, key=lambda e: (METHOD_ORDER[e.method], position.get(e.index, 0), e.index))


def _holders(node) -> list[dict]:
    """The objects in a resource holding a reference string ("reference": "..."), in document order."""
    found: list[dict] = []
    if isinstance(node, NESTED):
        _collect_holders(node, found)
    return found


def _collect_holders(node, found: list[dict]) -> None:
    # Recurses into objects and arrays only (a call per string or number was most of an import's time here).
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                found.append(node)
            elif isinstance(value, NESTED):
                _collect_holders(value, found)
    else:
        for value in node:
            if isinstance(value, NESTED):
                _collect_holders(value, found)


def _rewrite_references(caller: Caller, entry: Entry, resolved: dict[str, str]) -> None:
    # A POST's holders were found when the POSTs were ordered (nothing changes a resource's shape since).
    holders = entry.holders if entry.holders is not None else _holders(entry.resource)
    for node in holders:
        value = node["reference"]
        node["reference"] = resolved.get(value) or _conditional_reference(caller, value) or value


def _conditional_reference(caller: Caller, value: str) -> str | None:
    """Resolves "Type?search" to "Type/id" when exactly one visible record matches; None for other forms."""
    resource_type, sep, query = value.partition("?")
    mapper = mapper_for(resource_type) if sep else None
    if mapper is None:
        return None
    params = urllib.parse.parse_qsl(query, keep_blank_values=True)
    try:
        parsed = parsed_search(caller, mapper, params, strict=True)
    except FhirError:
        if lenient():
            return None
        raise
    insert_waiting_rows(*(part.model for part in mapper.parts))  # the search reads them
    sources = matching(mapper, caller.actor, params, parsed, tz=caller.actor.organization.tz)
    matches = [key for source in sources for key in source.queryset.values_list("public_id", flat=True)[:2]][:2]
    if len(matches) != 1:
        if lenient():
            return None  # an import keeps the reference as written rather than failing the file
        found = "nothing" if not matches else "more than one"
        raise FhirError(400, f"The conditional reference “{value}” matches {found}.", code="processing")
    return f"{resource_type}/{matches[0]}"


def _type_of(entry: Entry) -> str:
    return entry.url.partition("?")[0].split("/")[0]


def _perform(caller: Caller, entry: Entry, base: str, lenient: bool, resolved: dict[str, str]) -> None:
    path, _, query = entry.url.partition("?")
    parts = path.split("/")
    resource_type = parts[0]
    if lenient and mapper_for(resource_type) is None:
        entry.response = _not_stored(f"CareCoord does not keep {resource_type} resources.")
        return
    if entry.method == "POST":
        try:
            result = _post(caller, entry, base, lenient, resource_type)
        except NotKept as reason:
            entry.response = _not_stored(str(reason))
            return
        except FhirError as error:
            if not (_left_out_when_invalid(lenient, resource_type) and error.status in (400, 405, 422)):
                raise
            # An import keeps the patient's file and leaves out a resource it cannot keep, saying why.
            entry.response = _not_stored(error.diagnostics)
            return
        if resource_type not in GOALS_UNCHANGED:
            bundle_forget(OPEN_GOALS)  # a write of another type may add or close a goal
        if resource_type not in DIRECTORY_UNCHANGED:
            bundle_forget(MATCHES)  # nor may it change the directory's records
        if entry.full_url and result.body:
            resolved[entry.full_url] = f"{resource_type}/{result.body['id']}"
    elif entry.method == "PUT":
        result = interactions.update(
            caller, resource_type, _one_id(parts, entry), entry.resource, if_match=entry.if_match
        )
    elif entry.method == "DELETE":
        result = interactions.delete(caller, resource_type, _one_id(parts, entry))
    else:
        result = _get(caller, parts, query, base)
    entry.response = _response(result, resource_type)
    if entry.method == "GET":
        entry.output = result.body


def _left_out_when_invalid(lenient: bool, resource_type: str) -> bool:
    """Whether a resource the import cannot keep is left out (a patient's file fails without its Patient)."""
    return lenient and resource_type != "Patient"


def _not_stored(reason: str) -> dict:
    outcome = operation_outcome(f"Not stored: {reason}", code="not-supported", severity="warning")
    return {"status": "200 OK", "outcome": outcome}


def _post(caller: Caller, entry: Entry, base: str, lenient: bool, resource_type: str) -> Result:
    resource = dict(entry.resource or {})
    resource.pop("id", None)  # the server assigns ids; a client's id only names the entry within the Bundle
    if lenient and not entry.if_none_exist:
        existing = interactions.find_existing(caller, resource_type, resource)
        if existing is not None:
            return existing
    return interactions.create(
        caller,
        resource_type,
        resource,
        base,
        if_none_exist=entry.if_none_exist,
        skip_unkept_first=_left_out_when_invalid(lenient, resource_type),
    )


def _get(caller: Caller, parts: list[str], query: str, base: str) -> Result:
    params = urllib.parse.parse_qsl(query, keep_blank_values=True)
    if len(parts) == 1:
        return searchset.search(caller, parts[0], params, base)
    return interactions.read(caller, parts[0], parts[1])


def _one_id(parts: list[str], entry: Entry) -> str:
    if len(parts) != 2 or not parts[1]:
        raise FhirError(400, f"{entry.method} needs a url of the form Type/id, not “{entry.url}”.")
    return parts[1]


def _response_entry(entry: Entry) -> dict:
    return {"resource": entry.output, "response": entry.response} if entry.output else {"response": entry.response}


def _response(result: Result, resource_type: str) -> dict:
    status = {200: "200 OK", 201: "201 Created", 204: "204 No Content"}.get(result.status, str(result.status))
    response: dict = {"status": status}
    if result.body and "id" in result.body and result.body.get("resourceType") == resource_type:
        meta = result.body.get("meta", {})
        response["location"] = f"{resource_type}/{result.body['id']}/_history/{meta.get('versionId', '1')}"
        response["etag"] = f'W/"{meta.get("versionId", "1")}"'
        if meta.get("lastUpdated"):
            response["lastModified"] = meta["lastUpdated"]
    return response
