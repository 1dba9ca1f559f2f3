"""
One FHIR type from several sources (composite.py): Communication from outreach attempts and education
deliveries, Task from care-plan tasks and community referrals, QuestionnaireResponse from PHQ/GAD assessments
and AHC HRSN screenings. Ids, reads across parts, search merged for totals, paging and _sort, tenancy,
$everything, bulk export and the CapabilityStatement.
"""

import datetime as dt
import json

import pytest

from carecoord.checkins.services import assessment_record, outreach_record
from carecoord.community import services as community
from carecoord.core.choices import Role
from carecoord.education.services import delivery_record
from carecoord.interop.fhir.export import system_types, write_export

from ...community.factories import AgencyFactory, ServiceFactory
from ...education.factories import MaterialFactory
from ...factories import OrganizationFactory, PatientFactory, RelatedPersonFactory, make_actor
from .conftest import assert_valid

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
HRSN = {
    "living-1": "LA31994-9",  # worried about losing it: housing instability
    "living-2": ["LA28580-1", "LA31998-0"],  # mold, lack of heat
    "food-1": "LA6729-3",
    "food-2": "LA28398-8",
    "transportation": "LA32-8",
    "utilities": "LA32-8",
    "safety-1": "1",
    "safety-2": "2",
    "safety-3": "1",
    "safety-4": "1",
}
PHQ2 = {"phq2-1": 1, "phq2-2": 2}

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def world(fhir):
    """Organization A (the caller's) with a patient who has one record of every source, a day apart."""
    actor = make_actor(fhir.organization, Role.COORDINATOR)
    patient = PatientFactory(organization=fhir.organization, given_name="Quintessa", family_name="Marlowe")
    daughter = RelatedPersonFactory(patient=patient, may_receive_information=True)
    call = outreach_record(
        actor=actor, patient=patient, method="phone", outcome="reached", occurred_at=NOW - dt.timedelta(days=3)
    )
    material = MaterialFactory(organization=fhir.organization, title="Heart failure: weigh yourself daily")
    handout = delivery_record(
        actor=actor, patient=patient, material=material, method="printed", related_person=daughter,
        teach_back="needs_reinforcement", note="Gave it at the visit",
    )  # fmt: skip
    handout.delivered_at = NOW - dt.timedelta(days=1)
    handout.save(update_fields=["delivered_at"])
    screen, _ = community.screening_record(
        actor=actor, patient=patient, answers=HRSN, occurred_at=NOW - dt.timedelta(days=2)
    )
    phq, _ = assessment_record(
        actor=actor, patient=patient, instrument="phq2", answers=PHQ2, occurred_at=NOW - dt.timedelta(days=4)
    )
    receiver = OrganizationFactory(name="Westgate Pantry", slug="westgate-pantry")
    service = ServiceFactory(
        agency=AgencyFactory(organization=fhir.organization, name="Westgate Pantry", linked_organization=receiver),
        name="Groceries",
    )
    referral = community.referral_send(
        actor=actor, patient=patient, service=service, need="food-insecurity", reason="Runs out of food",
        consent_by="Quintessa Marlowe", consent_method="Verbal", consent_on=NOW.date(),
        respond_by=NOW.date() + dt.timedelta(days=7),
    )  # fmt: skip
    return {
        "actor": actor, "patient": patient, "daughter": daughter, "call": call, "handout": handout,
        "screen": screen, "phq": phq, "referral": referral, "receiver": receiver,
    }  # fmt: skip


def ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


# --- Communication ------------------------------------------------------------------------------------------


def test_a_delivery_reads_as_a_communication_with_language_recipient_and_teach_back(fhir, world):
    body = assert_valid(fhir.get(f"Communication/{world['handout'].public_id}").json())
    assert body["status"] == "completed"
    assert body["language"] == "en"
    assert body["category"][0]["coding"][0]["code"] == "instruction"
    assert body["medium"][0]["coding"][0]["code"] == "WRITTEN"
    assert body["recipient"] == [
        {"reference": f"RelatedPerson/{world['daughter'].public_id}", "display": str(world["daughter"])}
    ]
    assert body["payload"] == [
        {"contentAttachment": {"language": "en", "title": "Heart failure: weigh yourself daily"}}
    ]
    assert body["extension"][0]["valueCoding"]["code"] == "needs_reinforcement"
    assert body["sent"] == "2026-11-25T15:00:00Z"


