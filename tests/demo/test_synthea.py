"""The Synthea loader on two real bundles (tests/data/synthea) and, when present, the whole shared sample."""

import datetime as dt
import json
import random
import shutil
from pathlib import Path

import pytest

from carecoord.core.models import AuditEvent
from carecoord.demo.people import npi_make
from carecoord.demo.synthea import synthea_load
from carecoord.directory.models import ExternalOrganization, Practitioner
from carecoord.patients.choices import CodeSystem
from carecoord.patients.models import Condition, Patient, PatientIdentifier

DATA = Path(__file__).resolve().parents[1] / "data" / "synthea"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "synthea"
BUSTER = "Buster_Hoeger_ad2e3fc5-2b5d-4cb9-8d03-9ea0f4ac8423.json"
NED = "Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json"
PRACTITIONERS = "practitionerInformation1559319163815.json"

pytestmark = pytest.mark.django_db


def snomed_conditions(*names: str, directory: Path = DATA) -> int:
    total = 0
    for name in names:
        for entry in json.loads((directory / name).read_text())["entry"]:
            resource = entry["resource"]
            if resource["resourceType"] == "Condition":
                total += any(c["system"] == "http://snomed.info/sct" for c in resource["code"]["coding"])
    return total


def copy_data(tmp_path: Path, *names: str) -> Path:
    for name in names:
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def test_loads_the_patients_with_their_demographics_and_conditions(org):
    report = synthea_load(DATA, org)
    assert not report.errors
    assert report.counts["patients"] == 2
    assert Condition.objects.filter(patient__organization=org).count() == snomed_conditions(BUSTER, NED)
    buster = Patient.objects.get(organization=org, mrn="ad2e3fc5-2b5d-4cb9-8d03-9ea0f4ac8423")
    assert (buster.given_name, buster.family_name, buster.birth_date) == ("Buster", "Hoeger", dt.date(1988, 3, 16))
    assert (buster.gender, buster.sex_at_birth, buster.preferred_language) == ("male", "M", "en")
    assert (buster.address_line1, buster.city, buster.state, buster.postal_code) == (
        "535 Howe Neck Apt 38", "Amherst", "MA", "01002",
    )  # fmt: skip
    assert buster.phone_primary == ""  # Synthea's 555-866-2259 has no real area code
    assert buster.search_name == " buster hoeger "
    sinusitis = buster.conditions.get(code="40055000")
    assert (sinusitis.code_system, sinusitis.clinical_status) == (CodeSystem.SNOMED, "active")
    assert sinusitis.onset_date == dt.date(1994, 9, 2)
    assert sinusitis.display == "Chronic sinusitis (disorder)"
    viral = buster.conditions.get(code="444814009", onset_date=dt.date(2011, 10, 4))
    assert (viral.clinical_status, viral.abatement_date) == ("resolved", dt.date(2011, 10, 25))


def test_never_stores_a_social_security_number(org):
    synthea_load(DATA, org)
    assert not PatientIdentifier.objects.exists()
    for patient in Patient.objects.filter(organization=org).values():
        assert not any("999-" in str(value) for value in patient.values())


def test_hospitals_and_practitioners_go_into_the_directory_without_invalid_npis(org):
    report = synthea_load(DATA, org)
    hospitals = ExternalOrganization.objects.filter(organization=org)
    assert hospitals.count() == 3
    assert set(hospitals.values_list("kind", flat=True)) == {"hospital"}
    practitioners = Practitioner.objects.filter(organization=org)
    assert practitioners.count() == 3
    assert set(practitioners.values_list("npi", flat=True)) == {""}  # Synthea's NPIs fail the check digit
    assert report.counts["npis_dropped"] == 3
    stark = practitioners.get(family_name="Stark")
    assert stark.external_organization.name == "COOLEY DICKINSON HOSPITAL INC,THE"


def test_loading_twice_adds_nothing(org):
    synthea_load(DATA, org)
    counts = (Patient.objects.count(), Condition.objects.count(), Practitioner.objects.count(),
              ExternalOrganization.objects.count())  # fmt: skip
    report = synthea_load(DATA, org)
    assert report.counts["patients_skipped"] == 2
    assert report.counts["patients"] == 0
    assert (Patient.objects.count(), Condition.objects.count(), Practitioner.objects.count(),
            ExternalOrganization.objects.count()) == counts  # fmt: skip
    assert AuditEvent.objects.filter(event="demo.synthea_load").count() == 2


def test_a_valid_npi_is_kept(org, tmp_path):
    bundle = json.loads((DATA / PRACTITIONERS).read_text())
    npi = npi_make(random.Random(5), set())
    bundle["entry"][0]["resource"]["identifier"][0]["value"] = npi
    (tmp_path / PRACTITIONERS).write_text(json.dumps(bundle))
    synthea_load(tmp_path, org)
    assert list(Practitioner.objects.exclude(npi="").values_list("npi", flat=True)) == [npi]


def test_a_bad_file_is_reported_and_the_others_still_load(org, tmp_path):
    copy_data(tmp_path, BUSTER)
    (tmp_path / "broken.json").write_text('{"resourceType": "Bundle", "entry": [')
    (tmp_path / "patient.json").write_text('{"resourceType": "Patient", "id": "x"}')
    nameless = json.loads((DATA / NED).read_text())
    next(e for e in nameless["entry"] if e["resource"]["resourceType"] == "Patient")["resource"]["name"] = []
    (tmp_path / "nameless.json").write_text(json.dumps(nameless))
    report = synthea_load(tmp_path, org)
    errors = {result.name: result.detail for result in report.errors}
    assert set(errors) == {"broken.json", "patient.json", "nameless.json"}
    assert "not valid JSON" in errors["broken.json"]
    assert "not a FHIR Bundle" in errors["patient.json"]
    assert "no usable name" in errors["nameless.json"]
    assert list(Patient.objects.values_list("family_name", flat=True)) == ["Hoeger"]
    assert report.counts["files_failed"] == 3


def test_a_snomed_code_failing_its_check_digit_is_skipped_and_counted(org, tmp_path):
    bundle = json.loads((DATA / BUSTER).read_text())
    condition = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition")
    condition["code"]["coding"][0]["code"] = "40055001"  # 40055000 with a wrong check digit
    (tmp_path / BUSTER).write_text(json.dumps(bundle))
    report = synthea_load(tmp_path, org)
    assert report.counts["conditions_skipped_check_digit"] == 1
    assert report.counts["conditions"] == snomed_conditions(BUSTER) - 1
    assert not Condition.objects.filter(code="40055001").exists()


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"the shared Synthea sample is not at {SHARED}")
def test_the_whole_shared_sample_loads(org):
    report = synthea_load(SHARED, org)
    patient_files = [p for p in SHARED.glob("*.json") if not p.name.startswith(("hospital", "practitioner"))]
    assert not report.errors
    assert report.counts["patients"] == len(patient_files) == Patient.objects.filter(organization=org).count()
    names = [p.name for p in patient_files]
    assert report.counts["conditions"] + report.counts["conditions_skipped_check_digit"] == snomed_conditions(
        *names, directory=SHARED
    )
    assert ExternalOrganization.objects.filter(organization=org).count() > 50
