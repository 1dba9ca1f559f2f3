"""
Reading and writing the rows of a bulk `$export` (export.write_export): each type's resources come from its
mappers' `to_fhir`, read through the mappers' access-filtered querysets, exactly as one read would show them.

What makes it fast is in how the rows are read, not in what is written:
- one query per part (prefetches aside), rows streamed in batches, no per-row query;
- the patients the actor sees are read once, and a part known to filter by `patients_visible_to` is also
  narrowed to those ids (`narrowed`). The mapper's own filter stays, so the narrowing is redundant by
  construction: it cannot add a row, and it removes none the mapper's filter keeps. It exists for
  PostgreSQL: there the visibility rule (home organization OR shared under consent) cannot use an index, so
  each type's query scanned every patient of the database (0.2-0.6 s each at the medium preset, for an
  organization of 48 patients); with the id list the planner starts from the patient_id index;
- the parts of PLAIN_ROWS (the types with the most rows) are read as plain rows: their own columns only, as
  attribute bags, with the related objects `to_fhir` reads loaded once each (one query per relation, limited
  by the part's own access-filtered queryset). Their mapper's `to_fhir` still builds every resource; what is
  saved is building three or four Django model instances per row (most of the time per row);
- one JSON encoder for every line, lines written a batch at a time, a file opened only when it has a line.
"""

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from types import SimpleNamespace

from django.db.models import Model, QuerySet

from carecoord.core.access import Actor
from carecoord.patients.selectors import visible_patient_ids as patient_ids_visible_to

from .base import ResourceMapper
from .resources.careplan import CarePlanMapper
from .resources.careteam import CareTeamMapper
from .resources.communication import OutreachCommunication
from .resources.condition import ConditionMapper
from .resources.consent import ConsentMapper
from .resources.documentreference import DocumentReferenceMapper
from .resources.goal import GoalMapper
from .resources.observation import ObservationMapper
from .resources.patient import PatientMapper
from .resources.questionnaireresponse import AssessmentQuestionnaireResponse
from .resources.relatedperson import RelatedPersonMapper

BATCH_SIZE = 500

# The parts whose `queryset(actor)` keeps only rows of `patients_visible_to(actor)` (read in each mapper's
# source: `patient__in=patients_visible_to(actor)` directly or through `_checkins.own_or_home`, or the
# visible patients themselves), with the field holding the patient. Only these are narrowed; a part left
# out (say, one whose selector lets a receiving organization see a referral's patient) is read as it is.
PATIENT_FIELD: dict[type[ResourceMapper], str] = {
    PatientMapper: "pk",
    CareTeamMapper: "pk",
    CarePlanMapper: "patient_id",
    ConditionMapper: "patient_id",
    ConsentMapper: "patient_id",
    GoalMapper: "patient_id",
    RelatedPersonMapper: "patient_id",
    ObservationMapper: "patient_id",
    OutreachCommunication: "patient_id",
    AssessmentQuestionnaireResponse: "patient_id",
    DocumentReferenceMapper: "patient_id",
}

# Parts whose `to_fhir` reads only field values of the row and the related objects named here (no model
# methods, no choice_label): they are read as plain rows (see the module's doc). A mapper that starts reading
# more fails the export tests' comparison with the per-row path (tests/interop/fhir/test_export_rows.py).
PLAIN_ROWS: dict[type[ResourceMapper], tuple[str, ...]] = {
    ObservationMapper: ("patient", "goal", "by"),
    ConditionMapper: ("patient",),
}

# Above this many visible patients the id list is not sent: the export is then large next to a scan of the
# tables, and a long IN list costs more to send and plan than it saves (and SQLite caps a statement's
# parameters at 32,766).
MAX_NARROWING_IDS = 5000

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def line(resource: dict) -> str:
    """One NDJSON line (the same text as json.dumps with these options, without building an encoder each time)."""
    return _encode(resource) + "\n"


