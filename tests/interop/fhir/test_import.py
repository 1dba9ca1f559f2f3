"""`carecoord import-fhir` on real Synthea bundles (tests/data/synthea): loads, reports, and is idempotent."""

import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from carecoord.directory.models import ExternalOrganization, Practitioner
from carecoord.interop.fhir.importer import import_paths
from carecoord.patients.models import Condition, Patient

from ...factories import OrganizationFactory

SYNTHEA = Path(__file__).resolve().parents[2] / "data" / "synthea"
SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"


@pytest.fixture
def organization(db):
    return OrganizationFactory(slug="importer")


def counts(organization):
    return (
        Patient.objects.filter(organization=organization).count(),
        Condition.objects.filter(organization=organization).count(),
        Practitioner.objects.filter(organization=organization).count(),
        ExternalOrganization.objects.filter(organization=organization).count(),
    )


def test_synthea_bundles_load_and_a_second_run_creates_nothing(organization):
    report = import_paths(organization, [SYNTHEA])
    assert not report.failed, [(f.path.name, f.detail) for f in report.failed]
    first = counts(organization)
    assert first[0] == 2
    assert first[1] > 0
    assert first[2] > 0
    assert first[3] > 0
    totals = report.totals
    assert totals["Claim not kept"] > 0
    buster = Patient.objects.get(organization=organization, given_name__startswith="Buster")
    assert buster.family_name.startswith("Hoeger")

    again = import_paths(organization, [SYNTHEA])
    assert not again.failed
    assert counts(organization) == first
    assert again.totals["Patient already on file"] == 2


def test_a_broken_file_is_reported_and_the_others_load(organization, tmp_path):
    shutil.copy(SYNTHEA / "Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json", tmp_path)
    bundle = json.loads((SYNTHEA / "Buster_Hoeger_ad2e3fc5-2b5d-4cb9-8d03-9ea0f4ac8423.json").read_text())
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["resource"]["birthDate"] = "not a date"
    (tmp_path / "broken.json").write_text(json.dumps(bundle))
    (tmp_path / "notjson.json").write_text("{")
    report = import_paths(organization, [tmp_path])
    assert sorted(f.path.name for f in report.failed) == ["broken.json", "notjson.json"]
    assert "birthDate" in next(f.detail for f in report.failed if f.path.name == "broken.json")
    assert Patient.objects.filter(organization=organization).count() == 1


def test_the_command_prints_a_summary_and_fails_on_unknown_organizations(organization, capsys):
    call_command("import_fhir", "--org", "importer", str(SYNTHEA))
    assert "Patient created" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No active organization"):
        call_command("import_fhir", "--org", "nobody", str(SYNTHEA))


@pytest.mark.skipif(not (SHARED / "bulk-10").is_dir(), reason="../shared/data/bulk-10 is not beside this checkout")
def test_a_bulk_export_in_ndjson_loads_with_its_references(organization):
    report = import_paths(organization, [SHARED / "bulk-10"])
    assert not report.failed, [(f.path.name, f.detail) for f in report.failed]
    patients = Patient.objects.filter(organization=organization).count()
    assert patients >= 10
    assert Condition.objects.filter(organization=organization).count() > 0