def test_communication_search_merges_both_sources_for_total_paging_and_sort(fhir, world):
    patient = f"Patient/{world['patient'].public_id}"
    call, handout = str(world["call"].public_id), str(world["handout"].public_id)
    both = fhir.get("Communication", {"patient": patient}).json()
    assert both["total"] == 2
    assert sorted(ids(both)) == sorted([call, handout])
    newest_first = fhir.get("Communication", {"patient": patient, "_sort": "-sent"}).json()
    assert ids(newest_first) == [handout, call]
    oldest_first = fhir.get("Communication", {"patient": patient, "_sort": "sent", "_count": 1}).json()
    assert ids(oldest_first) == [call]
    assert any(link["relation"] == "next" for link in oldest_first["link"])
    second = fhir.get("Communication", {"patient": patient, "_sort": "sent", "_count": 1, "_offset": 1}).json()
    assert ids(second) == [handout]
    unsorted_pages = [
        ids(fhir.get("Communication", {"patient": patient, "_count": 1, "_offset": n}).json()) for n in (0, 1, 2)
    ]
    assert sorted(key for page in unsorted_pages for key in page) == sorted([call, handout])
    only_deliveries = fhir.get("Communication", {"patient": patient, "category": "instruction"}).json()
    assert ids(only_deliveries) == [handout]
    by_date = fhir.get("Communication", {"subject": patient, "sent": "2026-11-25"}).json()
    assert ids(by_date) == [handout]


def test_an_id_of_one_source_is_not_found_through_another_type(fhir, world):
    for path in (
        f"Task/{world['handout'].public_id}",
        f"QuestionnaireResponse/{world['handout'].public_id}",
        f"Communication/{world['screen'].public_id}",
        f"Communication/{world['referral'].public_id}",
        f"QuestionnaireResponse/{world['referral'].public_id}",
    ):
        assert fhir.get(path).status_code == 404, path
    assert fhir.get(f"Communication/{world['call'].public_id}").status_code == 200


# --- QuestionnaireResponse ----------------------------------------------------------------------------------


def test_a_social_needs_screening_reads_with_its_loinc_codes(fhir, world):
    body = assert_valid(fhir.get(f"QuestionnaireResponse/{world['screen'].public_id}").json())
    assert body["questionnaire"] == "http://loinc.org/q/96777-8"
    items = {item["linkId"]: item for item in body["item"]}
    assert items["71802-3"]["answer"][0]["valueCoding"]["code"] == "LA31994-9"
    assert [a["valueCoding"]["code"] for a in items["96778-6"]["answer"]] == ["LA28580-1", "LA31998-0"]
    assert items["88122-7"]["answer"][0]["valueCoding"] == {
        "system": "http://loinc.org", "code": "LA6729-3", "display": "Sometimes true",
    }  # fmt: skip
    assert items["95617-7"]["answer"][0]["valueCoding"]["extension"][0]["valueDecimal"] == 2
    assert items["95614-4"]["answer"] == [{"valueInteger": 5}]


def test_questionnaire_response_search_by_questionnaire_and_authored(fhir, world):
    patient = f"Patient/{world['patient'].public_id}"
    screen, phq = str(world["screen"].public_id), str(world["phq"].public_id)
    assert sorted(ids(fhir.get("QuestionnaireResponse", {"patient": patient}).json())) == sorted([screen, phq])
    hrsn = fhir.get("QuestionnaireResponse", {"patient": patient, "questionnaire": "http://loinc.org/q/96777-8"})
    assert ids(hrsn.json()) == [screen]
    assert ids(fhir.get("QuestionnaireResponse", {"questionnaire": "55757-9"}).json()) == [phq]
    recent = fhir.get("QuestionnaireResponse", {"patient": patient, "authored": "ge2026-11-24"}).json()
    assert ids(recent) == [screen]
    newest = fhir.get("QuestionnaireResponse", {"patient": patient, "_sort": "-authored"}).json()
    assert ids(newest) == [screen, phq]


# --- Task -----------------------------------------------------------------------------------------------------


def test_a_referral_reads_as_a_task_focused_on_its_service_request(fhir, world):
    referral = world["referral"]
    body = assert_valid(fhir.get(f"Task/{referral.public_id}").json())
    assert (body["status"], body["intent"]) == ("requested", "order")
    assert body["focus"] == {"reference": f"ServiceRequest/{referral.public_id}"}
    assert body["for"] == {"reference": f"Patient/{world['patient'].public_id}"}
    assert body["owner"]["identifier"]["value"] == str(world["receiver"].public_id)
    assert body["restriction"]["period"]["end"] == "2026-12-03"
    assert fhir.get(f"ServiceRequest/{body['focus']['reference'].split('/')[1]}").status_code == 200


