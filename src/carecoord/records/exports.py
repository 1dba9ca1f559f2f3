"""
Building a right-of-access export (45 CFR 164.524; ONC 170.315(d)(11) logs it as a disclosure).

  export_run(export_pk)       claims a queued export (one conditional UPDATE, so it never runs twice) and
                              writes VAR_DIR/patient-exports/<export id>/: bundle.json (a FHIR R4 collection
                              Bundle from interop.fhir's Patient/$everything, every page), amendments.json,
                              record.pdf (the same content, readable) and manifest.json (SHA-256 of each)
  run_queued()                the worker's turn: runs queued exports, oldest first
  export_file(export, name)   the path of one file of a finished export

The export reads as the person who asked for it, so it holds exactly what they may see of this patient.
"""

import base64
import hashlib
import json
import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from carecoord.careplans.pdf import html_to_pdf
from carecoord.core import clock
from carecoord.core.access import actor_for
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.interop.fhir.access import EVERYTHING, Caller
from carecoord.interop.fhir.export import EVERYTHING_MAX_COUNT, everything

from .choices import ExportStatus
from .models import AmendmentRequest, Disclosure, PatientExport

logger = logging.getLogger(__name__)

FILES = {
    "bundle.json": "application/fhir+json",
    "amendments.json": "application/json",
    "record.pdf": "application/pdf",
    "manifest.json": "application/json",
}
BASE_URL = "urn:carecoord:export:"
RUN_PER_TURN = 3


def export_dir(export: PatientExport) -> Path:
    return Path(settings.VAR_DIR) / "patient-exports" / str(export.public_id)


def export_file(export: PatientExport, name: str) -> Path | None:
    if name not in FILES or export.status != ExportStatus.DONE:
        return None
    path = export_dir(export) / name
    return path if path.is_file() else None


def run_queued() -> int:
    ids = list(
        PatientExport.objects.filter(status=ExportStatus.QUEUED).order_by("created_at").values_list("pk", flat=True)
    )
    return sum(export_run(pk) for pk in ids[:RUN_PER_TURN])


def export_run(export_pk: int) -> bool:
    """Builds one queued export; True when this call built it."""
    claimed = PatientExport.objects.filter(pk=export_pk, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=clock.now()
    )
    if not claimed:
        return False
    export = PatientExport.objects.select_related("patient", "organization", "requested_by").get(pk=export_pk)
    try:
        _build(export)
    except Exception as exc:
        # Any failure is reported on the export (and logged with its id, no PHI) instead of killing the worker.
        logger.exception("patient export %s failed", export.public_id)
        PatientExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, finished_at=clock.now(), error=str(exc)[:300] or type(exc).__name__
        )
        return False
    return True


@transaction.atomic
def _build(export: PatientExport) -> None:
    actor = actor_for(export.requested_by, export.organization)
    bundle = patient_bundle(Caller(actor=actor, grants=EVERYTHING), str(export.patient.public_id))
    amendments = [amendment_json(a) for a in AmendmentRequest.objects.filter(patient=export.patient).order_by("pk")]
    html = export_html(export, bundle, amendments)
    contents = {
        "bundle.json": _json_bytes(bundle),
        "amendments.json": _json_bytes(amendments),
        "record.pdf": html_to_pdf(html),
    }
    manifest = {
        "export": str(export.public_id),
        "patient": str(export.patient.public_id),
        "generated_at": clock.now().isoformat(),
        "requested_by": export.requested_by.email,
        "recipient": export.recipient,
        "fhirVersion": "4.0.1",
        "files": [
            {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "type": FILES[name]}
            for name, data in contents.items()
        ],
    }
    contents["manifest.json"] = _json_bytes(manifest)
    folder = export_dir(export)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    now = clock.now()
    PatientExport.objects.filter(pk=export.pk).update(status=ExportStatus.DONE, finished_at=now, manifest=manifest)
    Disclosure.objects.create(
        organization=export.organization,
        patient=export.patient,
        patient_public_id=export.patient.public_id,
        disclosed_at=now,
        user=export.requested_by,
        recipient=export.recipient,
        description=(
            f"Right-of-access copy of the record: FHIR R4 Bundle ({len(bundle.get('entry', []))} resources), "
            f"{len(amendments)} amendment requests and a readable PDF (export {export.public_id})."
        ),
        export=export,
    )
    audit_record(
        actor=actor, event="export.complete", action=AuditAction.EXECUTE, target=export, patient=export.patient
    )


