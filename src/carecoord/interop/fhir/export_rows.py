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
  organization of 48 patients); with the id list the planner starts from the patient_id index. The parts'
  querysets are also built with the visibility query itself limited to those ids (`selectors.visibility_narrowed`):
  SQLite otherwise tested the rule on every patient of the database for each part;
- on PostgreSQL the rows' cursors are planned for reading every row (`planned_for_every_row`);
- with the id list, one statement (`may_have_rows`) finds the parts that have no row for those patients at
  all (most of them, for most organizations), and those are not read: building and compiling a part's
  access-filtered query (its visibility subqueries, its joins) costs 2-10 ms even when it reads no row;
- the parts of PLAIN_ROWS (the types with the most rows) are read as plain rows: their own columns only, as
  attribute bags, with the related objects `to_fhir` reads loaded a batch at a time (one query per relation
  and batch, for the objects the batch's rows name that were not read yet). Their mapper's `to_fhir` still
  builds every resource; what is saved is building three or four Django model instances per row (most of the
  time per row);
- one JSON encoder for every line, lines written a batch at a time, a file opened only when it has a line.
"""

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterable
from itertools import islice
from pathlib import Path
from types import SimpleNamespace

from django.db import DatabaseError, connection
from django.db.models import Model, QuerySet

from carecoord.community.models import Referral
from carecoord.core.access import Actor
from carecoord.patients.models import CareTeamMember
from carecoord.patients.selectors import visible_patient_ids as patient_ids_visible_to

from .base import ResourceMapper
from .resources._education import DeliveryCommunication
from .resources._hrsn import ScreeningQuestionnaireResponse
from .resources._referral_task import ReferralTask
from .resources.appointment import AppointmentMapper
from .resources.careplan import CarePlanMapper
from .resources.careteam import CareTeamMapper
from .resources.communication import OutreachCommunication
from .resources.condition import ConditionMapper
from .resources.consent import ConsentMapper
from .resources.coverage import CoverageMapper
from .resources.documentreference import DocumentReferenceMapper
from .resources.encounter import EncounterMapper
from .resources.goal import GoalMapper
from .resources.medicationstatement import MedicationStatementMapper
from .resources.observation import ObservationMapper
from .resources.patient import PatientMapper
from .resources.questionnaireresponse import AssessmentQuestionnaireResponse
from .resources.relatedperson import RelatedPersonMapper
from .resources.servicerequest import ServiceRequestMapper
from .resources.task import CarePlanTask

BATCH_SIZE = 500

# The parts whose `queryset(actor)` keeps only rows of `patients_visible_to(actor)` (read in each mapper's
# source: `patient__in=patients_visible_to(actor)` directly, through `_checkins.own_or_home` or the
# selectors' `_visible` (coverage, medications), or `visible_patient_q(actor)`, the same rule row by row
# (tasks, appointments), or the visible patients themselves), with the field holding the patient. Only these
# are narrowed and skipped when empty (`may_have_rows`); a part left out (say, one whose selector lets a
# receiving organization see a referral's patient) is read as it is.
PATIENT_FIELD: dict[type[ResourceMapper], str] = {
    PatientMapper: "pk",
    CareTeamMapper: "pk",
    AppointmentMapper: "patient_id",
    CarePlanMapper: "patient_id",
    CarePlanTask: "patient_id",
    ConditionMapper: "patient_id",
    ConsentMapper: "patient_id",
    CoverageMapper: "patient_id",
    DeliveryCommunication: "patient_id",
    EncounterMapper: "patient_id",
    GoalMapper: "patient_id",
    MedicationStatementMapper: "patient_id",
    RelatedPersonMapper: "patient_id",
    ObservationMapper: "patient_id",
    OutreachCommunication: "patient_id",
    AssessmentQuestionnaireResponse: "patient_id",
    ScreeningQuestionnaireResponse: "patient_id",
    DocumentReferenceMapper: "patient_id",
    ServiceRequestMapper: "patient_id",
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

# The most parameters `may_have_rows` sends in one statement (SQLite caps them at 32,766, PostgreSQL at 65,535).
MAX_PARAMS = 30_000

# No circular-reference check: a resource is a tree of fresh dicts and lists (to_fhir builds it), and the check
# was about 15% of the encoding time.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False).encode


def line(resource: dict) -> str:
    """One NDJSON line (the same text as json.dumps with these options, without building an encoder each time)."""
    return _encode(resource) + "\n"


def visible_patient_ids(actor: Actor, sources: list[tuple[ResourceMapper, QuerySet]]) -> list[int] | None:
    """The pks of the patients the actor sees (one query), or None when no source is narrowed or they are many."""
    if not any(type(part) in PATIENT_FIELD for part, _ in sources):
        return None
    ids = patient_ids_visible_to(actor, limit=MAX_NARROWING_IDS + 1)
    return ids if len(ids) <= MAX_NARROWING_IDS else None


def may_have_rows(
    parts: list[ResourceMapper], actor: Actor, ids: list[int] | None, since: dt.datetime | None
) -> list[bool]:
    """
    For each part, False when it has nothing to export: no candidate row (`_candidates`: a PATIENT_FIELD
    part's table holds no row of the visible patients `ids` changed after `since`, say); True for any other
    part. One statement answers for all of them (SELECT EXISTS(...), EXISTS(...), ...; a few when `ids` is
    long) instead of building and running each part's access-filtered query to read no row. The candidate
    rows hold every row the part shows, so a part found empty would have written nothing: skipping it
    changes no line.
    """
    answer = [True] * len(parts)
    if ids is None:
        return answer
    ops = connection.ops
    stamp = [ops.adapt_datetimefield_value(since)] if since is not None else []
    tests: list[tuple[int, str, list]] = []  # (part index, EXISTS(...), parameters)
    for i, part in enumerate(parts):
        candidates = _candidates(part, actor)
        if candidates is None:
            continue
        model, field, also, dated = candidates
        where, params = [], []
        if ids:
            where.append(f"{ops.quote_name(model._meta.get_field(field).column)} IN ({', '.join(['%s'] * len(ids))})")
            params += ids
        if also:
            where.append(f"{ops.quote_name(model._meta.get_field(also[0]).column)} = %s")
            params.append(also[1])
        if not where:  # no visible patient and nothing else to look for
            answer[i] = False
            continue
        table = ops.quote_name(model._meta.db_table)
        sql = f"SELECT 1 FROM {table} WHERE ({' OR '.join(where)})"  # noqa: S608 -- model names, values as parameters
        if dated and stamp:
            sql += f" AND {ops.quote_name(model._meta.get_field('updated_at').column)} > %s"
            params += stamp
        tests.append((i, f"EXISTS({sql})", params))
    while tests:
        chunk = [tests.pop(0)]
        size = len(chunk[0][2])
        while tests and size + len(tests[0][2]) <= MAX_PARAMS:
            size += len(tests[0][2])
            chunk.append(tests.pop(0))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(sql for _, sql, _ in chunk)}", [v for *_, vs in chunk for v in vs])
            found = cursor.fetchone()
        for (i, _, _), exists in zip(chunk, found, strict=True):
            answer[i] = bool(exists)
    return answer


def _candidates(part: ResourceMapper, actor: Actor) -> tuple[type[Model], str, tuple | None, bool] | None:
    """
    Where every row `part` shows the actor is found, with no access filter: (model, the field holding one
    of the visible patients, or (another field, its value), whether the rows' own `updated_at` is the one
    `since` filters); None when that is not known (the part is then always read).
    """
    kind = type(part)
    if kind is CareTeamMapper:  # a team is shown for a visible patient with at least one member row
        return CareTeamMember, "patient", None, False
    if kind is ReferralTask:  # referrals of visible patients and those addressed to the actor's organization
        return Referral, "patient", ("receiving_organization", actor.organization.pk), True
    if kind in PATIENT_FIELD:
        field = PATIENT_FIELD[kind]
        return part.model, part.model._meta.pk.name if field == "pk" else field.removesuffix("_id"), None, True
    return None


def narrowed(part: ResourceMapper, queryset: QuerySet, ids: list[int] | None) -> QuerySet:
    """`queryset` also limited to the patients `ids` when the part is one of PATIENT_FIELD (see above)."""
    field = PATIENT_FIELD.get(type(part))
    if ids is None or field is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


@contextlib.contextmanager
def planned_for_every_row():
    """
    On PostgreSQL, within the block the rows read through a cursor (`iterator()`, every part's rows) are
    planned for reading all of them, as an export does. By default PostgreSQL plans a cursor's query for its
    first tenth of rows (cursor_tuple_fraction 0.1), and for `ORDER BY pk` over rows narrowed to a few
    patients that is a walk of the whole table's pk index, filtering as it goes: 45-80 ms per type at the
    medium preset (CarePlan, Condition) instead of 5 ms. The setting is put back as it was on the way out
    (a rolled-back transaction puts it back itself).
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('cursor_tuple_fraction'), set_config('cursor_tuple_fraction', '1', false)"
        )
        previous = cursor.fetchone()[0]

    def restore() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('cursor_tuple_fraction', %s, false)", [previous])

    try:
        yield
    except BaseException:
        with contextlib.suppress(DatabaseError):  # a transaction aborted by the error reverts it when rolled back
            restore()
        raise
    restore()


def plain_rows(part: ResourceMapper, queryset: QuerySet) -> Iterable:
    """The rows of a PLAIN_ROWS part as attribute bags with their related objects; other parts' model instances."""
    related = PLAIN_ROWS.get(type(part))
    if related is None:
        return queryset.iterator(chunk_size=BATCH_SIZE)
    return _bags(queryset, related)


def _bags(queryset: QuerySet, related: tuple[str, ...]) -> Iterable[SimpleNamespace]:
    meta = queryset.model._meta
    own = [field.attname for field in meta.concrete_fields]
    joins = [(name, meta.get_field(name)) for name in related]
    read: dict[str, dict[int, Model]] = {name: {} for name in related}
    rows = queryset.values_list(*own).iterator(chunk_size=BATCH_SIZE)
    while batch := [dict(zip(own, values, strict=True)) for values in islice(rows, BATCH_SIZE)]:
        for name, field in joins:
            objects, attname = read[name], field.attname
            _read_related(field, objects, {row[attname] for row in batch})
            for row in batch:
                row[name] = objects.get(row[attname])
        yield from (SimpleNamespace(**row) for row in batch)


def _read_related(field, objects: dict[int, Model], keys: set) -> None:
    """
    Adds to `objects` (by pk) the `field` objects named by `keys` not read yet: one query, none when every one
    was (as select_related would read them: base manager). Only objects the part's own rows name are read.
    """
    missing = [key for key in keys if key is not None and key not in objects]
    if missing:
        objects.update((obj.pk, obj) for obj in field.related_model._base_manager.filter(pk__in=missing))


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
