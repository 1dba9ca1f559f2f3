"""FHIR Bulk Data $export at system, Group and patient level, and the `carecoord export-fhir` command."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.test import Client

from carecoord.core.choices import AuditAction
from carecoord.core.models import AuditEvent
from carecoord.interop.fhir.clients import api_client_deactivate
from carecoord.interop.fhir.export import compartment_types
from carecoord.interop.fhir.jobs import purge_expired_exports, run_export_jobs
from carecoord.interop.fhir.models import ApiClient, ExportJob, ExportStatus

from ...conftest import signed_in_client
from ...factories import (
    ConditionFactory,
    LocationFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    make_actor,
)
from .conftest import FhirCaller, assert_valid, get_token, outcome_text

ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}
OLD = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
SAMPLE = 25  # lines validated per file of a large export


@pytest.fixture(autouse=True)
def exports_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def inline(settings):
    """No worker: the first status poll runs the job."""
    settings.CARECOORD_FHIR_EXPORT_INLINE_AFTER_SECONDS = 0


@pytest.fixture
def worker(settings):
    """A worker is expected: polls never run a job (the test runs the worker's job itself)."""
    settings.CARECOORD_FHIR_EXPORT_INLINE_AFTER_SECONDS = 3600


@pytest.fixture
def record(fhir):
    org = fhir.organization
    first = PatientFactory(organization=org, family_name="Abara")
    second = PatientFactory(organization=org, family_name="Bello")
    ConditionFactory(patient=first)
    ConditionFactory(patient=first, code="I10", display="Essential hypertension")
    ConditionFactory(patient=second)
    PractitionerFactory(organization=org)
    LocationFactory(organization=org)
    stranger = PatientFactory(organization=OrganizationFactory(), family_name="Stranger")
    ConditionFactory(patient=stranger)
    return first, second


def make_caller_for(organization) -> FhirCaller:
    return FhirCaller(Client(), get_token(organization), organization)


def status_path(response) -> str:
    assert response.status_code == 202, response.content
    url = response["Content-Location"]
    assert "/fhir/R4/$export-status/" in url
    return url.split("/fhir/R4/", 1)[1]


def download(caller, manifest: dict) -> dict[str, list[dict]]:
    """Every output file of a manifest, each line parsed and validated."""
    files = {}
    for item in manifest["output"]:
        response = caller.get(item["url"].split("/fhir/R4/", 1)[1])
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/fhir+ndjson"
        lines = b"".join(response.streaming_content).decode().splitlines()
        resources = [assert_valid(json.loads(line)) for line in lines]
        assert {r["resourceType"] for r in resources} == {item["type"]}
        assert len(resources) == item["count"]
        files[item["type"]] = resources
    return files


def run_to_manifest(caller, kickoff_path, params=None) -> dict:
    path = status_path(caller.get(kickoff_path, params, headers=ASYNC))
    response = caller.get(path)
    assert response.status_code == 200, response.content
    manifest = response.json()
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"].endswith(kickoff_path) or kickoff_path in manifest["request"]
    assert manifest["transactionTime"].endswith("Z")
    return manifest


def test_system_export_end_to_end_writes_valid_ndjson_of_every_type_and_is_audited(fhir, record, inline):
    manifest = run_to_manifest(fhir, "$export")
    files = download(fhir, manifest)
    assert len(files["Patient"]) == 2
    assert len(files["Condition"]) == 3  # not the other organization's
    assert len(files["Practitioner"]) == 1
    assert len(files["Location"]) == 1
    assert "Stranger" not in json.dumps(files)
    assert manifest["error"] == []
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.COMPLETED
    assert job.level == "system"
    assert (job.started_at, job.completed_at) != (None, None)
    audit = AuditEvent.objects.get(event="fhir.export")
    assert audit.action == AuditAction.EXECUTE
    assert audit.detail["counts"]["Condition"] == 3
    assert audit.detail["counts"]["Patient"] == 2
    assert AuditEvent.objects.filter(event="fhir.export.download").count() == len(manifest["output"])


def test_patient_level_export_runs_in_the_worker_and_covers_the_patient_compartment(fhir, record, worker):
    path = status_path(fhir.get("Patient/$export", headers=ASYNC))
    waiting = fhir.get(path)
    assert waiting.status_code == 202
    assert waiting["X-Progress"]
    assert waiting["Retry-After"]
    assert run_export_jobs() == 1
    response = fhir.get(path)
    assert response.status_code == 200
    files = download(fhir, response.json())
    assert set(files) <= set(compartment_types())
    assert {"Patient", "Condition"} <= set(files)
    assert "Practitioner" not in files
    assert "Location" not in files
    assert run_export_jobs() == 0  # a job runs once


def test_group_all_is_every_patient_seen_and_other_groups_are_unknown(fhir, record, inline):
    manifest = run_to_manifest(fhir, "Group/all/$export")
    files = download(fhir, manifest)
    assert len(files["Patient"]) == 2
    assert len(files["Condition"]) == 3
    assert ExportJob.objects.get().group_id == "all"
    response = fhir.get("Group/cohort-7/$export", headers=ASYNC)
    assert response.status_code == 404
    assert "all" in outcome_text(response)


def test_type_and_since_filter_what_is_exported(fhir, record, inline):
    first, second = record
    type(first).objects.filter(pk=first.pk).update(updated_at=OLD)
    files = download(fhir, run_to_manifest(fhir, "$export", {"_type": "Patient,Condition"}))
    assert set(files) == {"Patient", "Condition"}
    files = download(fhir, run_to_manifest(fhir, "$export", {"_type": "Patient", "_since": "2024-01-01T00:00:00Z"}))
    assert [p["id"] for p in files["Patient"]] == [str(second.public_id)]
    # an offset written with an unencoded "+" (which arrives as a space) is still read
    files = download(
        fhir, run_to_manifest(fhir, "$export", {"_type": "Patient", "_since": "2024-01-01T00:00:00 00:00"})
    )
    assert len(files["Patient"]) == 1


def test_bad_kickoffs_are_refused_with_an_operation_outcome(fhir, record):
    missing_prefer = fhir.get("$export", headers={"Accept": "application/fhir+json"})
    assert missing_prefer.status_code == 400
    assert "respond-async" in outcome_text(missing_prefer)
    unknown = fhir.get("$export", {"_type": "Patient,Spaceship"}, headers=ASYNC)
    assert unknown.status_code == 400
    assert "Spaceship" in outcome_text(unknown)
    not_in_compartment = fhir.get("Patient/$export", {"_type": "Practitioner"}, headers=ASYNC)
    assert not_in_compartment.status_code == 400
    bad_since = fhir.get("$export", {"_since": "2024-01-01"}, headers=ASYNC)
    assert bad_since.status_code == 400
    assert "instant" in outcome_text(bad_since)
    bad_format = fhir.get("$export", {"_outputFormat": "text/csv"}, headers=ASYNC)
    assert bad_format.status_code == 400
    assert "ndjson" in outcome_text(bad_format)
    xml = fhir.get("$export", headers={"Prefer": "respond-async", "Accept": "application/fhir+xml"})
    assert xml.status_code == 406
    assert not ExportJob.objects.exists()


def test_scopes_leave_types_out_or_refuse_them_when_named(make_caller, inline):
    organization = OrganizationFactory()
    ConditionFactory(patient=PatientFactory(organization=organization))
    reader = make_caller(organization, "system/Patient.read")
    refused = reader.get("$export", {"_type": "Patient,Condition"}, headers=ASYNC)
    assert refused.status_code == 403
    assert "Condition" in outcome_text(refused)
    manifest = run_to_manifest(reader, "$export")
    assert [item["type"] for item in manifest["output"]] == ["Patient"]
    [error] = manifest["error"]
    assert error["type"] == "OperationOutcome"
    lines = b"".join(reader.get(error["url"].split("/fhir/R4/", 1)[1]).streaming_content).decode().splitlines()
    outcomes = [assert_valid(json.loads(line)) for line in lines]
    assert any("Condition" in o["issue"][0]["diagnostics"] for o in outcomes)
    assert error["count"] == len(outcomes)


def test_cancelling_a_job_stops_it_and_deletes_its_files(fhir, record, worker, exports_in_tmp):
    waiting = status_path(fhir.get("$export", headers=ASYNC))
    assert fhir.delete(waiting).status_code == 202
    assert fhir.get(waiting).status_code == 404
    assert run_export_jobs() == 0
    assert fhir.delete(waiting).status_code == 404

    done = status_path(fhir.get("$export", headers=ASYNC))
    run_export_jobs()
    manifest = fhir.get(done).json()
    file_path = manifest["output"][0]["url"].split("/fhir/R4/", 1)[1]
    assert fhir.get(file_path).status_code == 200
    assert fhir.delete(done).status_code == 202
    assert fhir.get(file_path).status_code == 404
    assert not any((exports_in_tmp / "exports").iterdir())


def test_files_are_deleted_after_the_keeping_time(fhir, record, inline, exports_in_tmp):
    manifest = run_to_manifest(fhir, "$export")
    assert purge_expired_exports() == 0
    ExportJob.objects.update(completed_at=OLD)
    assert purge_expired_exports() == 1
    assert fhir.get(manifest["output"][0]["url"].split("/fhir/R4/", 1)[1]).status_code == 404
    assert fhir.get(f"$export-status/{ExportJob.objects.get().public_id}").status_code == 404
    assert not any((exports_in_tmp / "exports").iterdir())


def test_another_organizations_job_and_files_are_not_found(fhir, record, make_caller, inline):
    manifest = run_to_manifest(fhir, "$export")
    job = ExportJob.objects.get()
    outsider = make_caller(OrganizationFactory())
    assert outsider.get(f"$export-status/{job.public_id}").status_code == 404
    assert outsider.delete(f"$export-status/{job.public_id}").status_code == 404
    response = outsider.get(manifest["output"][0]["url"].split("/fhir/R4/", 1)[1])
    assert response.status_code == 404
    assert fhir.get(f"$export-file/{job.public_id}/../../carecoord.sqlite3").status_code == 404
    assert fhir.get(f"$export-file/{job.public_id}/Spaceship.ndjson").status_code == 404
    anonymous = Client().get(f"/fhir/R4/$export-status/{job.public_id}")
    assert anonymous.status_code == 401


def test_a_job_whose_client_was_deactivated_fails_with_500(fhir, record, worker):
    path = status_path(fhir.get("$export", headers=ASYNC))
    job = ExportJob.objects.get()
    client = ApiClient.objects.get(service_user=job.requested_by)
    colleague = signed_in_client(make_actor(fhir.organization))
    api_client_deactivate(client=client)
    run_export_jobs()
    response = colleague.get(f"/fhir/R4/{path}")
    assert response.status_code == 500
    assert "no longer has access" in outcome_text(response)


def test_a_signed_in_person_can_export_and_download(fhir, record, inline):
    person = signed_in_client(make_actor(fhir.organization))
    kickoff = person.get("/fhir/R4/Patient/$export", HTTP_PREFER="respond-async")
    assert kickoff.status_code == 202
    manifest = person.get(kickoff["Content-Location"]).json()
    patient_file = next(i for i in manifest["output"] if i["type"] == "Patient")
    response = person.get(patient_file["url"])
    assert response.status_code == 200
    assert len(b"".join(response.streaming_content).splitlines()) == 2


def test_the_command_writes_the_same_files(fhir, record, tmp_path):
    out = tmp_path / "out"
    call_command("export_fhir", org=fhir.organization.slug, out=str(out), type="Patient,Condition")
    assert sorted(p.name for p in out.iterdir()) == ["Condition.ndjson", "Patient.ndjson"]
    conditions = [assert_valid(json.loads(line)) for line in (out / "Condition.ndjson").read_text().splitlines()]
    assert len(conditions) == 3
    assert AuditEvent.objects.filter(event="fhir.export", detail__via="cli").count() == 1
    everything = tmp_path / "all"
    call_command("export_fhir", org=fhir.organization.slug, out=str(everything), since="2000-01-01T00:00:00Z")
    assert {"Patient.ndjson", "Condition.ndjson", "Practitioner.ndjson", "Location.ndjson"} <= {
        p.name for p in everything.iterdir()
    }


def test_the_command_refuses_unknown_types_and_organizations(fhir, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--type"):
        call_command("export_fhir", org=fhir.organization.slug, out=str(tmp_path), type="Spaceship")
    with pytest.raises(CommandError, match="nowhere"):
        call_command("export_fhir", org="nowhere", out=str(tmp_path))


def test_a_system_export_of_the_demo_world_validates_a_sample_of_every_type(fhir, settings, inline):
    """Every mapped type the demo world fills: a sample of each exported file's lines validates as FHIR R4."""
    from carecoord.demo.world import COORDINATION_SLUG, world_create

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = world_create(password="demo-test-password-7f3k2q", patients=40)
    caller = make_caller_for(world.organizations[COORDINATION_SLUG])
    manifest = run_to_manifest(caller, "$export")
    assert len(manifest["output"]) >= 5
    for item in manifest["output"]:
        response = caller.get(item["url"].split("/fhir/R4/", 1)[1])
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert len(lines) == item["count"]
        for line in lines[:: max(1, len(lines) // SAMPLE)]:
            assert assert_valid(json.loads(line))["resourceType"] == item["type"]
