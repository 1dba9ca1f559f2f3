"""
Round trip on Synthea data: import the transaction Bundles with `import_paths`, export everything with the
bulk-export writer (export.write_export, what $export runs), and compare the clinically meaningful fields with
the source bundles: patients' names, birth dates, genders, MRNs and addresses; conditions' codes, onsets and
clinical statuses; measurements (weight, blood pressure, pain, HbA1c, glucose) with their times and values;
practitioners' names and NPIs. Every exported resource validates against the FHIR R4 models.

What the import does not keep, by design, is not compared: other identifiers (SSN, driver's licence,
passport), name prefixes, observations of kinds CareCoord does not record, encounters, claims...
An NPI failing its check digit (Synthea's are "0", "60"...) is dropped by the lenient import, so the exported
practitioner has none.
"""

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from carecoord.checkins.measures import MEASURES
from carecoord.core.choices import US_STATES
from carecoord.core.errors import ValidationError
from carecoord.directory.domain import normalize_npi
from carecoord.interop.fhir.export import system_types, write_export
from carecoord.interop.fhir.importer import import_actor, import_paths

from ...factories import OrganizationFactory
from .conftest import assert_valid

SYNTHEA = Path(__file__).resolve().parents[2] / "data" / "synthea"
SHARED_SYNTHEA = Path(__file__).resolve().parents[4] / "shared" / "data" / "synthea"
SNOMED, ICD10 = "http://snomed.info/sct", "http://hl7.org/fhir/sid/icd-10-cm"
NPI = "http://hl7.org/fhir/sid/us-npi"
LOINC = "http://loinc.org"
KEPT_CODES = {**{m.loinc: key for key, m in MEASURES.items()}, "55284-4": "bp"}
STATE_CODES = {name.lower(): code for code, name in US_STATES}


@pytest.fixture
def organization(db):
    return OrganizationFactory(slug="roundtrip")


def export_all(organization, directory: Path) -> dict[str, list[dict]]:
    """Every resource the import account can read, by type, as the bulk export writes them."""
    write_export(import_actor(organization), system_types(), None, directory)
    exported: dict[str, list[dict]] = defaultdict(list)
    for path in sorted(directory.glob("*.ndjson")):
        for line in path.read_text(encoding="utf-8").splitlines():
            resource = assert_valid(json.loads(line))
            exported[resource["resourceType"]].append(resource)
    return exported


def resources(path: Path, kind: str) -> list[dict]:
    bundle = json.loads(path.read_text(encoding="utf-8"))
    return [e["resource"] for e in bundle.get("entry") or [] if e["resource"]["resourceType"] == kind]


def mrn_of(patient: dict) -> str:
    for identifier in patient.get("identifier") or []:
        if any(c.get("code") == "MR" for c in (identifier.get("type") or {}).get("coding") or []):
            return identifier["value"]
    return ""


