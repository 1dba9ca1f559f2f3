"""
Exporting FHIR data: `Patient/{id}/$everything` (one patient's record as a paged searchset Bundle) and FHIR
Bulk Data `$export` (https://hl7.org/fhir/uv/bulkdata/export.html) at system, Group and patient level.

Every resource comes from its mapper's `to_fhir`, read through the mapper's access-filtered queryset, so an
export shows exactly what the caller may read one resource at a time. The types a level covers come from the
registry: the patient compartment is Patient plus every mapper with a `patient` search parameter.

A bulk export is an `ExportJob`: the kick-off checks the request and stores it (status accepted); the worker
(`carecoord worker`, jobs.py) claims accepted jobs and writes one NDJSON file per type under
VAR_DIR/exports/<job id>/, streaming rows in batches so memory stays flat (export_rows.py reads and writes
them). When no worker has claimed a job within CARECOORD_FHIR_EXPORT_INLINE_AFTER_SECONDS (default 10) of
its kick-off, the next status poll runs it in that request, so a single-process deployment still completes
exports. A claim is one conditional UPDATE, so a job never runs twice.

CareCoord has no Group resource yet: the only group is "all", every patient the caller may see (the same
patients as a patient-level export).
"""

import datetime as dt
import logging
import re
import shutil
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from carecoord.core import clock
from carecoord.core.access import Actor, actor_for
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import NotFoundError
from carecoord.patients.selectors import visibility_memo, visibility_narrowed

from . import export_rows
from .access import Caller
from .base import ResourceMapper, instant, parse_id
from .interaction_parts import Result, mapper_or_404
from .models import ExportJob, ExportStatus
from .outcome import FhirError, operation_outcome
from .registry import MAPPERS, mapper_for

logger = logging.getLogger(__name__)

NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = (NDJSON, "application/ndjson", "ndjson")  # the spec's required abbreviations of NDJSON
ERROR_TYPE = "OperationOutcome"
GROUP_ALL = "all"
LEVELS = ("system", "group", "patient")
UNSUPPORTED_PARAMS = ("_typeFilter", "_elements", "patient", "includeAssociatedData")
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
EVERYTHING_COUNT, EVERYTHING_MAX_COUNT = 50, 500


# --- which types ---------------------------------------------------------------------------------------------


def readable(mapper: ResourceMapper) -> bool:
    return "read" in mapper.interactions


def compartment_types() -> list[str]:
    """Patient and every type CareCoord maps that has a `patient` search parameter."""
    others = sorted(t for t, m in MAPPERS.items() if "patient" in m.search_params and readable(m) and t != "Patient")
    return ["Patient", *others] if "Patient" in MAPPERS else others


def system_types() -> list[str]:
    compartment = compartment_types()
    return compartment + sorted(t for t, m in MAPPERS.items() if readable(m) and t not in compartment)


def level_types(level: str) -> list[str]:
    return system_types() if level == "system" else compartment_types()


def parse_since(text: str) -> dt.datetime:
    """A FHIR instant (2026-01-05T14:30:00Z or with an offset); FhirError 400 otherwise."""
    value = text.strip().replace(" ", "+")  # an unencoded "+" in a query string arrives as a space
    if not INSTANT.match(value):
        raise FhirError(400, f"_since must be a FHIR instant such as 2026-01-05T14:30:00Z, not “{text}”.")
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise FhirError(400, f"_since “{text}” is not a real instant: {exc}.") from exc


