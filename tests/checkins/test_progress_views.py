"""The chart's Progress tab and its actions, and the therapy pages, through the test client."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from carecoord.checkins.models import CareManagementEnrollment, Measurement, TherapyPlan, TimeEntry
from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from tests.careplans.factories import CarePlanFactory, GoalFactory
from tests.factories import ExternalOrganizationFactory, PatientFactory, PractitionerFactory, make_actor
from tests.scheduling.factories import AppointmentTypeFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 9:00 in Chicago

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def clock(_frozen_clock):
    """The frozen clock, for tests that move it."""
    return _frozen_clock


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")


def url(name, obj, **kwargs):
    return reverse(f"checkins:{name}", args=[obj.public_id], **kwargs)


def body(response) -> str:
    return response.content.decode()


def measurement_post(**overrides):
    data = {"m-kind": "bp", "m-value": "142", "m-value2": "88", "m-occurred_at": "2026-11-26T08:30", "m-goal": "",
            "m-note": ""}  # fmt: skip
    data.update({f"m-{k}": v for k, v in overrides.items()})
    return data


# The tab ----------------------------------------------------------------------------------------------------


def test_the_tab_shows_minutes_charts_with_their_data_and_therapy_and_audits_one_read(actor, client_for, patient):
    goal = GoalFactory(careplan=CarePlanFactory(patient=patient, author=actor.user), description="BP under control",
                       measure_code="8480-6", target_comparator="<", target_value=D(130))  # fmt: skip
    for days_ago, value in ((9, 150), (2, 128)):
        Measurement.objects.create(organization=patient.organization, patient=patient, goal=goal, kind="bp",
                                   loinc="85354-9", value=value, value2=85, unit="mm[Hg]", by=actor.user,
                                   occurred_at=NOW - dt.timedelta(days=days_ago))  # fmt: skip
    TimeEntry.objects.create(organization=patient.organization, patient=patient, user=actor.user, activity="call",
                             source="manual", started_at=NOW, minutes=17)  # fmt: skip
    TherapyPlan.objects.create(organization=patient.organization, patient=patient, discipline="OT", visits_planned=8,
                               visits_used=7, certification_start=dt.date(2026, 11, 1),
                               certification_end=dt.date(2026, 12, 1))  # fmt: skip

    response = client_for(actor).get(url("patient_progress", patient))

    assert response.status_code == 200
    html = body(response)
    assert 'aria-current="page">Progress</a>' in html
    assert "Care-management time · November 2026" in html
    assert "17 min" in html
    assert "Not enrolled in a care-management program" in html
    assert 'src="data:image/svg+xml;base64,' in html
    assert 'alt="Blood pressure: 2 measurements from 11/17/2026 (150/85 mmHg) to 11/24/2026' in html
    assert '<td class="num">150 / 85</td>' in html
    assert '<td class="num">128 / 85</td>' in html
    assert "Occupational therapy" in html
    assert "7 of 8 used" in html
    assert "1 left" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "no inline script"
    assert " style=" not in html
    events = AuditEvent.objects.filter(event="progress.view")
    assert events.count() == 1
    assert events.get().patient_public_id == patient.public_id


def test_a_running_timer_shows_with_its_start_for_the_widget(actor, client_for, patient):
    entry = TimeEntry.objects.create(organization=patient.organization, patient=patient, user=actor.user,
                                     activity="call", source="timer", started_at=NOW)  # fmt: skip
    html = body(client_for(actor).get(url("patient_progress", patient)))
    assert 'data-timer-started="2026-11-26T15:00:00+00:00"' in html
    assert url("time_stop", entry) in html
    assert "checkins-timer.js" in html


def test_another_organization_gets_404_and_a_scheduler_sees_but_cannot_write(org, other_actor, client_for, patient):
    assert client_for(other_actor).get(url("patient_progress", patient)).status_code == 404
    scheduler = client_for(make_actor(org, Role.SCHEDULER))
    html = body(scheduler.get(url("patient_progress", patient)))
    assert "Start timer" not in html
    assert "Record a measurement" not in html
    refused = scheduler.post(url("patient_measurement_add", patient), measurement_post())
    assert refused.status_code == 403
    assert not Measurement.objects.exists()


# Measurements -----------------------------------------------------------------------------------------------


def test_recording_a_measurement_takes_the_organizations_wall_time(actor, client_for, patient):
    response = client_for(actor).post(url("patient_measurement_add", patient), measurement_post())
    assert response.status_code == 302
    assert response["Location"].endswith("#measurements")
    m = Measurement.objects.get()
    assert m.occurred_at == dt.datetime(2026, 11, 26, 14, 30, tzinfo=dt.UTC)  # 8:30 in Chicago
    assert (m.value, m.value2) == (D(142), D(88))


def test_a_bad_measurement_shows_the_error_on_its_field(actor, client_for, patient):
    response = client_for(actor).post(url("patient_measurement_add", patient), measurement_post(value2="150"))
    assert response.status_code == 400
    assert "The systolic value must be above the diastolic value." in body(response)
    assert 'id="id_m-value2_error"' in body(response)
    response = client_for(actor).post(
        url("patient_measurement_add", patient), measurement_post(occurred_at="2026-11-26T10:00")
    )
    assert response.status_code == 400
    assert "cannot be in the future" in body(response)
    assert not Measurement.objects.exists()


def test_marking_a_measurement_in_error(actor, client_for, patient, other_actor):
    client_for(actor).post(url("patient_measurement_add", patient), measurement_post())
    m = Measurement.objects.get()
    assert client_for(other_actor).post(url("measurement_enter_in_error", m)).status_code == 404
    response = client_for(actor).post(url("measurement_enter_in_error", m), {"reason": "wrong cuff"})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.entered_in_error
    assert "Entered in error" in body(client_for(actor).get(url("patient_progress", patient)))


# Time -------------------------------------------------------------------------------------------------------


def test_start_and_stop_the_timer(actor, client_for, patient, clock):
    client = client_for(actor)
    response = client.post(url("patient_time_start", patient), {"timer-activity": "call", "timer-kind": ""})
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    clock.shift(dt.timedelta(minutes=7, seconds=30))
    response = client.post(url("time_stop", entry))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.minutes == 7


def test_starting_a_second_timer_asks_and_switches_only_when_told(actor, client_for, patient, org, clock):
    other = PatientFactory(organization=org, given_name="Omar", family_name="Other")
    client = client_for(actor)
    client.post(url("patient_time_start", other), {"timer-activity": "call"})
    clock.shift(dt.timedelta(minutes=4))
    response = client.post(url("patient_time_start", patient), {"timer-activity": "education"})
    assert response.status_code == 409
    html = body(response)
    assert "Your timer on Other, Omar (Call with patient or family) is still running." in html
    assert "Stop that timer and start this one" in html
    assert TimeEntry.objects.filter(minutes__isnull=True).count() == 1
    response = client.post(url("patient_time_start", patient), {"timer-activity": "education",
                                                                "timer-stop_running": "on"})  # fmt: skip
    assert response.status_code == 302
    assert TimeEntry.objects.get(patient=other).minutes == 4
    assert TimeEntry.objects.get(patient=patient, minutes__isnull=True).activity == "education"


def test_time_by_hand_and_marking_it_in_error(actor, client_for, patient, other_actor):
    client = client_for(actor)
    data = {"time-activity": "coordination", "time-minutes": "25", "time-on_date": "2026-11-20", "time-kind": ""}
    assert client.post(url("patient_time_add", patient), data).status_code == 302
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.source, entry.kind) == (25, "manual", "staff")
    bad = client.post(url("patient_time_add", patient), {**data, "time-minutes": "601"})
    assert bad.status_code == 400
    assert "time-minutes" in body(bad)
    assert client_for(other_actor).post(url("time_enter_in_error", entry)).status_code == 404
    assert client_for(other_actor).post(url("time_stop", entry)).status_code == 404
    assert client.post(url("time_enter_in_error", entry)).status_code == 302
    entry.refresh_from_db()
    assert entry.entered_in_error


def test_time_by_hand_shows_every_problem_on_the_first_submit(actor, client_for, patient):
    data = {"time-activity": "coordination", "time-minutes": "900", "time-on_date": "2026-11-27", "time-kind": "",
            "time-note": "x" * 2000}  # fmt: skip
    response = client_for(actor).post(url("patient_time_add", patient), data)
    assert response.status_code == 400
    html = body(response)
    for field in ("minutes", "on_date", "note"):
        assert f'id="id_time-{field}_error"' in html, field
    assert "Time cannot be entered for a day still to come." in html
    assert not TimeEntry.objects.exists()


def test_the_billing_practitioner_list_offers_only_who_may_bill_and_a_forged_choice_is_refused(
    actor, client_for, patient
):
    org = actor.organization
    outside = ExternalOrganizationFactory(organization=org, name="St. Brendan Medical Center")
    PractitionerFactory(organization=org, family_name="Doctorow", specialty_code="207Q00000X")
    PractitionerFactory(organization=org, family_name="Nurseprac", suffix="NP", specialty_code="363LF0000X")
    PractitionerFactory(organization=org, family_name="Assistant", suffix="PA-C", specialty_code="363A00000X")
    chw = PractitionerFactory(organization=org, family_name="Worker", suffix="CHW", specialty_code="172V00000X")
    PractitionerFactory(organization=org, family_name="Casenurse", suffix="RN", specialty_code="163WC0400X")
    PractitionerFactory(organization=org, family_name="Pharma", suffix="PharmD", specialty_code="183500000X")
    PractitionerFactory(organization=org, family_name="Socialwork", suffix="LCSW", specialty_code="1041C0700X")
    cardiologist = PractitionerFactory(organization=org, family_name="Outsider", specialty_code="207RC0000X",
                                       external_organization=outside)  # fmt: skip
    client = client_for(actor)
    html = body(client.get(url("patient_progress", patient)))
    select = re.search(r'<select name="enroll-billing_practitioner".*?</select>', html, re.S).group(0)
    assert re.findall(r"<option value=\"[^\"]+\">[^ ]+ (\w+)", select) == ["Assistant", "Doctorow", "Nurseprac"]
    data = {"enroll-program": "ccm", "enroll-consent_on": "2026-11-02", "enroll-start_date": "2026-11-02",
            "enroll-end_date": ""}  # fmt: skip
    for forged in (chw, cardiologist):
        response = client.post(url("patient_enrollment_set", patient),
                               {**data, "enroll-billing_practitioner": forged.pk})  # fmt: skip
        assert response.status_code == 400
        assert 'id="id_enroll-billing_practitioner_error"' in body(response)
        assert "Choose a physician, nurse practitioner, physician assistant" in body(response)
    assert not CareManagementEnrollment.objects.exists()


def test_enrollment_from_the_tab(actor, client_for, patient):
    data = {"enroll-program": "ccm", "enroll-consent_on": "2026-11-02", "enroll-start_date": "2026-11-02",
            "enroll-end_date": "", "enroll-billing_practitioner": ""}  # fmt: skip
    assert client_for(actor).post(url("patient_enrollment_set", patient), data).status_code == 302
    enrollment = CareManagementEnrollment.objects.get()
    assert enrollment.program == "ccm"
    html = body(client_for(actor).get(url("patient_progress", patient)))
    assert "Enrolled in chronic care management from 11/02/2026" in html
    response = client_for(actor).post(url("enrollment_end", enrollment), {"end-end_date": "2026-11-01"})
    assert response.status_code == 400
    assert "cannot end before it starts" in body(response)
    assert client_for(actor).post(url("enrollment_end", enrollment), {"end-end_date": "2026-11-30"}).status_code == 302


# Therapy ----------------------------------------------------------------------------------------------------


def therapy_post(kind, **overrides):
    data = {"discipline": "PT", "certification_start": "2026-11-01", "certification_end": "2026-12-30",
            "visits_planned": "12", "progress_report_every": "10", "appointment_types": [str(kind.pk)],
            "active": "on", "referring_practitioner": "", "therapist": "", "careplan": ""}  # fmt: skip
    return {**data, **overrides}


def test_create_edit_recount_and_print_a_therapy_plan(actor, client_for, patient, org):
    kind = AppointmentTypeFactory(organization=org, name="PT visit")
    client = client_for(actor)
    assert client.get(url("patient_therapy_create", patient)).status_code == 200
    response = client.post(url("patient_therapy_create", patient), therapy_post(kind))
    assert response.status_code == 302
    plan = TherapyPlan.objects.get()
    assert list(plan.appointment_types.all()) == [kind]

    edit = client.get(url("therapy_edit", plan))
    assert edit.status_code == 200
    assert 'value="2026-12-30"' in body(edit)
    stale = therapy_post(kind, visits_planned="20", version=str(plan.version - 1))
    assert client.post(url("therapy_edit", plan), stale).status_code == 409
    saved = client.post(url("therapy_edit", plan), therapy_post(kind, visits_planned="20", version=str(plan.version)))
    assert saved.status_code == 302
    plan.refresh_from_db()
    assert plan.visits_planned == 20

    assert client.post(url("therapy_recount", plan)).status_code == 302
    pdf = client.get(url("therapy_progress_report", plan))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    event = AuditEvent.objects.get(event="therapy.progress_report")
    assert (event.object_id, event.patient_public_id) == (str(plan.public_id), patient.public_id)


def test_a_therapy_plan_longer_than_90_days_is_refused_inline(actor, client_for, patient, org):
    kind = AppointmentTypeFactory(organization=org)
    response = client_for(actor).post(url("patient_therapy_create", patient),
                                      therapy_post(kind, certification_end="2027-02-15"))  # fmt: skip
    assert response.status_code == 400
    assert "recertified at least every 90 days" in body(response)


def test_another_organization_cannot_reach_the_therapy_plan(actor, client_for, patient, other_actor, org):
    plan = TherapyPlan.objects.create(organization=org, patient=patient, discipline="PT", visits_planned=8,
                                      certification_start=dt.date(2026, 11, 1),
                                      certification_end=dt.date(2026, 12, 1))  # fmt: skip
    client = client_for(other_actor)
    for name in ("therapy_edit", "therapy_progress_report"):
        assert client.get(url(name, plan)).status_code == 404
    assert client.post(url("therapy_recount", plan)).status_code == 404
    assert client.post(url("patient_therapy_create", patient), {}).status_code == 404
    assert not AuditEvent.objects.filter(event="therapy.progress_report").exists()
