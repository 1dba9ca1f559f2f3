"""
The FHIR interactions answering with a Bundle of many records: search (searchset, with _include and paging
links) and history (of one record or of a type), each checking the caller's scopes, reading through the
mappers' access-filtered querysets and leaving one audit entry.
"""

import urllib.parse
from collections.abc import Iterable

from django.db.models import Q

from .access import Caller
from .base import instant
from .composite import count_of, matching, page_of
from .interaction_parts import Result, allowed, audit_interaction, mapper_or_404, parsed_search, whole_number
from .models import ResourceVersion
from .outcome import operation_outcome
from .registry import mapper_for


def search(caller: Caller, resource_type: str, params: list[tuple[str, str]], base: str, *, strict=False) -> Result:
    mapper = mapper_or_404(resource_type)
    allowed(mapper, "search-type")
    caller.require(resource_type, "search-type")
    parsed = parsed_search(caller, mapper, params, strict=strict)
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
    audit_interaction(
        caller, "search-type", mapper, None, {"query": urllib.parse.urlencode(params)[:500], "total": total}
    )
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
    allowed(mapper, interaction)
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
    count = whole_number(dict(params).get("_count", "50"), "_count")
    rows = list(rows.order_by("-last_updated", "-version_id")[: max(0, min(count, 500))])
    entries = [_history_entry(base, row) for row in rows]
    if obj is not None and not any(row.version_id == obj.version for row in rows):
        entries.insert(0, _current_entry(base, mapper.to_fhir(obj)))  # written before history was kept
    audit_interaction(caller, interaction, mapper, obj)
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