def split_types(text: str, known: list[str], *, what: str) -> list[str]:
    """The types of a comma list, each one CareCoord serves at this level; FhirError 400 naming one that is not."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in known:
            raise FhirError(
                400,
                f"_type “{name}” is not a resource type {what} (one of {', '.join(known)}).",
                code="not-supported",
                expression=["_type"],
            )
    return list(dict.fromkeys(names))


def _since_filter(queryset: QuerySet, since: dt.datetime | None) -> QuerySet:
    return queryset.filter(updated_at__gt=since) if since else queryset


# --- Patient/{id}/$everything ----------------------------------------------------------------------------------


def everything(caller: Caller, patient_id: str, params: list[tuple[str, str]], base: str) -> Result:
    """The patient and every resource about them the caller may read, as one searchset paged with _count."""
    patient_mapper = mapper_or_404("Patient")
    caller.require("Patient", "read")
    patient = patient_mapper.get(caller.actor, patient_id)
    query = dict(params)
    count = _bounded(query.get("_count", str(EVERYTHING_COUNT)), "_count", 0, EVERYTHING_MAX_COUNT)
    offset = _bounded(query.get("_offset", "0"), "_offset", 0, 10_000_000)
    since = parse_since(query["_since"]) if query.get("_since") else None
    known = compartment_types()
    wanted = split_types(query["_type"], known, what="in a patient's record") if query.get("_type") else known
    ignored = sorted({k for k, _ in params} - {"_count", "_offset", "_since", "_type", "_format"})

    sections, left_out = [], []
    for resource_type in wanted:
        if not caller.grants.allows(resource_type, "read"):
            left_out.append(resource_type)
            continue
        for part in MAPPERS[resource_type].parts:
            if resource_type == "Patient":
                queryset = part.read_queryset(caller.actor).filter(pk=patient.pk)
            else:
                queryset = part.read_queryset(caller.actor).filter(_patient_filter(part, patient, caller))
            sections.append((part, _since_filter(queryset, since).order_by("pk")))
    counts = [queryset.count() for _, queryset in sections]
    total = sum(counts)

    entries, start, need = [], offset, count
    for (mapper, queryset), size in zip(sections, counts, strict=True):
        if need <= 0:
            break
        if start >= size:
            start -= size
            continue
        for obj in queryset[start : start + need]:
            resource = mapper.to_fhir(obj)
            entries.append(
                {
                    "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
                    "resource": resource,
                    "search": {"mode": "match"},
                }
            )
            need -= 1
        start = 0
    warnings = []
    if left_out:
        warnings.append(f"Left out (the token's scopes do not allow reading them): {', '.join(left_out)}.")
    if ignored:
        warnings.append(f"Ignored unknown parameters: {', '.join(ignored)}.")
    for text in warnings:
        outcome = operation_outcome(text, code="informational" if left_out else "not-supported", severity="warning")
        entries.append({"resource": outcome, "search": {"mode": "outcome"}})
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": _links(f"{base}Patient/{patient.public_id}/$everything", params, offset, count, total),
    }
    if entries:
        bundle["entry"] = entries
    audit_record(
        actor=caller.actor,
        event="fhir.everything",
        action=AuditAction.READ,
        target=patient,
        patient=patient,
        detail={
            "type": "Patient",
            "total": total,
            "offset": offset,
            **({"client": caller.client_id} if caller.client_id else {}),
        },
    )
    return Result(200, bundle, {})


def _patient_filter(mapper: ResourceMapper, patient, caller: Caller):
    build = mapper.search_params["patient"].build
    value = f"Patient/{patient.public_id}"
    if getattr(build, "needs_tz", False):
        return build(value, "", tz=caller.actor.organization.tz)
    return build(value, "")


def _bounded(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise FhirError(400, f"{name} must be a whole number, not “{value}”.") from exc
    if not low <= number <= high:
        raise FhirError(400, f"{name} must be between {low} and {high}.")
    return number


def _links(url: str, params, offset: int, count: int, total: int) -> list[dict]:
    kept = [(k, v) for k, v in params if k != "_offset"]

    def at(position: int) -> str:
        return f"{url}?{urllib.parse.urlencode([*kept, ('_offset', str(position))])}"

    links = [{"relation": "self", "url": at(offset)}, {"relation": "first", "url": at(0)}]
    if offset > 0 and count:
        links.append({"relation": "previous", "url": at(max(0, offset - count))})
    if count and offset + count < total:
        links.append({"relation": "next", "url": at(offset + count)})
    return links


# --- $export: kick-off -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KickOff:
    level: str
    group_id: str
    params: list[tuple[str, str]]
    prefer: str
    accept: str
    request_url: str


def kick_off(caller: Caller, request: KickOff) -> ExportJob:
    """Checks a $export request and stores it as an accepted job; FhirError (400, 403, 404, 406) otherwise."""
    if request.level == "group" and request.group_id != GROUP_ALL:
        raise FhirError(
            404,
            f"Group/{request.group_id} is not known: CareCoord's only group is “{GROUP_ALL}” (every patient you see).",
            code="not-found",
        )
    if "respond-async" not in request.prefer:
        raise FhirError(400, "A $export needs the header “Prefer: respond-async”.", code="required")
    accept = request.accept.split(";")[0].strip()
    if accept not in ("", "*/*", "application/fhir+json", "application/json"):
        raise FhirError(406, "A $export answers in application/fhir+json; send Accept: application/fhir+json.")
    query: dict[str, str] = {}
    for name, value in request.params:
        if name in UNSUPPORTED_PARAMS:
            raise FhirError(400, f"CareCoord's $export does not support {name}.", code="not-supported")
        query[name] = f"{query[name]},{value}" if name == "_type" and name in query else value
    output_format = query.get("_outputFormat", NDJSON).strip()
    if output_format not in OUTPUT_FORMATS:
        raise FhirError(
            400,
            f"_outputFormat “{output_format}” is not supported: CareCoord exports {NDJSON} only.",
            code="not-supported",
        )
    since = parse_since(query["_since"]) if query.get("_since") else None
    known = level_types(request.level)
    what = "a system export covers" if request.level == "system" else "in the patient compartment"
    named = split_types(query["_type"], known, what=what) if query.get("_type") else []
    refused = [name for name in named if not caller.grants.allows(name, "read")]
    if refused:
        raise FhirError(
            403,
            f"The token's scopes do not allow reading {', '.join(refused)}.",
            code="forbidden",
            expression=["_type"],
        )
    candidates = named or known
    allowed = [name for name in candidates if caller.grants.allows(name, "read")]
    left_out = [name for name in candidates if name not in allowed]
    job = ExportJob.objects.create(
        organization=caller.actor.organization,
        requested_by=caller.actor.user,
        level=request.level,
        group_id=request.group_id if request.level == "group" else "",
        types=allowed,
        since=since,
        request_url=request.request_url[:2000],
    )
    if left_out:
        lines = [
            operation_outcome(
                f"{name} is left out: the token's scopes do not allow reading it.", code="forbidden", severity="warning"
            )
            for name in left_out
        ]
        job.output = [_write_lines(job, ERROR_TYPE, lines)]
        job.save(update_fields=["output", "updated_at"])
    return job


def _write_lines(job: ExportJob, resource_type: str, resources: list[dict]) -> dict:
    directory = export_directory(job)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{resource_type}.ndjson"
    with open(directory / name, "w", encoding="utf-8") as out:
        for resource in resources:
            out.write(_line(resource))
    return {"type": resource_type, "file": name, "count": len(resources)}


def _line(resource: dict) -> str:
    return export_rows.line(resource)


def export_directory(job: ExportJob) -> Path:
    return Path(settings.VAR_DIR) / "exports" / str(job.public_id)


# --- $export: writing the files ---------------------------------------------------------------------------------


class Cancelled(Exception):
    """The job was cancelled while it ran."""


def export_querysets(
    actor: Actor, types: list[str], since: dt.datetime | None
) -> list[tuple[str, list[tuple[ResourceMapper, QuerySet]]]]:
    """
    Each type with its sources: every part's mapper and access-filtered rows (changed after `since`), in a
    stable order (a type served from several models has several parts, written into one file).
    """
    return [
        (
            mapper.resource_type,
            [(part, _since_filter(part.read_queryset(actor), since).order_by("pk")) for part in mapper.parts],
        )
        for mapper in (mapper_for(name) for name in types)
        if mapper is not None
    ]


def write_export(
    actor: Actor,
    types: list[str],
    since: dt.datetime | None,
    directory: Path,
    *,
    on_batch: Callable[[str, int], None] | None = None,
    on_type: Callable[[dict], None] | None = None,
    check: Callable[[], None] | None = None,
) -> list[dict]:
    """
    Writes <Type>.ndjson for each type with resources into `directory`; returns [{type, file, count}].
    The visible patients are read once and narrow the parts that filter by them; when they are not many, one
    statement finds which of those parts have no row for them (they are not read at all) and the types with
    the most rows are read as plain rows (see export_rows).
    """
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    typed_parts = [(mapper.resource_type, mapper.parts) for mapper in map(mapper_for, types) if mapper is not None]
    parts = [part for _, type_parts in typed_parts for part in type_parts]
    with visibility_memo():
        ids = export_rows.visible_patient_ids(actor, [(part, None) for part in parts])
        found = dict(zip(map(id, parts), export_rows.may_have_rows(parts, actor, ids, since), strict=True))
        with visibility_narrowed(actor, ids):
            typed_sources = [
                (
                    resource_type,
                    [
                        (part, _since_filter(part.read_queryset(actor), since).order_by("pk"))
                        for part in type_parts
                        if found[id(part)]
                    ],
                )
                for resource_type, type_parts in typed_parts
            ]
    with export_rows.planned_for_every_row():
        for resource_type, sources in typed_sources:
            name = f"{resource_type}.ndjson"
            count = export_rows.write_rows(
                [(part, export_rows.narrowed(part, queryset, ids)) for part, queryset in sources],
                directory / name,
                on_batch=(lambda n, t=resource_type: on_batch(t, n)) if on_batch else None,
                check=check,
                plain=ids is not None,
            )
            item = {"type": resource_type, "file": name, "count": count}
            if count:
                files.append(item)
            if on_type:
                on_type(item)
    return files


def claim(job: ExportJob) -> bool:
    """Marks an accepted job running; False when a worker or another request got there first."""
    now = clock.now()
    claimed = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.ACCEPTED).update(
        status=ExportStatus.RUNNING, started_at=now, updated_at=now
    )
    if claimed:
        job.status, job.started_at = ExportStatus.RUNNING, now
    return bool(claimed)


def run_job(job: ExportJob) -> None:
    """Writes a claimed job's files, then marks it completed (or failed, or leaves it cancelled)."""
    directory = export_directory(job)
    errors = [item for item in job.output if item["type"] == ERROR_TYPE]
    done: list[dict] = []

    def check() -> None:
        if ExportJob.objects.filter(pk=job.pk, status=ExportStatus.CANCELLED).exists():
            raise Cancelled

    def progress(item: dict) -> None:
        done.append(item)
        ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(output=errors + done)

    try:
        actor = actor_for(job.requested_by, job.organization)
        files = write_export(actor, job.types, job.since, directory, on_type=progress, check=check)
    except Cancelled:
        shutil.rmtree(directory, ignore_errors=True)
        return
    except NotFoundError:
        _fail(job, "The account that asked for this export no longer has access to the organization.")
        return
    except Exception as exc:  # the job records the failure; the worker goes on with the next one
        logger.exception("FHIR export failed", extra={"job": str(job.public_id)})
        _fail(job, f"{type(exc).__name__} while writing the files.")
        return
    finished = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.COMPLETED, output=errors + files, completed_at=clock.now(), updated_at=clock.now()
    )
    if not finished:  # cancelled as the last file was written
        shutil.rmtree(directory, ignore_errors=True)
        return
    job.refresh_from_db()
    audit_record(
        actor=actor,
        event="fhir.export",
        action=AuditAction.EXECUTE,
        target=job,
        detail={
            "level": job.level,
            **({"group": job.group_id} if job.group_id else {}),
            "since": instant(job.since) if job.since else None,
            "counts": {item["type"]: item["count"] for item in files},
            "left_out": sum(item["count"] for item in errors),
        },
    )


