"""
The contract each FHIR resource module fulfils (one module per resource under `resources/`): which model
it maps, the access-filtered queryset it reads from, the mapping both ways, and its search parameters.
Writes go through the owning app's services, so the API keeps every rule the web pages keep.
"""

import datetime as dt
import decimal
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from django.db.models import Field, Model, Q, QuerySet
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

from carecoord.core.access import Actor

from .context import lenient
from .outcome import FhirError

# Interactions a mapper may offer (CapabilityStatement.rest.resource.interaction codes).
READ_INTERACTIONS = ("read", "vread", "search-type", "history-instance", "history-type")
WRITE_INTERACTIONS = ("create", "update", "delete")


@dataclass(frozen=True)
class SearchParam:
    """A search parameter: its FHIR type and how a value (with an optional modifier) becomes a filter."""

    name: str
    type: str  # string | token | date | reference | number | quantity | uri
    build: Callable[[str, str], Q]  # (value, modifier) -> Q
    documentation: str = ""
    target: str = ""  # for references: the resource type referred to
    include_attr: str = ""  # for references that support _include: the model attribute holding the target


class ResourceMapper:
    resource_type: ClassVar[str]
    model: ClassVar[type[Model]]
    interactions: ClassVar[tuple[str, ...]] = READ_INTERACTIONS
    search_params: ClassVar[dict[str, SearchParam]] = {}
    sort_fields: ClassVar[dict[str, str]] = {}
    profile: ClassVar[str] = ""  # a US Core profile the output meets where the data allows
    select_related: ClassVar[tuple[str, ...]] = ()
    prefetch_related: ClassVar[tuple[str, ...]] = ()
    keep_history: ClassVar[bool] = True

    # --- reads ------------------------------------------------------------------------------------------
    def queryset(self, actor: Actor) -> QuerySet:
        """Every record of this type the actor may see. Subclasses start from the app's selectors."""
        raise NotImplementedError

    def to_fhir(self, obj: Model) -> dict:
        raise NotImplementedError

    def patient_of(self, obj: Model):
        """The patient a record belongs to (for the audit trail), or None."""
        return getattr(obj, "patient", None)

    def find_existing(self, actor: Actor, resource: dict) -> Model | None:
        """The visible record `resource` describes by its identifiers (for idempotent imports), or None."""
        return None

    def is_retired(self, obj: Model) -> bool:
        """True when the record is in the state a FHIR delete leaves it in (then _history may say deleted)."""
        return False

    # --- writes -----------------------------------------------------------------------------------------
    def precheck(self, actor: Actor, resource: dict) -> None:
        """
        Raises what `create` would raise for `resource` before it writes anything, from the resource alone
        (no database reads). Run before the create's transaction opens; `create` checks again.
        """

    def create(self, actor: Actor, resource: dict) -> Model:
        raise FhirError(405, f"Creating {self.resource_type} is not supported.", code="not-supported")

    def update(self, actor: Actor, obj: Model, resource: dict) -> Model:
        raise FhirError(405, f"Updating {self.resource_type} is not supported.", code="not-supported")

    def delete(self, actor: Actor, obj: Model) -> None:
        raise FhirError(405, f"Deleting {self.resource_type} is not supported.", code="not-supported")

    # --- helpers shared by the mappers ------------------------------------------------------------------
    def meta(self, obj: Model) -> dict:
        meta = {"versionId": str(obj.version), "lastUpdated": instant(obj.updated_at)}
        if self.profile:
            meta["profile"] = [self.profile]
        return meta

    def base(self, obj: Model) -> dict:
        return {"resourceType": self.resource_type, "id": str(obj.public_id), "meta": self.meta(obj)}

    def get(self, actor: Actor, resource_id: str) -> Model:
        key = parse_id(resource_id)
        obj = self.read_queryset(actor).filter(public_id=key).first() if key else None
        if obj is None:
            raise FhirError(404, f"{self.resource_type}/{resource_id} is not known.", code="not-found")
        return obj

    # --- sources: a plain mapper is its own single part (see composite.py for several) -------------------
    @property
    def parts(self) -> tuple["ResourceMapper", ...]:
        """The mappers whose records make up this type: just this one, unless it is a CompositeMapper."""
        return (self,)

    def part_for(self, obj: Model) -> "ResourceMapper":
        """The part that maps `obj` (for a plain mapper, itself)."""
        return self

    def read_queryset(self, actor: Actor) -> QuerySet:
        qs = self.queryset(actor)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs


