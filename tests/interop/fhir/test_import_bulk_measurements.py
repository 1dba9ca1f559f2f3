"""
Inside a transaction Bundle an Observation's measurement and its `measurement.create` audit entry wait and go
in with the Bundle's other waiting rows and entries (interop/fhir/deferred.py): one INSERT of measurements,
the same rows, times and audit content as one by one; nothing of them after a Bundle or an entry that fails;
every reader in the Bundle (a match, a conditional create, a search, a measurement counting toward a goal)
sees them. Not frozen in time: a row given new times when inserted would no longer match its answer.
"""

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from carecoord.checkins.measurement_services import measurement_record_checked
from carecoord.checkins.models import Measurement
from carecoord.core.choices import AuditAction, Role
from carecoord.core.models import AuditEvent
from carecoord.interop.fhir import deferred, interactions
from carecoord.interop.fhir.access import EVERYTHING, Caller
from carecoord.interop.fhir.bundle import process_bundle
from carecoord.interop.fhir.history import recording
from carecoord.interop.fhir.models import ResourceVersion
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.resources.observation import ObservationMapper

from ...careplans.factories import CarePlanFactory, GoalFactory
from ...factories import OrganizationFactory, PatientFactory, make_actor

LOINC = "http://loinc.org"
PATIENT_URL = "urn:uuid:7d1c0a2e-0000-4000-8000-0000000000cc"

pytestmark = pytest.mark.django_db


def _day(days_ago: int) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)).strftime("%Y-%m-%dT10:00:00Z")


def _weight(patient_ref: str, value, days_ago: int = 3) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "29463-7"}]},
        "subject": {"reference": patient_ref},
        "effectiveDateTime": _day(days_ago),
        "valueQuantity": {"value": value, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
    }


def _post(resource: dict, full_url: str = "", if_none_exist: str = "") -> dict:
    request = {"method": "POST", "url": resource["resourceType"]}
    if if_none_exist:
        request["ifNoneExist"] = if_none_exist
    entry = {"resource": resource, "request": request}
    return {**entry, "fullUrl": full_url} if full_url else entry


def _patient(mrn: str) -> dict:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:test:mrn", "value": mrn}],
        "name": [{"family": "Bulkova", "given": ["Ida"]}],
        "gender": "female",
        "birthDate": "1950-02-03",
    }


def _bundle(*entries) -> dict:
    return {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}


def _caller(organization) -> Caller:
    return Caller(actor=make_actor(organization, Role.COORDINATOR), grants=EVERYTHING, client_id="test")


def _run(caller: Caller, bundle: dict, *, lenient: bool):
    with CaptureQueriesContext(connection) as captured:
        body = process_bundle(caller, bundle, "urn:test/", lenient=lenient).body
    return body, [q["sql"] for q in captured.captured_queries]


def _statuses(body: dict) -> list[str]:
    return [entry["response"]["status"] for entry in body["entry"]]


def _observation_ids(body: dict) -> list[str]:
    return [
        e["response"]["location"].split("/")[1]
        for e in body["entry"]
        if e["response"].get("location", "").startswith("Observation/")
    ]


@pytest.mark.parametrize("lenient", [True, False], ids=["import", "strict"])
def test_a_bundles_measurements_go_in_one_insert_each_stored_once_as_answered(lenient):
    organization = OrganizationFactory(slug=f"bulk-one-{lenient}")
    caller = _caller(organization)
    values = [60, 61.5, 62, 63, 64]
    bundle = _bundle(
        _post(_patient("BULK-1"), PATIENT_URL), *(_post(_weight(PATIENT_URL, v, 10 - n)) for n, v in enumerate(values))
    )
    body, sql = _run(caller, bundle, lenient=lenient)
    assert _statuses(body) == ["201 Created"] * 6
    assert len([s for s in sql if 'INSERT INTO "checkins_measurement"' in s]) == 1
    ids = _observation_ids(body)
    rows = {str(m.public_id): m for m in Measurement.objects.filter(organization=organization)}
    assert sorted(rows) == sorted(ids)  # every one, none twice
    by_creation = sorted(rows.values(), key=lambda m: m.pk)
    assert [m.value for m in by_creation] == [Decimal(str(v)).quantize(Decimal("0.01")) for v in values]
    for key, measurement in rows.items():
        (version,) = ResourceVersion.objects.filter(resource_type="Observation", resource_id=key)
        # The times the create answered with are the times stored: not given again when the row went in.
        assert version.last_updated == measurement.updated_at
        assert version.resource == ObservationMapper().to_fhir(measurement)  # what was answered is what is stored
        (event,) = AuditEvent.objects.filter(event="measurement.create", object_id=key)
        assert (event.action, event.object_type, event.outcome) == (
            AuditAction.CREATE,
            "checkins.Measurement",
            "success",
        )
        assert event.detail == {"kind": "weight", "goal": None}
        assert event.patient_public_id == measurement.patient.public_id
        assert event.user_id == caller.actor.user.pk
        assert event.user_email == caller.actor.user.email
        assert event.acting_organization_id == organization.pk == event.tenant_organization_id
        assert AuditEvent.objects.filter(event="fhir.create", object_id=key).count() == 1