def ref_id(ref: dict | None) -> str:
    return str((ref or {}).get("reference", "")).rpartition("/")[2]


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def two_places(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def compare_patients(sources: list[Path], exported: dict[str, list[dict]], *, with_state: bool = False) -> list[str]:
    """The differences between the source bundles' patients and the export (empty when the round trip holds)."""
    problems: list[str] = []
    by_mrn = {mrn_of(p): p for p in exported["Patient"]}
    conditions, observations = defaultdict(list), defaultdict(list)
    for condition in exported["Condition"]:
        conditions[ref_id(condition["subject"])].append(condition)
    for observation in exported["Observation"]:
        observations[ref_id(observation["subject"])].append(observation)
    for path in sources:
        for source in resources(path, "Patient"):
            where = f"{path.name}: "
            ours = by_mrn.get(mrn_of(source))
            if ours is None:
                problems.append(f"{where}no exported Patient has the MRN {mrn_of(source)}")
                continue
            problems += [where + p for p in _patient_fields(source, ours, with_state)]
            problems += [where + p for p in _conditions(path, conditions[ours["id"]])]
            problems += [where + p for p in _observations(path, observations[ours["id"]])]
    return problems


def _patient_fields(source: dict, ours: dict, with_state: bool) -> list[str]:
    problems = []
    official = next((n for n in source["name"] if n.get("use") == "official"), source["name"][0])
    mine = next(n for n in ours["name"] if n["use"] == "official")
    if (mine["family"], mine["given"]) != (official["family"], official["given"]):
        problems.append(f"name {mine} is not {official}")
    for field in ("birthDate", "gender"):
        if ours.get(field) != source.get(field):
            problems.append(f"{field} {ours.get(field)} is not {source.get(field)}")
    if source.get("address"):
        theirs, kept = source["address"][0], ours["address"][0]
        pairs = [("line", kept.get("line"), theirs.get("line")), ("city", kept.get("city"), theirs.get("city"))]
        pairs.append(("postalCode", kept.get("postalCode"), theirs.get("postalCode")))
        if with_state:
            state = theirs.get("state", "")
            pairs.append(("state", kept.get("state"), STATE_CODES.get(state.lower(), state)))
        problems += [f"address {name} {a} is not {b}" for name, a, b in pairs if a != b]
    return problems


def _conditions(path: Path, ours: list[dict]) -> list[str]:
    expected: dict[tuple, str] = {}
    for condition in resources(path, "Condition"):
        coding = next((c for c in condition["code"]["coding"] if c.get("system") in (SNOMED, ICD10)), None)
        if coding is None:
            continue
        key = (coding["system"], coding["code"], (condition.get("onsetDateTime") or "")[:10])
        clinical = condition.get("clinicalStatus", {}).get("coding", [{}])[0].get("code", "active")
        expected.setdefault(key, clinical)
    kept = {
        (c["code"]["coding"][0]["system"], c["code"]["coding"][0]["code"], c.get("onsetDateTime", "")[:10]): c[
            "clinicalStatus"
        ]["coding"][0]["code"]
        for c in ours
    }
    return [
        f"condition {key} {kept.get(key)} is not {status}"
        for key, status in expected.items()
        if kept.get(key) != status
    ]


def _observations(path: Path, ours: list[dict]) -> list[str]:
    expected = set()
    for observation in resources(path, "Observation"):
        codes = [c["code"] for c in observation["code"]["coding"] if c.get("system") == LOINC]
        kind = next((KEPT_CODES[code] for code in codes if code in KEPT_CODES), None)
        if kind is None:
            continue
        values = _values(observation, kind)
        measure = MEASURES[kind]
        if all(measure.low <= v <= measure.high for v in values) and (kind != "bp" or values[0] > values[1]):
            expected.add((kind, instant(observation["effectiveDateTime"]), values))
    kept = set()
    for observation in ours:
        kind = KEPT_CODES[observation["code"]["coding"][0]["code"]]
        kept.add((kind, instant(observation["effectiveDateTime"]), _values(observation, kind)))
    return [f"measurement {item} was not exported" for item in sorted(expected - kept, key=str)]


def _values(observation: dict, kind: str) -> tuple:
    if kind == "bp":
        parts = {
            c["code"]["coding"][0]["code"]: two_places(c["valueQuantity"]["value"]) for c in observation["component"]
        }
        return (parts["8480-6"], parts["8462-4"])
    return (two_places(observation["valueQuantity"]["value"]),)


def compare_practitioners(sources: list[Path], exported: dict[str, list[dict]]) -> list[str]:
    ours = {}
    for practitioner in exported["Practitioner"]:
        name = practitioner["name"][0]
        ours[(name["family"], tuple(name["given"]))] = next(
            (i["value"] for i in practitioner.get("identifier", []) if i["system"] == NPI), ""
        )
    problems = []
    for path in sources:
        for source in resources(path, "Practitioner"):
            name = source["name"][0]
            key = (name["family"], tuple(name["given"]))
            raw = next((i["value"] for i in source.get("identifier", []) if i["system"] == NPI), "")
            try:
                npi = normalize_npi(raw)
            except ValidationError:
                npi = ""  # not a real NPI: the import leaves it out
            if key not in ours:
                problems.append(f"{path.name}: practitioner {key} was not exported")
            elif ours[key] != npi:
                problems.append(f"{path.name}: practitioner {key} has NPI {ours[key]!r}, not {npi!r}")
    return problems


def test_synthea_bundles_round_trip_through_import_and_export(organization, tmp_path):
    report = import_paths(organization, [SYNTHEA])
    assert not report.failed, [(f.path.name, f.detail) for f in report.failed]
    assert report.totals["Observation created"] > 0
    exported = export_all(organization, tmp_path / "export")
    sources = sorted(SYNTHEA.glob("*.json"))
    assert len(exported["Patient"]) == 2
    assert compare_patients(sources, exported) == []
    assert compare_practitioners(sources, exported) == []
    kinds = {o["code"]["coding"][0]["code"] for o in exported["Observation"]}
    assert {"85354-9", "29463-7", "72514-3"} <= kinds  # Synthea's 55284-4 comes back as the US Core code


def test_synthea_addresses_keep_their_state(organization, tmp_path):
    import_paths(organization, [SYNTHEA])
    exported = export_all(organization, tmp_path / "export")
    assert compare_patients(sorted(SYNTHEA.glob("*.json")), exported, with_state=True) == []


def test_an_everything_of_an_imported_patient_validates(organization, make_caller):
    import_paths(organization, [SYNTHEA])
    caller = make_caller(organization)
    patients = caller.get("Patient").json()["entry"]
    for entry in patients:
        bundle = caller.get(f"Patient/{entry['resource']['id']}/$everything", {"_count": "500"}).json()
        types = {e["resource"]["resourceType"] for e in bundle["entry"]}
        assert {"Patient", "Condition", "Observation"} <= types
        for item in bundle["entry"]:
            assert_valid(item["resource"])


@pytest.mark.skipif(
    not SHARED_SYNTHEA.is_dir(), reason=f"{SHARED_SYNTHEA} (the 48-patient Synthea set) is not beside this checkout"
)
def test_every_shared_synthea_file_imports_and_every_patient_round_trips(organization, tmp_path):
    report = import_paths(organization, [SHARED_SYNTHEA])
    assert not report.failed, [(f.path.name, f.detail) for f in report.failed]
    sources = sorted(SHARED_SYNTHEA.glob("*.json"))
    assert len(report.files) == len(sources)
    exported = export_all(organization, tmp_path / "export")
    patients = sum(len(resources(path, "Patient")) for path in sources)
    assert len(exported["Patient"]) == patients
    assert compare_patients(sources, exported) == []
    assert compare_practitioners(sources, exported) == []
