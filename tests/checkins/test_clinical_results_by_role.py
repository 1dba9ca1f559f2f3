"""
RELIABILITY T15 (minimum necessary): screening results (the PHQ-9 item 9 safety banner) and measurements are
clinical results, read by the roles that write patient records and not by the scheduler, who sees the chart and
its calendar. Proven per role at the selector, on the chart header of every tab, on the Progress tab and its
link, and on the timeline.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from carecoord.checkins import measurement_services, services
from carecoord.checkins.progress_selectors import measurement_get, measurements_for_patient
from carecoord.checkins.selectors import patient_timeline, safety_alert_for
from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError
from tests.factories import PatientFactory, make_actor

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
BANNER = "Positive answer on PHQ-9 item 9"
WEIGHT = "87.4"
# Who reads clinical results: every role that writes patient records; the scheduler does not.
ROLES = [
    (Role.COORDINATOR, True),
    (Role.PROVIDER, True),
    (Role.SUPERVISOR, True),
    (Role.ORG_ADMIN, True),
    (Role.SCHEDULER, False),
]


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def patient(org, actor):
    patient = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")
    answers = {f"phq9-{i}": 0 for i in range(1, 9)} | {"phq9-9": 2}
    services.assessment_record(
        actor=actor, patient=patient, instrument="phq9", answers=answers, occurred_at=NOW - dt.timedelta(hours=2)
    )
    return patient


@pytest.fixture
def measurement(actor, patient):
    return measurement_services.measurement_record(
        actor=actor, patient=patient, kind="weight", value=Decimal(WEIGHT), occurred_at=NOW - dt.timedelta(hours=1)
    )


@pytest.mark.parametrize(("role", "sees"), ROLES)
def test_the_selectors_give_screening_results_and_measurements_only_to_roles_that_read_them(
    org, patient, measurement, role, sees
):
    reader = make_actor(org, role)
    alert = safety_alert_for(reader, patient)
    assert (alert is not None) is sees
    assert list(measurements_for_patient(reader, patient)) == ([measurement] if sees else [])
    if sees:
        assert measurement_get(reader, measurement.public_id) == measurement
    else:
        with pytest.raises(NotFoundError):
            measurement_get(reader, measurement.public_id)
    kinds = {entry.kind for entry in patient_timeline(reader, patient).entries}
    assert ("measurement" in kinds) is sees
    assert ("assessment" in kinds) is sees


@pytest.mark.parametrize(("role", "sees"), ROLES)
def test_the_chart_shows_the_banner_and_the_progress_tab_only_to_roles_that_read_them(
    org, patient, measurement, client_for, role, sees
):
    client = client_for(make_actor(org, role))
    progress_url = reverse("checkins:patient_progress", args=[patient.public_id])
    for name in ("patients:chart", "checkins:patient_checkins", "scheduling:patient_schedule"):
        response = client.get(reverse(name, args=[patient.public_id]))
        assert response.status_code == 200, name
        page = response.content.decode()
        assert (BANNER in page) is sees, name
        assert (f'href="{progress_url}"' in page) is sees, name
    progress = client.get(progress_url)
    if progress.status_code == 200:  # the page itself may be refused to the scheduler; its data never shows
        page = progress.content.decode()
        assert (WEIGHT in page) is sees
        assert ('id="measurements"' in page) is sees
        assert (BANNER in page) is sees
    else:
        assert not sees
        assert progress.status_code == 404
    timeline = client.get(reverse("checkins:patient_timeline", args=[patient.public_id])).content.decode()
    assert (f"Body weight: {WEIGHT} kg" in timeline) is sees
