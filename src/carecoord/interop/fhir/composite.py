"""
One FHIR resource type served from several sources (Communication from outreach attempts and education
deliveries, Task from care-plan tasks and community referrals, ...).

- `CompositeMapper` is the registered mapper of the type; its `part_classes` are ordinary `ResourceMapper`s,
  each over one model with its own queryset, mapping and search parameters, registered nowhere else.
- Ids: a record keeps its own `public_id` as its id. `get` asks each part in turn, so an id resolves only in
  the part whose model holds it; the id of another type's record (or of a record the caller may not see) is
  404. Ids are random UUIDs, so the parts of one type do not share them.
- Search (`matching`, `page_of`): the query is parsed against each part's own parameters; a parameter of the
  type that a part lacks makes that part match nothing. Totals add up. Without `_sort`, pages run through the
  parts in order (each by key); with `_sort` (only names every part sorts by), each part's first
  offset + count sort keys are merged in Python, so deep pages of a sorted multi-source search cost more.
- Writes: create goes to the first part that creates; update and delete to the record's part (405 where that
  part is read-only). History, $everything and $export go through `parts`, so every source is included.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from django.db import connection
from django.db.models import Model, QuerySet

from carecoord.core.access import Actor

from .base import READ_INTERACTIONS, WRITE_INTERACTIONS, ResourceMapper, SearchParam
from .outcome import FhirError
from .search import COMMON_PARAMS, RESULT_PARAMS, ParsedSearch, parse_search

PART_ONLY_RESULT_PARAMS = {"_include", "_revinclude"}  # handled once for the whole type


class CompositeMapper(ResourceMapper):
    """A FHIR type whose records come from several models, one `ResourceMapper` part each."""

    part_classes: ClassVar[tuple[type[ResourceMapper], ...]] = ()

    def __init__(self) -> None:
        self._parts = tuple(cls() for cls in self.part_classes)
        for part in self._parts:
            if part.resource_type != self.resource_type:
                raise TypeError(f"{type(part).__name__} maps {part.resource_type}, not {self.resource_type}.")
        self.model = self._parts[0].model
        self.keep_history = any(part.keep_history for part in self._parts)
        offered = {code for part in self._parts for code in part.interactions}
        self.interactions = tuple(code for code in (*READ_INTERACTIONS, *WRITE_INTERACTIONS) if code in offered)
        self.search_params = _merged_params(self._parts)
        # Only the sort names every part has, so a merged order means the same thing throughout.
        self.sort_fields = {
            name: name for name in self._parts[0].sort_fields if all(name in p.sort_fields for p in self._parts)
        }
        self.documentation = " ".join(
            getattr(part, "documentation", "") for part in self._parts if getattr(part, "documentation", "")
        )

    @property
    def parts(self) -> tuple[ResourceMapper, ...]:
        return self._parts

    def part_for(self, obj: Model) -> ResourceMapper:
        for part in self._parts:
            if isinstance(obj, part.model):
                return part
        raise TypeError(f"{self.resource_type} has no part for {type(obj).__name__}.")

    def queryset(self, actor: Actor) -> QuerySet:
        raise TypeError(f"{self.resource_type} comes from several models: read it through `parts`.")

    def read_queryset(self, actor: Actor) -> QuerySet:
        raise TypeError(f"{self.resource_type} comes from several models: read it through `parts`.")

    def get(self, actor: Actor, resource_id: str) -> Model:
        for part in self._parts:
            try:
                return part.get(actor, resource_id)
            except FhirError as error:
                if error.status != 404:
                    raise
        raise FhirError(404, f"{self.resource_type}/{resource_id} is not known.", code="not-found")

    def to_fhir(self, obj: Model) -> dict:
        return self.part_for(obj).to_fhir(obj)

    def patient_of(self, obj: Model):
        return self.part_for(obj).patient_of(obj)

    def is_retired(self, obj: Model) -> bool:
        return self.part_for(obj).is_retired(obj)

    def find_existing(self, actor: Actor, resource: dict) -> Model | None:
        creator = self._creator()
        return creator.find_existing(actor, resource) if creator else None

    def create(self, actor: Actor, resource: dict) -> Model:
        creator = self._creator()
        if creator is None:
            return super().create(actor, resource)
        return creator.create(actor, resource)

    def update(self, actor: Actor, obj: Model, resource: dict) -> Model:
        part = self.part_for(obj)
        if "update" not in part.interactions:
            raise self._read_only(part, obj, "updated")
        return part.update(actor, obj, resource)

    def delete(self, actor: Actor, obj: Model) -> None:
        part = self.part_for(obj)
        if "delete" not in part.interactions:
            raise self._read_only(part, obj, "deleted")
        part.delete(actor, obj)

    def _creator(self) -> ResourceMapper | None:
        return next((part for part in self._parts if "create" in part.interactions), None)

    def _read_only(self, part: ResourceMapper, obj: Model, done: str) -> FhirError:
        source = getattr(part, "source", "this source")
        return FhirError(
            405,
            f"{self.resource_type}/{obj.public_id} comes from {source}, which cannot be {done} through the API.",
            code="not-supported",
        )


def _merged_params(parts: Iterable[ResourceMapper]) -> dict[str, SearchParam]:
    """The type's search parameters: each name once, noting the sources it applies to when not all."""
    parts = list(parts)
    merged: dict[str, SearchParam] = {}
    for part in parts:
        for name, param in part.search_params.items():
            if name in merged:
                if merged[name].type != param.type:
                    raise TypeError(f"{part.resource_type}.{name} has different types in its parts.")
                continue
            having = [p for p in parts if name in p.search_params]
            doc = param.documentation
            if len(having) < len(parts):
                only = ", ".join(getattr(p, "source", type(p).__name__) for p in having)
                doc = f"{doc} (only {only})".strip()
            merged[name] = SearchParam(name, param.type, param.build, doc, param.target, param.include_attr)
    return merged