def parse_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def instant(value: dt.datetime) -> str:
    """A FHIR instant in UTC (2026-01-05T14:30:00Z, with milliseconds when there are any)."""
    utc = value if value.tzinfo is dt.UTC else value.astimezone(dt.UTC)  # the database's are UTC already
    return utc.isoformat(timespec="seconds" if utc.microsecond == 0 else "milliseconds").replace("+00:00", "Z")


def reference(resource_type: str, obj) -> dict | None:
    """A relative reference with a display, or None for a missing target."""
    if obj is None:
        return None
    ref = {"reference": f"{resource_type}/{obj.public_id}"}
    display = str(obj)
    if display:
        ref["display"] = display
    return ref


def referenced_id(ref: dict | None, resource_type: str, *, path: str) -> uuid.UUID | None:
    """The id inside a reference to `resource_type` ("Patient/<uuid>"); FhirError if it points elsewhere."""
    if not ref:
        return None
    text = ref.get("reference", "") if isinstance(ref, dict) else ""
    kind, _, ident = text.rpartition("/")
    key = parse_id(ident)
    if kind.rsplit("/", 1)[-1] != resource_type or key is None:
        if lenient():
            return None  # an import leaves out a link it cannot resolve rather than the whole resource
        raise FhirError(
            400, f"{path} must reference a {resource_type} (“{resource_type}/<id>”), not “{text}”.", expression=[path]
        )
    return key


def compact(resource: dict) -> dict:
    """Drops empty values, which FHIR JSON does not allow (no nulls, empty strings, lists or objects)."""
    # Every resource an export writes goes through here, so: one pass per level, and the exact types mappers
    # produce tested first with `is` (the isinstance chains and second pass over each list of the plain
    # version were a quarter of an export's time); subclasses and other types go the slow way.
    out = {}
    for key, value in resource.items():
        kind = type(value)
        if kind is str:
            if value:
                out[key] = value
        elif kind is dict:
            if value and (value := compact(value)):
                out[key] = value
        elif kind is list:
            if value and (value := _compact_items(value)):
                out[key] = value
        elif value is None:
            continue
        elif kind in _SCALARS:
            out[key] = value
        elif isinstance(value, dict):
            if value and (value := compact(value)):
                out[key] = value
        elif isinstance(value, list):
            if value and (value := _compact_items(value)):
                out[key] = value
        elif not (isinstance(value, str) and not value):
            out[key] = value
    return out


def _compact_items(values: list) -> list:
    """A list's items without the empty ones, objects compacted (and left out when that empties them)."""
    items = []
    for value in values:
        kind = type(value)
        if kind is dict:
            if value and (value := compact(value)):
                items.append(value)
        elif kind is str or kind is list:  # a list in a list is kept as it is unless empty
            if value:
                items.append(value)
        elif value is None:
            continue
        elif kind in _SCALARS:
            items.append(value)
        elif isinstance(value, dict):
            if value and (value := compact(value)):
                items.append(value)
        elif not (isinstance(value, str | list) and not value):
            items.append(value)
    return items


_SCALARS = frozenset((bool, int, float, decimal.Decimal))


@functools.cache
def _choice_labels(field: Field) -> dict:
    return dict(make_hashable(field.flatchoices))


def choice_label(obj: Model, name: str):
    """
    `obj.get_<name>_display()`, without rebuilding the field's choices dict on every call (Django does; in an
    export that was a tenth of the time). The choices of our fields are fixed lists, so they are read once.
    """
    field = obj._meta.get_field(name)
    value = getattr(obj, field.attname)
    return force_str(_choice_labels(field).get(make_hashable(value), value), strings_only=True)
