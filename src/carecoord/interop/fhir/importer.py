"""
`carecoord import-fhir`: FHIR Bundle files (transaction or batch, such as Synthea's) and NDJSON files (one
resource per line, such as a Bulk Data export) into one organization. Each file is one transaction, so a bad
file is reported and leaves nothing behind while the others load. The import is lenient (types CareCoord does
not keep are counted, not refused) and idempotent: a resource whose identifiers match a record on file is
not created again. Directory files (Organization, Practitioner) load first so patients' references resolve.
"""

import contextlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from carecoord.core.access import Actor
from carecoord.core.choices import Role
from carecoord.core.models import Membership, Organization, User

from .access import EVERYTHING, Caller
from .bundle import process_bundle
from .outcome import FhirError

# Load order of NDJSON files by resource type (what others refer to first); other types after, by name.
TYPE_ORDER = ("Organization", "Practitioner", "Location", "Patient", "RelatedPerson", "PractitionerRole")
DIRECTORY_PREFIXES = ("hospitalInformation", "practitionerInformation")
BASE = "urn:carecoord:import/"


@dataclass
class FileReport:
    path: Path
    ok: bool
    detail: str = ""
    counts: Counter = field(default_factory=Counter)


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def totals(self) -> Counter:
        total: Counter = Counter()
        for file in self.files:
            total.update(file.counts)
        return total

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if not f.ok]


def import_actor(organization: Organization) -> Actor:
    """The organization's import account (no password; named in every audit entry the import leaves)."""
    user, _ = User.objects.get_or_create(
        email=f"import-{organization.slug}@system.carecoord.invalid",
        defaults={"full_name": f"FHIR import ({organization.name})"},
    )
    Membership.objects.get_or_create(user=user, organization=organization, role=Role.COORDINATOR)
    return Actor(user=user, organization=organization, roles=frozenset({Role.COORDINATOR}))


def ordered(paths: list[Path]) -> list[Path]:
    files = [
        p
        for path in paths
        for p in (sorted(path.glob("*.json")) + sorted(path.glob("*.ndjson")) if path.is_dir() else [path])
    ]
    return sorted(files, key=_rank)


def _rank(path: Path) -> tuple:
    for rank, prefix in enumerate(DIRECTORY_PREFIXES):
        if path.name.startswith(prefix):
            return (0, rank, path.name)
    stem = path.name.split(".")[0]
    if stem in TYPE_ORDER:
        return (1, TYPE_ORDER.index(stem), path.name)
    return (2, 0, path.name)


def import_paths(
    organization: Organization, paths: list[Path], *, on_file: Callable[[FileReport], None] | None = None
) -> ImportReport:
    caller = Caller(actor=import_actor(organization), grants=EVERYTHING, client_id="import-fhir")
    report = ImportReport()
    resolved: dict[str, str] = {}
    for path in ordered([Path(p) for p in paths]):
        result = _import_file(caller, path, resolved)
        report.files.append(result)
        if on_file:
            on_file(result)
    return report


def _import_file(caller: Caller, path: Path, resolved: dict[str, str]) -> FileReport:
    known = dict(resolved)
    try:
        bundle = _as_bundle(path)
        # A transaction Bundle is one transaction of process_bundle's own; a batch's entries are made one here.
        with contextlib.nullcontext() if bundle.get("type") == "transaction" else transaction.atomic():
            result = process_bundle(caller, bundle, BASE, lenient=True, resolved=resolved)
    except FhirError as error:
        resolved.clear()
        resolved.update(known)  # what the failed file added was rolled back
        return FileReport(path, ok=False, detail=error.diagnostics)
    except (OSError, ValueError) as error:
        return FileReport(path, ok=False, detail=str(error))
    return FileReport(path, ok=True, counts=_counts(bundle, result.body))


def _as_bundle(path: Path) -> dict:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".ndjson":
        entries = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                resource = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"line {number} is not JSON: {exc}") from exc
            entries.append(
                {
                    "fullUrl": f"{resource.get('resourceType')}/{resource.get('id')}",
                    "resource": resource,
                    "request": {"method": "POST", "url": str(resource.get("resourceType", ""))},
                }
            )
        return {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    bundle = json.loads(text)
    if bundle.get("resourceType") == "Bundle" and bundle.get("type") not in ("transaction", "batch"):
        raise ValueError(f"a {bundle.get('type')} Bundle cannot be imported; use a transaction or batch Bundle")
    if bundle.get("resourceType") != "Bundle":
        resource = bundle
        bundle = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [{"resource": resource, "request": {"method": "POST", "url": resource.get("resourceType")}}],
        }
    return bundle


def _counts(bundle: dict, response: dict) -> Counter:
    counts: Counter = Counter()
    for entry, answer in zip(bundle.get("entry") or [], response.get("entry") or [], strict=False):
        kind = (entry.get("resource") or {}).get("resourceType", "?")
        status = answer["response"]["status"]
        if "outcome" in answer["response"]:
            counts[f"{kind} not kept"] += 1
        elif status.startswith("201"):
            counts[f"{kind} created"] += 1
        else:
            counts[f"{kind} already on file"] += 1
    return counts