# --- search across parts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One part's matching rows and its ORM order for the requested _sort."""

    part: ResourceMapper
    queryset: QuerySet
    sort: list[str]


def matching(mapper: ResourceMapper, actor: Actor, params, parsed: ParsedSearch, *, tz) -> list[Source]:
    """Each part's access-filtered rows matching the search; parts that cannot match are left out."""
    if mapper.parts == (mapper,):
        return [Source(mapper, mapper.read_queryset(actor).filter(parsed.query), parsed.sort)]
    sources = []
    for part in mapper.parts:
        own = _part_params(mapper, part, params)
        if own is None:
            continue
        found = parse_search(
            own, part.search_params, part.sort_fields, resource_type=mapper.resource_type, tz=tz, strict=False
        )
        sources.append(Source(part, part.read_queryset(actor).filter(found.query), found.sort))
    return sources


def _part_params(mapper: ResourceMapper, part: ResourceMapper, params) -> list[tuple[str, str]] | None:
    """The parameters that apply to `part`, or None when one of the type's parameters cannot match it."""
    own = []
    for raw_name, value in params:
        name = raw_name.partition(":")[0]
        if name in PART_ONLY_RESULT_PARAMS:
            continue
        if name in RESULT_PARAMS or name in COMMON_PARAMS or name in part.search_params:
            own.append((raw_name, value))
        elif name in mapper.search_params:
            return None
    return own


def count_of(sources: list[Source]) -> int:
    return sum(source.queryset.count() for source in sources)


def page_of(sources: list[Source], offset: int, count: int) -> list[tuple[ResourceMapper, Model]]:
    """The records at [offset, offset + count) of the parts' results taken together, with their part."""
    if not sources or count <= 0:
        return []
    if len(sources) == 1:
        only = sources[0]
        return [(only.part, obj) for obj in only.queryset.order_by(*only.sort, "pk")[offset : offset + count]]
    if not sources[0].sort:
        return _page_in_turn(sources, offset, count)
    return _page_merged(sources, offset, count)


def _page_in_turn(sources: list[Source], offset: int, count: int) -> list[tuple[ResourceMapper, Model]]:
    page: list[tuple[ResourceMapper, Model]] = []
    start = offset
    for source in sources:
        need = count - len(page)
        if need <= 0:
            break
        rows = list(source.queryset.order_by("pk")[start : start + need])
        page += [(source.part, obj) for obj in rows]
        if len(rows) < need:
            size = start + len(rows) if rows else source.queryset.count()
            start = max(0, start - size)
        else:
            start = 0
    return page


def _page_merged(sources: list[Source], offset: int, count: int) -> list[tuple[ResourceMapper, Model]]:
    descending = [field.startswith("-") for field in sources[0].sort]
    keyed = []
    for index, source in enumerate(sources):
        fields = [field.lstrip("-") for field in source.sort]
        rows = source.queryset.order_by(*source.sort, "pk").values_list(*fields, "pk")[: offset + count]
        keyed += [(tuple(row[:-1]), index, row[-1]) for row in rows]
    keyed.sort(key=functools.cmp_to_key(functools.partial(_compare, descending)))
    chosen = keyed[offset : offset + count]
    found: dict[tuple[int, object], Model] = {}
    for index, source in enumerate(sources):
        keys = [pk for _, i, pk in chosen if i == index]
        if keys:
            found.update({(index, obj.pk): obj for obj in source.queryset.filter(pk__in=keys)})
    return [(sources[index].part, found[(index, pk)]) for _, index, pk in chosen if (index, pk) in found]


def _compare(descending: list[bool], left, right) -> int:
    """Orders (sort values, part index, pk) as the database orders one part: NULLs where the database puts them."""
    nulls_largest = connection.features.nulls_order_largest
    for a, b, desc in zip(left[0], right[0], descending, strict=True):
        if a == b:
            continue
        if a is None or b is None:
            result = (1 if a is None else -1) if nulls_largest else (-1 if a is None else 1)
        else:
            result = -1 if a < b else 1
        return -result if desc else result
    return (left[1] > right[1]) - (left[1] < right[1]) or (left[2] > right[2]) - (left[2] < right[2])