def visible_patient_ids(actor: Actor, sources: list[tuple[ResourceMapper, QuerySet]]) -> list[int] | None:
    """The pks of the patients the actor sees (one query), or None when no source is narrowed or they are many."""
    if not any(type(part) in PATIENT_FIELD for part, _ in sources):
        return None
    ids = patient_ids_visible_to(actor, limit=MAX_NARROWING_IDS + 1)
    return ids if len(ids) <= MAX_NARROWING_IDS else None


def narrowed(part: ResourceMapper, queryset: QuerySet, ids: list[int] | None) -> QuerySet:
    """`queryset` also limited to the patients `ids` when the part is one of PATIENT_FIELD (see above)."""
    field = PATIENT_FIELD.get(type(part))
    if ids is None or field is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


def plain_rows(part: ResourceMapper, queryset: QuerySet) -> Iterable:
    """The rows of a PLAIN_ROWS part as attribute bags with their related objects; other parts' model instances."""
    related = PLAIN_ROWS.get(type(part))
    if related is None:
        return queryset.iterator(chunk_size=BATCH_SIZE)
    return _bags(queryset, related)


def _bags(queryset: QuerySet, related: tuple[str, ...]) -> Iterable[SimpleNamespace]:
    meta = queryset.model._meta
    own = [field.attname for field in meta.concrete_fields]
    joins = None  # read at the first row: a part without rows costs no more queries
    for values in queryset.values_list(*own).iterator(chunk_size=BATCH_SIZE):
        if joins is None:
            joins = [(name, meta.get_field(name).attname, _related_objects(queryset, name)) for name in related]
        row = dict(zip(own, values, strict=True))
        for name, attname, objects in joins:
            row[name] = objects.get(row[attname])
        yield SimpleNamespace(**row)


def _related_objects(queryset: QuerySet, name: str) -> dict[int, Model]:
    """The `name` objects of the rows of `queryset` by pk, read once (as select_related would: base manager)."""
    field = queryset.model._meta.get_field(name)
    objects = field.related_model._base_manager.filter(pk__in=queryset.values(field.attname))
    return {obj.pk: obj for obj in objects}


class _LazyFile:
    """A `.part` file opened at its first write and moved into place by `close` (nothing when never written)."""

    def __init__(self, path: Path):
        self.path, self.partial, self.out = path, path.with_name(path.name + ".part"), None

    def write(self, text: str) -> None:
        if self.out is None:
            self.out = open(self.partial, "w", encoding="utf-8")  # noqa: SIM115 (closed in close)
        self.out.write(text)

    def abort(self) -> None:
        """Closes the file on an error, leaving the `.part` file for the job's clean-up (as before)."""
        if self.out is not None:
            self.out.close()

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.partial.replace(self.path)
        else:
            self.path.unlink(missing_ok=True)  # the manifest lists no empty files


def write_rows(
    sources: list[tuple[ResourceMapper, QuerySet]],
    path: Path,
    *,
    on_batch: Callable[[int], None] | None = None,
    check: Callable[[], None] | None = None,
    plain: bool = False,
) -> int:
    """
    Streams the rows of each source through its mapper's `to_fhir` into `path`, one resource a line, and
    returns how many; no file when there are none. Rows come BATCH_SIZE at a time (a server-side cursor
    where the database has one); `on_batch` hears each batch's size and `check` may raise to stop between.
    With `plain`, PLAIN_ROWS parts are read as plain rows (their related objects are then held in memory:
    the caller sets it only for a bounded number of patients).
    """
    written = 0
    pending: list[str] = []
    out = _LazyFile(path)
    try:
        for part, queryset in sources:
            to_fhir = part.to_fhir
            rows = plain_rows(part, queryset) if plain else queryset.iterator(chunk_size=BATCH_SIZE)
            for obj in rows:
                pending.append(line(to_fhir(obj)))
                if len(pending) == BATCH_SIZE:
                    written += _flush(out, pending, on_batch, check)
        if pending:
            written += _flush(out, pending, on_batch, None)
    except BaseException:
        out.abort()
        raise
    out.close()
    return written


def _flush(out: _LazyFile, pending: list[str], on_batch, check) -> int:
    count = len(pending)
    out.write("".join(pending))
    pending.clear()
    if on_batch:
        on_batch(count)
    if check:
        check()
    return count