def _fail(job: ExportJob, message: str) -> None:
    ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.FAILED, error=message, completed_at=clock.now(), updated_at=clock.now()
    )
    shutil.rmtree(export_directory(job), ignore_errors=True)


def run_accepted(limit: int = 5) -> int:
    """Claims and runs up to `limit` accepted jobs, oldest first; returns how many it ran."""
    ran = 0
    for job in ExportJob.objects.filter(status=ExportStatus.ACCEPTED).order_by("created_at", "pk")[:limit]:
        if claim(job):
            run_job(job)
            ran += 1
    return ran


def purge_expired() -> int:
    """Deletes the files of jobs finished more than CARECOORD_FHIR_EXPORT_KEEP_DAYS (default 7) ago."""
    keep = dt.timedelta(days=getattr(settings, "CARECOORD_FHIR_EXPORT_KEEP_DAYS", 7))
    expired = ExportJob.objects.filter(
        status__in=(ExportStatus.COMPLETED, ExportStatus.FAILED), completed_at__lt=clock.now() - keep
    )
    for job in expired:
        cancel(job)
    return len(expired)


def run_inline_if_unclaimed(job: ExportJob) -> None:
    """Runs an accepted job in this request when no worker has claimed it in time (see the module's doc)."""
    wait = dt.timedelta(seconds=getattr(settings, "CARECOORD_FHIR_EXPORT_INLINE_AFTER_SECONDS", 10))
    if job.status == ExportStatus.ACCEPTED and clock.now() - job.created_at >= wait and claim(job):
        run_job(job)
        job.refresh_from_db()