def patient_bundle(caller: Caller, patient_id: str) -> dict:
    """Every page of Patient/$everything as one FHIR collection Bundle (searchset paging and outcomes dropped)."""
    entries, offset = [], 0
    while True:
        params = [("_count", str(EVERYTHING_MAX_COUNT)), ("_offset", str(offset))]
        page = everything(caller, patient_id, params, BASE_URL).body or {}
        matches = [e for e in page.get("entry", []) if e.get("search", {}).get("mode") == "match"]
        entries.extend({"fullUrl": e["fullUrl"], "resource": e["resource"]} for e in matches)
        offset += EVERYTHING_MAX_COUNT
        if offset >= page.get("total", 0) or not matches:
            break
    return {"resourceType": "Bundle", "type": "collection", "timestamp": clock.now().isoformat(), "entry": entries}


def amendment_json(request: AmendmentRequest) -> dict:
    return {
        "id": str(request.public_id),
        "target": request.target,
        "note": str(request.note.public_id) if request.note_id else None,
        "field": request.field,
        "requested_text": request.requested_text,
        "reason": request.reason,
        "requested_by": request.requested_by,
        "received_at": request.received_at.isoformat(),
        "status": request.status,
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "denial_reason": request.denial_reason,
        "original_value": request.original_value,
        "addendum": str(request.addendum.public_id) if request.addendum_id else None,
    }


def _json_bytes(value) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True).encode("utf-8")


# --- the readable copy ----------------------------------------------------------------------------------------


def export_html(export: PatientExport, bundle: dict, amendments: list[dict]) -> str:
    sections: dict[str, list[dict]] = {}
    for entry in bundle.get("entry", []):
        resource = entry["resource"]
        sections.setdefault(resource["resourceType"], []).append(readable(resource))
    return render_to_string(
        "records/export_pdf.html",
        {"export": export, "patient": export.patient, "sections": sorted(sections.items()), "amendments": amendments},
    )


def readable(resource: dict) -> dict:
    """A resource as a heading and plain lines; the PDF shows every field, flattened, so nothing is hidden."""
    text = resource.get("text", {})
    lines = [f"{path}: {value}" for path, value in _flatten(resource) if not path.startswith(("text", "meta"))]
    for attachment in _attachments(resource):
        lines.append(attachment)
    return {"title": _title(resource), "lines": lines, "narrative_status": text.get("status", "")}


def _title(resource: dict) -> str:
    for key in ("title", "description", "code", "medicationCodeableConcept", "type", "name"):
        value = resource.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            return value.get("text") or next((c.get("display", "") for c in value.get("coding", [])), "") or key
        if isinstance(value, list) and value and isinstance(value[0], dict):
            first = value[0]
            return first.get("text") or " ".join([*first.get("given", []), first.get("family", "")]).strip()
    return f"{resource['resourceType']} {resource.get('id', '')}"


def _flatten(value, path: str = ""):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "data":  # attachment bytes are decoded separately
                continue
            yield from _flatten(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            yield from _flatten(item, path)
    else:
        yield path, value


def _attachments(resource: dict) -> list[str]:
    found = []
    for content in resource.get("content", []):
        data = content.get("attachment", {}).get("data")
        if data:
            try:
                found.append(base64.b64decode(data).decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                found.append("(binary attachment)")
    return found