def test_the_task_follows_the_referral_to_its_outcome_and_searches_by_status_focus_and_owner(fhir, world):
    referral, receiver = world["referral"], world["receiver"]
    pantry = make_actor(receiver, Role.COORDINATOR)
    referral = community.referral_set_status(actor=pantry, referral=referral, status="accepted", expected_version=1)
    community.referral_set_status(
        actor=pantry, referral=referral, status="completed", outcome="service-provided", expected_version=2,
        note="Picked up a box",
    )  # fmt: skip
    body = assert_valid(fhir.get(f"Task/{referral.public_id}").json())
    assert body["status"] == "completed"
    assert body["output"][0]["valueCodeableConcept"]["coding"][0]["code"] == "service-provided"
    key = str(referral.public_id)
    assert ids(fhir.get("Task", {"status": "completed"}).json()) == [key]
    assert ids(fhir.get("Task", {"status": "requested", "focus": f"ServiceRequest/{key}"}).json()) == []
    assert ids(fhir.get("Task", {"focus": f"ServiceRequest/{key}"}).json()) == [key]
    owner = f"urn:carecoord:organization|{receiver.public_id}"
    assert ids(fhir.get("Task", {"owner": owner}).json()) == [key]
    type_history = fhir.get("Task/_history").json()
    assert key in {e["resource"]["id"] for e in type_history["entry"] if "resource" in e}
    versions = fhir.get(f"Task/{key}/_history").json()
    assert {e["resource"]["status"] for e in versions["entry"]} >= {"requested", "completed"}


def test_a_referral_task_is_read_only(fhir, world):
    key = world["referral"].public_id
    body = fhir.get(f"Task/{key}").json()
    for response in (fhir.put(f"Task/{key}", body), fhir.put(f"Task/{key}", body, headers={"If-Match": ""})):
        assert response.status_code == 405
        assert "community referrals" in response.json()["issue"][0]["diagnostics"]
    assert fhir.delete(f"Task/{key}").status_code == 405
    assert fhir.get(f"Task/{key}").json()["meta"]["versionId"] == body["meta"]["versionId"]


def test_the_receiving_organization_sees_the_task_but_not_the_chart(fhir, world, make_caller):
    pantry = make_caller(world["receiver"])
    key = world["referral"].public_id
    assert pantry.get(f"Task/{key}").status_code == 200
    assert ids(pantry.get("Task", {"status": "requested"}).json()) == [str(key)]
    assert pantry.get(f"Patient/{world['patient'].public_id}").status_code == 404
    assert pantry.get(f"ServiceRequest/{key}").status_code == 404


# --- tenancy, $everything, $export, CapabilityStatement -------------------------------------------------------


def test_another_organization_finds_none_of_the_new_sources(world, make_caller):
    other = make_caller(OrganizationFactory(name="Elsewhere Clinic", slug="elsewhere"))
    patient = f"Patient/{world['patient'].public_id}"
    for path in (
        f"Communication/{world['handout'].public_id}",
        f"QuestionnaireResponse/{world['screen'].public_id}",
        f"Task/{world['referral'].public_id}",
    ):
        assert other.get(path).status_code == 404, path
    for resource_type in ("Communication", "QuestionnaireResponse", "Task"):
        assert other.get(resource_type, {"patient": patient}).json()["total"] == 0
        assert other.get(resource_type).json()["total"] == 0
    assert other.get(f"Patient/{world['patient'].public_id}/$everything").status_code == 404


def test_everything_includes_every_source(fhir, world):
    bundle = fhir.get(f"Patient/{world['patient'].public_id}/$everything", {"_count": 100}).json()
    found = {e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "match"}
    for key in ("call", "handout", "screen", "phq", "referral"):
        assert str(world[key].public_id) in found, key
    tasks = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Task"]
    assert any(task.get("focus", {}).get("reference", "").startswith("ServiceRequest/") for task in tasks)


def test_bulk_export_writes_every_source_into_its_type_file(world, tmp_path):
    files = write_export(world["actor"], system_types(), None, tmp_path)
    counts = {item["type"]: item["count"] for item in files}
    assert counts["Communication"] == 2
    assert counts["QuestionnaireResponse"] == 2

    def lines(name):
        return [json.loads(line) for line in (tmp_path / f"{name}.ndjson").read_text().splitlines()]

    assert {r["id"] for r in lines("Communication")} == {str(world["call"].public_id), str(world["handout"].public_id)}
    assert str(world["referral"].public_id) in {r["id"] for r in lines("Task")}


def test_the_capability_statement_lists_the_merged_parameters(fhir):
    statement = fhir.get("metadata").json()
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    task_params = {p["name"] for p in resources["Task"]["searchParam"]}
    assert {"focus", "owner", "status", "patient"} <= task_params
    assert {"create", "update", "delete"} <= {i["code"] for i in resources["Task"]["interaction"]}
    assert "category" in {p["name"] for p in resources["Communication"]["searchParam"]}
    assert "update" not in {i["code"] for i in resources["Communication"]["interaction"]}
