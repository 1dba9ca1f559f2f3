"""
T34: the right-of-access export. Queued from the chart or a command, built by the worker into a FHIR Bundle,
amendments, a readable PDF and a manifest of SHA-256 digests; downloadable only by the requesting
organization; logged as a disclosure the auditor lists; holding no other patient's identifiers.
"""

import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.errors import PermissionDeniedError
from carecoord.core.models import AuditEvent
from carecoord.records import exports
from carecoord.records.choices import AmendmentTarget, ExportStatus
from carecoord.records.models import Disclosure, PatientExport
from carecoord.records.services import amendment_deny, amendment_request_record, export_request
from tests.factories import RelatedPersonFactory, make_actor

CATEGORIES = {
    "demographics": "Patient",
    "insurance": "Coverage",
    "medications": "MedicationStatement",
    "care plans": "CarePlan",
    "appointments": "Appointment",
    "notes": "DocumentReference",
}


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def world(org, other_org, record_of, actor):
    target, note = record_of(given="Zebulon", family="Quarrington", mrn="A-17", member_id="MEMB-A17")
    neighbour, _ = record_of(given="Philippa", family="Oyelaran", mrn="A-18", member_id="MEMB-A18")
    stranger = make_actor(other_org, Role.COORDINATOR, Role.SCHEDULER)
    from .conftest import full_record

    outsider, _ = full_record(stranger, given="Thaddeus", family="Winterbourne", mrn="B-01", member_id="MEMB-B01")
    request = amendment_request_record(
        actor=actor, patient=target, target=AmendmentTarget.PROGRESS_NOTE, note=note,
        requested_text="I walk twice a day, not once.", requested_by="Zebulon Quarrington (patient)",
    )  # fmt: skip
    amendment_deny(actor=actor, request=request, denial_reason="The note records what was said on the call.")
    return {"target": target, "others": [neighbour, outsider], "note": note}


def build(actor, patient) -> PatientExport:
    export = export_request(actor=actor, patient=patient, recipient="Zebulon Quarrington")
    assert export.status == ExportStatus.QUEUED  # nothing built in the request
    assert exports.run_queued() == 1
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error
    return export


def files(export) -> dict[str, bytes]:
    return {name: exports.export_file(export, name).read_bytes() for name in exports.FILES}


def test_the_export_covers_every_category_and_matches_its_manifest(actor, world):
    export = build(actor, world["target"])
    content = files(export)
    bundle = json.loads(content["bundle.json"])
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    types = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    for category, resource_type in CATEGORIES.items():
        assert resource_type in types, category
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert patient["id"] == str(world["target"].public_id)
    amendments = json.loads(content["amendments.json"])
    assert [a["status"] for a in amendments] == ["denied"]
    assert amendments[0]["denial_reason"].startswith("The note records")
    assert content["record.pdf"].startswith(b"%PDF-")
    manifest = json.loads(content["manifest.json"])
    assert manifest == export.manifest
    assert {f["name"] for f in manifest["files"]} == {"bundle.json", "amendments.json", "record.pdf"}
    for entry in manifest["files"]:
        assert hashlib.sha256(content[entry["name"]]).hexdigest() == entry["sha256"]
        assert len(content[entry["name"]]) == entry["bytes"]


def test_the_bundle_validates_as_fhir_r4(actor, world):
    from fhir.resources.R4B.bundle import Bundle

    export = build(actor, world["target"])
    Bundle.model_validate(json.loads(files(export)["bundle.json"]))


def test_the_export_holds_no_other_patients_identifiers(actor, world):
    export = build(actor, world["target"])
    content = files(export)
    bundle = json.loads(content["bundle.json"])
    html = exports.export_html(export, bundle, json.loads(content["amendments.json"]))
    texts = [content["bundle.json"].decode(), content["amendments.json"].decode(), html]
    # Notes travel base64-encoded: scan their decoded text too.
    for entry in bundle["entry"]:
        texts += exports._attachments(entry["resource"])
    assert "Quarrington" in html
    assert "A-17" in content["bundle.json"].decode()
    assert "Weekly call with Quarrington" in html  # the note, readable
    assert "Zebulon called back" in html  # its addendum
    for other in world["others"]:
        for identifier in (other.mrn, other.family_name, other.given_name, str(other.public_id)):
            for text in texts:
                assert identifier not in text
    for member_id in ("MEMB-A18", "MEMB-B01"):
        assert all(member_id not in text for text in texts)


def test_the_export_is_a_disclosure_the_auditor_lists(actor, auditor, world, client_for):
    export = build(actor, world["target"])
    disclosure = Disclosure.objects.get(export=export)
    assert disclosure.patient == world["target"]
    assert disclosure.user == actor.user
    assert disclosure.recipient == "Zebulon Quarrington"
    assert "FHIR R4 Bundle" in disclosure.description
    assert disclosure.disclosed_at == export.finished_at
    page = client_for(auditor).get(reverse("records:disclosure_list"))
    assert page.status_code == 200
    assert "Zebulon Quarrington" in page.content.decode()
    assert client_for(actor).get(reverse("records:disclosure_list")).status_code == 404


