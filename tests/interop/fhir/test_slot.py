"""FHIR Slot: free slots computed from the weekly hours, searched by start/schedule/type, read back by id."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from carecoord.core.choices import Role
from carecoord.scheduling.selectors import slots_available
from carecoord.scheduling.services import appointment_book

from ...factories import LocationFactory, PatientFactory, make_actor
from ...scheduling.factories import AppointmentTypeFactory, clinic, weekly_hours
from .conftest import assert_valid, outcome_text

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # Wednesday 06:00 in Chicago; Thursday is Thanksgiving
MONDAY = dt.date(2026, 11, 30)

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def setup(fhir):
    practitioner, location, kind = clinic(fhir.organization)
    return {"practitioner": practitioner, "location": location, "appointment_type": kind}


def service(fhir, kind) -> str:
    return f"urn:carecoord:{fhir.organization.slug}:appointment-type|{kind.public_id}"


def search(fhir, params) -> dict:
    response = fhir.get("Slot", params)
    assert response.status_code == 200, response.content
    bundle = response.json()
    for entry in bundle.get("entry", []):
        assert_valid(entry["resource"])
    return bundle


def test_search_gives_the_free_slots_slots_available_computes(fhir, setup):
    kind = setup["appointment_type"]
    bundle = search(
        fhir,
        {"service-type": service(fhir, kind), "start": ["ge2026-11-30", "le2026-11-30"], "_count": "100"},
    )
    actor = make_actor(fhir.organization)
    expected = slots_available(actor, appointment_type=kind, first_day=MONDAY, last_day=MONDAY, limit=None)
    assert bundle["total"] == len(expected) == 31  # 09:00 to 16:30, every 15 minutes
    first = bundle["entry"][0]["resource"]
    assert first["status"] == "free"
    assert first["start"] == "2026-11-30T15:00:00Z"
    assert first["end"] == "2026-11-30T15:30:00Z"
    monday_block = setup["practitioner"].schedules.get(weekday=0)
    assert first["schedule"]["reference"] == f"Schedule/{monday_block.public_id}"
    assert first["appointmentType"]["coding"][0]["code"] == "FOLLOWUP"
    assert first["id"] == f"{monday_block.public_id.hex}-{kind.public_id.hex[:8]}-202611301500"


def test_booked_time_is_not_free_and_a_read_says_busy(fhir, setup):
    kind = setup["appointment_type"]
    params = {
        "service-type": service(fhir, kind),
        "start": ["ge2026-11-30T09:00:00-06:00", "lt2026-11-30T10:00:00-06:00"],
    }
    before = search(fhir, params)
    assert [e["resource"]["start"][11:16] for e in before["entry"]] == ["15:00", "15:15", "15:30", "15:45"]
    slot_id = before["entry"][0]["resource"]["id"]
    read = fhir.get(f"Slot/{slot_id}")
    assert read.status_code == 200, read.content
    assert assert_valid(read.json())["status"] == "free"

    appointment_book(
        actor=make_actor(fhir.organization, Role.SCHEDULER),
        patient=PatientFactory(organization=fhir.organization),
        start=dt.datetime(2026, 11, 30, 9, 0, tzinfo=CHICAGO),
        **setup,
    )
    after = search(fhir, params)
    assert [e["resource"]["start"][11:16] for e in after["entry"]] == ["15:30", "15:45"]
    assert fhir.get(f"Slot/{slot_id}").json()["status"] == "busy"


def test_read_of_an_unknown_or_malformed_slot_is_404(fhir, setup):
    block = setup["practitioner"].schedules.get(weekday=0)
    kind = setup["appointment_type"]
    assert fhir.get("Slot/nonsense").status_code == 404
    assert fhir.get(f"Slot/{block.public_id.hex}-{kind.public_id.hex[:8]}-202611300300").status_code == 404  # 21:00
    assert fhir.get(f"Slot/{block.public_id.hex}-00000000-202611301500").status_code == 404
    assert fhir.get(f"Slot/{block.public_id.hex}-{kind.public_id.hex[:8]}-202612011500").status_code == 404  # Tuesday


def test_search_by_schedule_with_include_and_default_window(fhir, setup):
    other_place = LocationFactory(organization=fhir.organization)
    [friday] = weekly_hours(setup["practitioner"], other_place, [setup["appointment_type"]], weekdays=[5],
                            start=dt.time(9), end=dt.time(10))  # fmt: skip
    bundle = search(fhir, {"schedule": f"Schedule/{friday.public_id}", "_include": "Slot:schedule"})
    matches = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "match"]
    included = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    # Saturday hours (weekday 5) in the next 7 days: Saturday 28 November, 09:00 to 09:30 every 15 minutes
    assert [r["start"] for r in matches] == ["2026-11-28T15:00:00Z", "2026-11-28T15:15:00Z", "2026-11-28T15:30:00Z"]
    assert [r["id"] for r in included] == [str(friday.public_id)]


def test_types_filter_busy_status_and_limits(fhir, setup):
    long_visit = AppointmentTypeFactory(organization=fhir.organization, name="New patient", code="CHECKUP",
                                        duration_minutes=60)  # fmt: skip
    for block in setup["practitioner"].schedules.all():
        block.appointment_types.add(long_visit)
    window = {"start": ["ge2026-11-30", "le2026-11-30"], "_count": "0"}
    both = search(fhir, window)["total"]
    assert both == 31 + 29
    assert (
        search(fhir, {**window, "service-type": "http://terminology.hl7.org/CodeSystem/v2-0276|CHECKUP"})["total"] == 29
    )
    assert search(fhir, {**window, "status": "busy"})["total"] == 0
    assert search(fhir, {**window, "status": "free"})["total"] == both
    assert search(fhir, {**window, "specialty": "207Q00000X"})["total"] == both
    assert search(fhir, {**window, "specialty": "207RC0000X"})["total"] == 0
    too_long = fhir.get("Slot", {"start": ["ge2026-12-01", "le2027-06-01"]})
    assert too_long.status_code == 400
    assert "at most 92 days" in outcome_text(too_long)
    # Thanksgiving (an Illinois holiday) and the weekend have no slots
    assert search(fhir, {"start": ["ge2026-11-26", "lt2026-11-27"]})["total"] == 0
    assert search(fhir, {"start": ["ge2026-11-28", "lt2026-11-30"]})["total"] == 0