def test_a_bundle_that_fails_after_its_measurements_leaves_none_of_them():
    organization = OrganizationFactory(slug="bulk-fail")
    bundle = _bundle(
        _post(_patient("BULK-2"), PATIENT_URL),
        _post(_weight(PATIENT_URL, 61, 5)),
        _post(_weight(PATIENT_URL, 62, 4)),
        _post(_weight(PATIENT_URL, 900, 3)),  # out of range: the strict Bundle fails here
    )
    with pytest.raises(FhirError):
        process_bundle(_caller(organization), bundle, "urn:test/", lenient=False)
    assert not Measurement.objects.filter(organization=organization).exists()
    assert not AuditEvent.objects.filter(event="measurement.create", acting_organization=organization).exists()
    assert not ResourceVersion.objects.filter(organization=organization).exists()


@pytest.mark.parametrize("savepoint", [True, False], ids=["savepoint", "no-savepoint"])
def test_a_measurement_waiting_from_a_block_that_fails_is_dropped_with_its_audit_entry(savepoint):
    organization = OrganizationFactory(slug=f"bulk-drop-{savepoint}")
    patient = PatientFactory(organization=organization)
    actor = make_actor(organization, Role.COORDINATOR)
    at = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)

    def record(value: int) -> Measurement:
        return measurement_record_checked(
            actor=actor, patient=patient, kind="weight", value=Decimal(value), occurred_at=at, open_goals=[],
            insert_later=deferred.wait_to_insert,
        )  # fmt: skip

    def create_then_fail():
        block = transaction.atomic() if savepoint else contextlib.nullcontext()  # as interactions._create_block
        with block, recording(), deferred.versions_deferred({Measurement}, savepoint=savepoint):
            record(70)
            raise RuntimeError  # as an entry whose block fails after its measurement waits

    with transaction.atomic(), transaction.atomic(), deferred.deferred_writes():
        kept_before = record(69)
        with pytest.raises(RuntimeError):
            create_then_fail()
        kept_after = record(71)
    stored = Measurement.objects.filter(patient=patient).order_by("pk")
    assert [m.value for m in stored] == [Decimal(69), Decimal(71)]
    assert [m.public_id for m in stored] == [kept_before.public_id, kept_after.public_id]
    audited = AuditEvent.objects.filter(event="measurement.create", patient_public_id=patient.public_id)
    assert sorted(audited.values_list("object_id", flat=True)) == sorted(str(m.public_id) for m in stored)


def test_an_observation_matching_one_still_waiting_finds_it_and_the_match_reads_it_once():
    organization = OrganizationFactory(slug="bulk-match")
    patient = PatientFactory(organization=organization)
    ref = f"Patient/{patient.public_id}"
    bundle = _bundle(_post(_weight(ref, 60, 5)), _post(_weight(ref, 61, 4)), _post(_weight(ref, 60, 5)))
    body, _ = _run(_caller(organization), bundle, lenient=True)
    assert _statuses(body) == ["201 Created", "201 Created", "200 OK"]
    assert body["entry"][2]["response"]["location"] == body["entry"][0]["response"]["location"]
    assert Measurement.objects.filter(patient=patient).count() == 2
    assert AuditEvent.objects.filter(event="measurement.create", patient_public_id=patient.public_id).count() == 2


def test_a_conditional_create_and_a_search_in_the_bundle_see_the_measurements_waiting():
    organization = OrganizationFactory(slug="bulk-readers")
    patient = PatientFactory(organization=organization)
    ref = f"Patient/{patient.public_id}"
    first = _weight(ref, 60, 5)
    again = f"Observation?patient={patient.public_id}&code=29463-7&date={first['effectiveDateTime'][:10]}"
    bundle = _bundle(
        _post(first),
        _post(_weight(ref, 60, 5), if_none_exist=again),  # the first one, found by search: not created again
        {"request": {"method": "GET", "url": f"Observation?patient={patient.public_id}"}},
    )
    body, _ = _run(_caller(organization), bundle, lenient=False)
    assert _statuses(body) == ["201 Created", "200 OK", "200 OK"]
    assert body["entry"][1]["response"]["location"] == body["entry"][0]["response"]["location"]
    assert body["entry"][2]["resource"]["entry"][0]["resource"]["id"] == _observation_ids(body)[0]
    assert Measurement.objects.filter(patient=patient).count() == 1