# --- $export: status, manifest, cancel, files -------------------------------------------------------------------


def job_for(caller: Caller, job_id: str) -> ExportJob:
    """The caller's organization's job; 404 for any other (another organization's jobs look like none)."""
    key = parse_id(job_id)
    job = (
        ExportJob.objects.select_related("organization", "requested_by")
        .filter(public_id=key, organization=caller.actor.organization)
        .first()
        if key
        else None
    )
    if job is None or job.status == ExportStatus.CANCELLED:
        raise FhirError(404, f"There is no export job {job_id}.", code="not-found")
    return job


def progress_text(job: ExportJob) -> str:
    if job.status == ExportStatus.ACCEPTED:
        return "waiting for the worker"
    done = len([item for item in job.output if item["type"] != ERROR_TYPE])
    return f"{done} of {len(job.types)} resource types written"


def manifest(job: ExportJob, base: str) -> dict:
    def item(entry: dict) -> dict:
        return {"type": entry["type"], "url": file_url(base, job, entry["file"]), "count": entry["count"]}

    return {
        "transactionTime": instant(job.started_at or job.created_at),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [item(e) for e in job.output if e["type"] != ERROR_TYPE],
        "error": [item(e) for e in job.output if e["type"] == ERROR_TYPE],
    }


def file_url(base: str, job: ExportJob, name: str) -> str:
    return f"{base}$export-file/{job.public_id}/{name}"


