"""FHIR Schedule: one per block of weekly hours, read and search by actor, type and horizon."""

import datetime as dt

from ...factories import LocationFactory, PractitionerFactory
from ...scheduling.factories import AppointmentTypeFactory, clinic, weekly_hours
from .conftest import assert_valid


def test_read_gives_actors_types_hours_and_horizon(fhir):
    practitioner, location, kind = clinic(fhir.organization)
    block = practitioner.schedules.get(weekday=0)
    block.effective_from = dt.date(2026, 1, 5)
    block.save()
    body = assert_valid(fhir.get(f"Schedule/{block.public_id}").json())
    assert body["active"] is True
    assert [a["reference"] for a in body["actor"]] == [
        f"Practitioner/{practitioner.public_id}",
        f"Location/{location.public_id}",
    ]
    assert body["serviceType"][0]["coding"][0] == {
        "system": f"urn:carecoord:{fhir.organization.slug}:appointment-type",
        "code": str(kind.public_id),
        "display": kind.name,
    }
    assert body["planningHorizon"] == {"start": "2026-01-05"}
    assert body["comment"].startswith("Mondays 09:00-17:00 at ")
    hours = {e["url"]: e.get("valueCode") or e.get("valueTime") for e in body["extension"][0]["extension"]}
    assert hours == {
        "dayOfWeek": "mon",
        "availableStartTime": "09:00:00",
        "availableEndTime": "17:00:00",
        "timeZone": "America/Chicago",
    }
    assert body["specialty"][0]["coding"][0]["code"] == "207Q00000X"


def test_search_by_actor_type_active_and_date(fhir):
    practitioner, location, _kind = clinic(fhir.organization)
    other = PractitionerFactory(organization=fhir.organization)
    telehealth = AppointmentTypeFactory(organization=fhir.organization, name="Telehealth", code="ROUTINE")
    [evening] = weekly_hours(
        other, LocationFactory(organization=fhir.organization), [telehealth], weekdays=[2],
        start=dt.time(17), end=dt.time(20), effective_until=dt.date(2026, 6, 30),
    )  # fmt: skip

    def ids(params):
        bundle = fhir.get("Schedule", params).json()
        for entry in bundle.get("entry", []):
            assert_valid(entry["resource"])
        return {e["resource"]["id"] for e in bundle.get("entry", [])}

    mine = {str(b.public_id) for b in practitioner.schedules.all()}
    assert ids({"actor": f"Practitioner/{practitioner.public_id}"}) == mine
    assert ids({"actor": f"Location/{location.public_id}"}) == mine
    assert ids({"service-type": f"urn:carecoord:{fhir.organization.slug}:appointment-type|{telehealth.public_id}"}) == {
        str(evening.public_id)
    }
    assert ids({"service-type": "http://terminology.hl7.org/CodeSystem/v2-0276|FOLLOWUP"}) == mine
    assert ids({"date": "2026-09-01"}) == mine
    assert ids({"date": "2026-03-01"}) == mine | {str(evening.public_id)}
    evening.active = False
    evening.version += 1
    evening.save()
    assert ids({"active": "false"}) == {str(evening.public_id)}
    assert fhir.get(f"Schedule/{evening.public_id}/_history").json()["total"] == 2


def test_another_organizations_schedules_are_not_seen(fhir, make_caller, other_org):
    practitioner, _, _ = clinic(fhir.organization)
    block = practitioner.schedules.first()
    assert make_caller(other_org).get(f"Schedule/{block.public_id}").status_code == 404