@pytest.mark.parametrize("lenient", [True, False], ids=["import", "strict"])
def test_measurements_waiting_go_in_before_one_counting_toward_a_goal_in_the_order_created(lenient):
    organization = OrganizationFactory(slug=f"bulk-goal-{lenient}")
    patient = PatientFactory(organization=organization)
    plan = CarePlanFactory(patient=patient)
    goal = GoalFactory(careplan=plan, measure_code="29463-7", description="Weight", target_comparator="<",
                       target_value=Decimal("75"), target_unit="kg")  # fmt: skip
    ref = f"Patient/{patient.public_id}"
    steps = dict(_weight(ref, 4000, 6), code={"coding": [{"system": LOINC, "code": "41950-7"}]})
    steps["valueQuantity"] = {"value": 4000, "unit": "/d", "system": "http://unitsofmeasure.org", "code": "/d"}
    later_steps = dict(steps, effectiveDateTime=_day(2), valueQuantity=dict(steps["valueQuantity"], value=5000))
    entries = [steps, _weight(ref, 80, 5), later_steps, _weight(ref, 70, 4)]
    body, _ = _run(_caller(organization), _bundle(*(_post(e) for e in entries)), lenient=lenient)
    assert _statuses(body) == ["201 Created"] * 4
    stored = list(Measurement.objects.filter(patient=patient).order_by("pk"))
    assert [str(m.public_id) for m in stored] == _observation_ids(body)  # keys in the order of the entries
    assert [(m.kind, m.goal_id) for m in stored] == [("steps", None), ("weight", goal.pk), ("steps", None),
                                                     ("weight", goal.pk)]  # fmt: skip
    goal.refresh_from_db()
    assert goal.achievement_status == "achieved"


def test_a_create_outside_a_transaction_bundle_inserts_its_measurement_at_once():
    organization = OrganizationFactory(slug="bulk-single")
    patient = PatientFactory(organization=organization)
    caller = _caller(organization)
    result = interactions.create(caller, "Observation", _weight(f"Patient/{patient.public_id}", 66), "urn:test/")
    measurement = Measurement.objects.get(public_id=result.body["id"])
    assert measurement.updated_at == ResourceVersion.objects.get(resource_id=measurement.public_id).last_updated
    assert AuditEvent.objects.filter(event="measurement.create", object_id=result.body["id"]).count() == 1


def _unkept_and_invalid(ref: str) -> dict:
    resource = dict(_weight(ref, 60), code={"coding": [{"system": LOINC, "code": "72166-2"}]})  # tobacco status
    resource["valueQuantity"] = {"value": "sixty"}  # not a decimal: invalid FHIR
    return resource


def test_an_import_leaves_out_an_unkept_observation_before_validating_it_and_strict_validates_first():
    organization = OrganizationFactory(slug="bulk-precheck")
    patient = PatientFactory(organization=organization)
    ref = f"Patient/{patient.public_id}"
    body, _ = _run(_caller(organization), _bundle(_post(_unkept_and_invalid(ref))), lenient=True)
    (issue,) = body["entry"][0]["response"]["outcome"]["issue"]
    assert issue["severity"] == "warning"
    assert issue["diagnostics"].startswith("Not stored: Observation.code: CareCoord keeps these measurements only")
    with pytest.raises(FhirError) as strict:
        process_bundle(_caller(organization), _bundle(_post(_unkept_and_invalid(ref))), "urn:test/", lenient=False)
    assert "Observation.valueQuantity.value" in strict.value.diagnostics
    assert not Measurement.objects.filter(patient=patient).exists()


def test_an_import_validates_first_a_resource_the_precheck_cannot_read():
    organization = OrganizationFactory(slug="bulk-malformed")
    patient = PatientFactory(organization=organization)
    malformed = dict(_weight(f"Patient/{patient.public_id}", 60), code="29463-7")  # code is not an object
    body, _ = _run(_caller(organization), _bundle(_post(malformed)), lenient=True)
    diagnostics = body["entry"][0]["response"]["outcome"]["issue"][0]["diagnostics"]
    assert diagnostics.startswith("Not stored: Observation.code")
    assert "CareCoord keeps" not in diagnostics  # the validation's message, as before
    assert not Measurement.objects.filter(patient=patient).exists()
