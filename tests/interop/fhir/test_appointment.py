"""FHIR Appointment: output of inside and outside visits, booking through the services, updates, search."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carecoord.core.choices import Role
from carecoord.scheduling.models import Appointment
from carecoord.scheduling.outside_services import outside_appointment_record
from carecoord.scheduling.services import appointment_book

from ...factories import ExternalOrganizationFactory, PatientFactory, PractitionerFactory, make_actor
from ...scheduling.factories import AppointmentTypeFactory, clinic
from .conftest import assert_valid, outcome_text

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
MONDAY = dt.date(2026, 11, 30)
TYPE_EXTENSION = "urn:carecoord:fhir:appointment-type"
V2_0276 = "http://terminology.hl7.org/CodeSystem/v2-0276"

pytestmark = pytest.mark.usefixtures("_frozen_clock")


def at(hour, minute=0, day=MONDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


def z(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def setup(fhir):
    practitioner, location, kind = clinic(fhir.organization)
    patient = PatientFactory(organization=fhir.organization)
    actor = make_actor(fhir.organization, Role.SCHEDULER)
    return {
        "practitioner": practitioner,
        "location": location,
        "appointment_type": kind,
        "patient": patient,
        "actor": actor,
    }


def booked(setup, start, **extra) -> Appointment:
    parties = {k: v for k, v in setup.items() if k != "actor"}
    return appointment_book(actor=setup["actor"], **parties, start=start, **extra)


def resource(setup, start: dt.datetime, **extra) -> dict:
    kind = setup["appointment_type"]
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "appointmentType": {"coding": [{"system": V2_0276, "code": kind.code}]},
        "minutesDuration": kind.duration_minutes,
        "start": z(start),
        "participant": [
            {"actor": {"reference": f"Patient/{setup['patient'].public_id}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{setup['practitioner'].public_id}"}, "status": "accepted"},
            {"actor": {"reference": f"Location/{setup['location'].public_id}"}, "status": "accepted"},
        ],
        **extra,
    }


def test_read_of_an_inside_visit(fhir, setup):
    appointment = booked(setup, at(9), reason="Blood pressure check", notes="Bring readings")
    body = assert_valid(fhir.get(f"Appointment/{appointment.public_id}").json())
    kind = setup["appointment_type"]
    assert body["status"] == "booked"
    assert body["start"] == "2026-11-30T15:00:00Z"
    assert body["end"] == "2026-11-30T15:30:00Z"
    assert body["minutesDuration"] == 30
    assert body["appointmentType"]["coding"][0] == {
        "system": V2_0276,
        "code": "FOLLOWUP",
        "display": "A follow-up visit from a previous appointment",
    }
    assert body["extension"][0]["url"] == TYPE_EXTENSION
    assert body["extension"][0]["valueCoding"]["code"] == str(kind.public_id)
    assert body["serviceType"][0]["coding"][0]["system"] == "urn:carecoord:fhircc:appointment-type".replace(
        "fhircc", fhir.organization.slug
    )
    assert body["reasonCode"] == [{"text": "Blood pressure check"}]
    assert body["comment"] == "Bring readings"
    actors = {p["actor"]["reference"].split("/")[0]: p for p in body["participant"]}
    assert actors["Patient"]["actor"]["reference"] == f"Patient/{setup['patient'].public_id}"
    assert actors["Practitioner"]["status"] == "accepted"
    assert actors["Location"]["actor"]["reference"] == f"Location/{setup['location'].public_id}"


def test_read_of_an_outside_visit_keeps_its_status_and_practice(fhir, setup):
    practice = ExternalOrganizationFactory(organization=fhir.organization, name="Lakeview Cardiology")
    appointment = outside_appointment_record(
        actor=setup["actor"],
        patient=setup["patient"],
        start=at(14, day=dt.date(2026, 12, 2)),
        duration_minutes=45,
        external_organization=practice,
        reason="Echo",
    )
    body = assert_valid(fhir.get(f"Appointment/{appointment.public_id}").json())
    assert body["status"] == "pending"
    assert "appointmentType" not in body
    assert body["description"] == "Outside visit"
    extensions = {e["url"]: e for e in body["extension"]}
    assert extensions["urn:carecoord:fhir:outside"]["valueBoolean"] is True
    assert extensions["urn:carecoord:fhir:outside-organization"]["valueReference"]["reference"] == (
        f"Organization/{practice.public_id}"
    )
    assert [p["actor"]["reference"].split("/")[0] for p in body["participant"]] == ["Patient"]


def test_create_books_by_v2_code_and_duration_and_a_double_booking_is_409(fhir, setup):
    created = fhir.post("Appointment", resource(setup, at(10), reasonCode=[{"text": "Diabetes follow-up"}]))
    assert created.status_code == 201, created.content
    body = assert_valid(created.json())
    appointment = Appointment.objects.get(public_id=body["id"])
    assert appointment.start == at(10).astimezone(dt.UTC)
    assert appointment.reason == "Diabetes follow-up"
    assert appointment.appointment_type == setup["appointment_type"]
    assert created["Location"].endswith(f"Appointment/{body['id']}/_history/1")

    other = PatientFactory(organization=fhir.organization)
    clash = resource(setup, at(10, 15))
    clash["participant"][0]["actor"]["reference"] = f"Patient/{other.public_id}"
    refused = fhir.post("Appointment", clash)
    assert refused.status_code == 409, refused.content
    assert "already has an appointment" in outcome_text(refused)
    assert Appointment.objects.filter(patient=other).count() == 0


def test_create_by_the_type_extension_and_ambiguous_codes(fhir, setup):
    twin = AppointmentTypeFactory(organization=fhir.organization, name="Follow-up (twin)", code="FOLLOWUP")
    setup["practitioner"].schedules.first().appointment_types.add(twin)
    for block in setup["practitioner"].schedules.all():
        block.appointment_types.add(twin)
    ambiguous = fhir.post("Appointment", resource(setup, at(11)))
    assert ambiguous.status_code == 400
    assert "several appointment types" in outcome_text(ambiguous)

    named = resource(setup, at(11))
    named["extension"] = [{"url": TYPE_EXTENSION, "valueCoding": {"code": str(twin.public_id)}}]
    created = fhir.post("Appointment", named)
    assert created.status_code == 201, created.content
    assert Appointment.objects.get(public_id=created.json()["id"]).appointment_type == twin


def test_create_refuses_missing_parties_wrong_durations_and_other_statuses(fhir, setup):
    no_location = resource(setup, at(9))
    no_location["participant"] = no_location["participant"][:2]
    assert "Practitioner and the Location" in outcome_text(fhir.post("Appointment", no_location))
    wrong = resource(setup, at(9), minutesDuration=45)
    assert "no active appointment type has the code FOLLOWUP lasting 45" in outcome_text(
        fhir.post("Appointment", wrong)
    )
    proposed = resource(setup, at(9), status="proposed")
    assert "booked" in outcome_text(fhir.post("Appointment", proposed))
    closed = fhir.post("Appointment", resource(setup, at(7)))
    assert closed.status_code == 422
    assert "not seeing patients" in outcome_text(closed)
    assert not Appointment.objects.exists()


def test_update_reschedules_then_cancels_with_if_match(fhir, setup):
    appointment = booked(setup, at(9))
    path = f"Appointment/{appointment.public_id}"
    body = fhir.get(path).json()
    body["start"], body["end"] = z(at(13)), z(at(13, 30))
    moved = fhir.put(path, body, headers={"If-Match": 'W/"1"'})
    assert moved.status_code == 200, moved.content
    assert assert_valid(moved.json())["start"] == z(at(13))
    appointment.refresh_from_db()
    assert appointment.start == at(13).astimezone(dt.UTC)

    stale = fhir.put(path, body, headers={"If-Match": 'W/"1"'})
    assert stale.status_code == 412

    current = moved.json()
    current["status"] = "cancelled"
    no_reason = fhir.put(path, current, headers={"If-Match": f'W/"{current["meta"]["versionId"]}"'})
    assert no_reason.status_code == 400
    assert "cancelationReason" in outcome_text(no_reason)
    current["cancelationReason"] = {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason", "code": "pat"}],
        "text": "Patient is travelling",
    }
    cancelled = fhir.put(path, current, headers={"If-Match": f'W/"{current["meta"]["versionId"]}"'})
    assert cancelled.status_code == 200, cancelled.content
    out = assert_valid(cancelled.json())
    assert out["status"] == "cancelled"
    assert out["cancelationReason"]["coding"][0]["code"] == "pat"
    assert out["cancelationReason"]["text"] == "Patient is travelling"
    appointment.refresh_from_db()
    assert (appointment.cancellation_reason, appointment.cancellation_note) == ("pat", "Patient is travelling")

    history = fhir.get(f"{path}/_history").json()
    assert history["total"] == 3


def test_update_moves_the_status_and_refuses_what_cannot_change(fhir, setup, make_caller):
    appointment = booked(setup, at(9))
    path = f"Appointment/{appointment.public_id}"
    body = fhir.get(path).json()
    body["status"] = "noshow"
    early = fhir.put(path, body)
    assert early.status_code == 409
    assert "before it starts" in outcome_text(early)
    body["status"] = "arrived"
    too_soon = fhir.put(path, body)
    assert too_soon.status_code == 409
    assert "before the day of the appointment" in outcome_text(too_soon)
    other = PatientFactory(organization=fhir.organization)
    with time_machine.travel(appointment.start - dt.timedelta(minutes=30), tick=False):
        on_the_day = make_caller(fhir.organization)  # a new token: the first one has expired
        arrived = on_the_day.put(path, body)
        assert arrived.status_code == 200, arrived.content
        assert arrived.json()["status"] == "arrived"

        changed = arrived.json()
        changed["reasonCode"] = [{"text": "Something else"}]
        assert "cannot change" in outcome_text(on_the_day.put(path, changed))
        moved = arrived.json()
        moved["participant"][0]["actor"]["reference"] = f"Patient/{other.public_id}"
        assert "cannot change" in outcome_text(on_the_day.put(path, moved))


def test_outside_visit_confirm_and_outcome_through_put(fhir, setup, make_caller):
    practitioner = PractitionerFactory(organization=fhir.organization)
    appointment = outside_appointment_record(
        actor=setup["actor"], patient=setup["patient"], start=at(8, day=dt.date(2026, 11, 26)), duration_minutes=30,
        practitioner=practitioner,
    )  # fmt: skip
    path = f"Appointment/{appointment.public_id}"
    body = fhir.get(path).json()
    body["status"] = "booked"
    assert "who at the practice" in outcome_text(fhir.put(path, body))
    body["extension"].append({"url": "urn:carecoord:fhir:confirmed-with", "valueString": "Front desk"})
    confirmed = fhir.put(path, body)
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "booked"
    with time_machine.travel(dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.UTC), tick=False):
        attended = confirmed.json()
        attended["status"] = "fulfilled"
        done = make_caller(fhir.organization).put(path, attended)  # a new token: the first one has expired
    assert done.status_code == 200, done.content
    appointment.refresh_from_db()
    assert appointment.status == "fulfilled"


def test_delete_marks_entered_in_error(fhir, setup):
    appointment = booked(setup, at(9))
    assert fhir.delete(f"Appointment/{appointment.public_id}").status_code == 204
    appointment.refresh_from_db()
    assert appointment.status == "entered-in-error"
    assert fhir.get(f"Appointment/{appointment.public_id}").status_code == 410


def test_search_by_patient_practitioner_date_status_and_include(fhir, setup):
    first = booked(setup, at(9))
    second = booked(setup, at(10, day=dt.date(2026, 12, 1)))
    other_patient = PatientFactory(organization=fhir.organization)
    third = booked({**setup, "patient": other_patient}, at(11, day=dt.date(2026, 12, 2)))

    def ids(params):
        response = fhir.get("Appointment", params)
        assert response.status_code == 200, response.content
        bundle = response.json()
        for entry in bundle.get("entry", []):
            assert_valid(entry["resource"])
        return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]

    assert ids({"patient": f"Patient/{setup['patient'].public_id}"}) == [str(first.public_id), str(second.public_id)]
    assert ids({"practitioner": str(setup["practitioner"].public_id), "_sort": "-date"}) == [
        str(third.public_id),
        str(second.public_id),
        str(first.public_id),
    ]
    assert ids({"date": "ge2026-12-01"}) == [str(second.public_id), str(third.public_id)]
    assert ids({"date": ["ge2026-12-01", "lt2026-12-02"]}) == [str(second.public_id)]
    assert ids({"date": "2026-11-30"}) == [str(first.public_id)]
    assert ids({"actor": f"Location/{setup['location'].public_id}", "status": "cancelled"}) == []
    assert ids({"status": "booked", "appointment-type": "FOLLOWUP"}) == [
        str(first.public_id),
        str(second.public_id),
        str(third.public_id),
    ]
    service = f"urn:carecoord:{fhir.organization.slug}:appointment-type|{setup['appointment_type'].public_id}"
    assert len(ids({"service-type": service})) == 3

    bundle = fhir.get("Appointment", {"_id": str(third.public_id), "_include": "Appointment:patient"}).json()
    included = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert [r["id"] for r in included] == [str(other_patient.public_id)]


def test_another_organizations_appointments_are_not_seen(fhir, setup, make_caller, other_org):
    appointment = booked(setup, at(9))
    outsider = make_caller(other_org)
    assert outsider.get(f"Appointment/{appointment.public_id}").status_code == 404
    assert outsider.get("Appointment").json()["total"] == 0