def cancel(job: ExportJob) -> None:
    """Cancels a job (a running one stops at its next batch) and deletes its files."""
    ExportJob.objects.filter(pk=job.pk).exclude(status=ExportStatus.CANCELLED).update(
        status=ExportStatus.CANCELLED, updated_at=clock.now()
    )
    shutil.rmtree(export_directory(job), ignore_errors=True)


def export_file(caller: Caller, job: ExportJob, name: str) -> tuple[Path, dict]:
    """The path of one file of a completed job and its manifest entry; 404 for a name the job did not write."""
    entry = next((e for e in job.output if e["file"] == name), None) if job.status == ExportStatus.COMPLETED else None
    path = export_directory(job) / name if entry else None
    if entry is None or path is None or not path.is_file():
        raise FhirError(404, f"Export {job.public_id} has no file {name}.", code="not-found")
    if entry["type"] != ERROR_TYPE:
        caller.require(entry["type"], "read")
    return path, entry


def audit_download(caller: Caller, job: ExportJob, entry: dict) -> None:
    audit_record(
        actor=caller.actor,
        event="fhir.export.download",
        action=AuditAction.READ,
        target=job,
        detail={
            "type": entry["type"],
            "count": entry["count"],
            **({"client": caller.client_id} if caller.client_id else {}),
        },
    )