def test_the_chart_button_queues_and_only_the_requesting_organization_downloads(
    actor, other_actor, world, client_for, org
):
    target = world["target"]
    confirm = reverse("records:export_create", args=[target.public_id])
    response = client_for(actor).post(confirm, {"recipient": "patient"})
    export = PatientExport.objects.get()
    assert export.recipient == "Quarrington, Zebulon (the patient)"
    assert response.status_code == 302
    assert response["Location"] == reverse("records:export_detail", args=[export.public_id])
    assert AuditEvent.objects.filter(event="export.request", patient_public_id=target.public_id).count() == 1
    exports.run_queued()
    detail = client_for(actor).get(response["Location"])
    assert "manifest.json" in detail.content.decode()
    url = reverse("records:export_download", args=[export.public_id, "bundle.json"])
    download = client_for(actor).get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Cache-Control"] == "no-store"
    assert json.loads(b"".join(download.streaming_content))["type"] == "collection"
    # Another organization, an auditor of the same one, no credentials, an unknown file: all 404 / login.
    assert client_for(other_actor).get(url).status_code == 404
    assert client_for(other_actor).get(response["Location"]).status_code == 404
    assert client_for(make_actor(org, Role.AUDITOR)).get(url).status_code == 404
    assert client_for(actor).get(url.replace("bundle.json", "../settings.py")).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert "login" in anonymous["Location"]
    assert client_for(other_actor).post(confirm, {"recipient": "patient"}).status_code == 404
    assert client_for(other_actor).get(confirm).status_code == 404


def test_only_coordinators_and_admins_export(org, world):
    with pytest.raises(PermissionDeniedError):
        export_request(actor=make_actor(org, Role.PROVIDER), patient=world["target"], recipient="x")
    build(make_actor(org, Role.ORG_ADMIN), world["target"])


def test_the_command_exports(actor, world):
    out = io.StringIO()
    call_command(
        "export_patient", str(world["target"].public_id), user=actor.user.email, organization=actor.organization.slug,
        now=True, stdout=out,
    )  # fmt: skip
    assert "Done:" in out.getvalue()
    assert PatientExport.objects.get().status == ExportStatus.DONE


def test_a_failed_build_is_reported_and_not_disclosed(actor, world):
    export = export_request(actor=actor, patient=world["target"], recipient="x")
    actor.user.memberships.update(active=False)  # the requester left before the worker ran
    assert exports.export_run(export.pk) is False
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert not Disclosure.objects.exists()
    assert exports.export_run(export.pk) is False  # claimed once only


# The chart's export button opens a confirmation page; only its POST, with a recipient, queues the export.


@pytest.fixture
def proxy(world):
    target = world["target"]
    return RelatedPersonFactory(organization=target.organization, patient=target, given_name="Marguerite",
                                family_name="Quarrington", relationship="DAUC", is_health_care_proxy=True)  # fmt: skip


def test_the_banner_button_opens_the_confirmation_page_and_queues_nothing(actor, world, proxy, client_for):
    target = world["target"]
    RelatedPersonFactory(organization=target.organization, patient=target, given_name="Neville",
                         family_name="Neighbour", relationship="FRND")  # fmt: skip
    client = client_for(actor)
    chart = client.get(reverse("patients:chart", args=[target.public_id])).content.decode()
    confirm = reverse("records:export_create", args=[target.public_id])
    assert f'<a class="btn" href="{confirm}">Export record (right of access)</a>' in chart
    assert f'action="{confirm}"' not in chart  # no one-click POST from the banner
    page = client.get(confirm)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Export the record of Quarrington, Zebulon" in body
    assert "Quarrington, Zebulon (the patient)" in body
    assert "Marguerite Quarrington (health care proxy)" in body
    assert "Neville" not in body  # a contact who is not a personal representative
    assert "FHIR R4 Bundle" in body
    assert "record.pdf" in body
    assert PatientExport.objects.count() == 0
    assert AuditEvent.objects.filter(event="export.confirm", patient_public_id=target.public_id).count() == 1


def test_the_export_goes_to_the_chosen_proxy_and_is_accounted_to_them(actor, world, proxy, client_for):
    target = world["target"]
    url = reverse("records:export_create", args=[target.public_id])
    response = client_for(actor).post(url, {"recipient": f"person:{proxy.public_id}"})
    assert response.status_code == 302
    export = PatientExport.objects.get()
    assert export.recipient == "Marguerite Quarrington (health care proxy)"
    exports.run_queued()
    assert Disclosure.objects.get(export=export).recipient == "Marguerite Quarrington (health care proxy)"


def test_another_recipient_needs_a_name(actor, world, client_for):
    url = reverse("records:export_create", args=[world["target"].public_id])
    client = client_for(actor)
    response = client.post(url, {"recipient": "other", "other_name": "  "})
    assert response.status_code == 400
    assert "Enter the name of the recipient the patient named." in response.content.decode()
    assert client.post(url, {"recipient": "other", "other_name": "Dr. Ines Halvorsen"}).status_code == 302
    assert PatientExport.objects.get().recipient == "Dr. Ines Halvorsen"


def test_no_export_without_a_valid_recipient(actor, world, record_of, client_for):
    target = world["target"]
    someone_else = world["others"][0]
    stranger_proxy = RelatedPersonFactory(organization=someone_else.organization, patient=someone_else,
                                          relationship="SONC", is_health_care_proxy=True)  # fmt: skip
    url = reverse("records:export_create", args=[target.public_id])
    client = client_for(actor)
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {"recipient": f"person:{stranger_proxy.public_id}"}).status_code == 400
    assert PatientExport.objects.count() == 0
