"""A patient with a full record (every category of a right-of-access export), built through the services."""

import datetime as dt

import pytest
import time_machine

from carecoord.careplans import services as careplan_services
from carecoord.checkins import services as checkin_services
from carecoord.core.choices import Role
from carecoord.medications import services as medication_services
from carecoord.scheduling.services import appointment_book

from ..coverage.factories import make_coverage
from ..factories import PatientFactory, make_actor
from ..scheduling.factories import clinic

NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)  # Wednesday 9:00 in Chicago
MONDAY_10_CHICAGO = dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin(org):
    return make_actor(org, Role.ORG_ADMIN)


@pytest.fixture
def auditor(org):
    return make_actor(org, Role.AUDITOR)


def full_record(actor, *, given: str, family: str, mrn: str, member_id: str):
    """A patient of `actor`'s organization with insurance, medications, a care plan, a visit and a signed note."""
    patient = PatientFactory(organization=actor.organization, given_name=given, family_name=family, mrn=mrn)
    make_coverage(actor, patient, member_id=member_id)
    medication_services.medication_list_create(
        actor=actor, patient=patient, source="patient", source_name="Brown bag review",
        list_date=dt.date(2026, 11, 20),
        lines=[{"display": f"Metformin 500 mg for {family}", "rxnorm_code": "861007", "dose": "500 mg",
                "frequency_code": "bid"}],
    )  # fmt: skip
    careplan_services.careplan_create(
        actor=actor, patient=patient, data={"title": f"Diabetes plan of {family}", "category": "chronic",
                                            "start_date": dt.date(2026, 11, 20)},
    )  # fmt: skip
    practitioner, location, kind = clinic(actor.organization)
    appointment_book(
        actor=actor, patient=patient, practitioner=practitioner, location=location, appointment_type=kind,
        start=MONDAY_10_CHICAGO, reason=f"Follow-up for {family}",
    )  # fmt: skip
    note = checkin_services.note_create(
        actor=actor, patient=patient, template="phone_checkin",
        data={"title": f"Weekly call with {family}", "occurred_at": NOW - dt.timedelta(hours=2),
              "body": f"{given} feels better; walking daily.", "structured": {}, "participants": []},
    )  # fmt: skip
    checkin_services.note_sign(actor=actor, note=note, expected_version=note.version)
    note.refresh_from_db()
    checkin_services.note_addendum_add(actor=actor, note=note, text=f"Addendum: {given} called back.")
    return patient, note


@pytest.fixture
def record_of(org):
    """Builds full records in `org` as a coordinator who is also a scheduler."""
    builder = make_actor(org, Role.COORDINATOR, Role.SCHEDULER)

    def build(**names):
        return full_record(builder, **names)

    return build
