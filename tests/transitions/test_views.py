"""
The transitions pages through the test client: the dashboard (deadline states, risk, readmissions, filters,
order), an episode's page and its actions (contact, med rec, visit, complexity, checklist) with bad input and
stale versions, the chart's Hospital stays tab, who may see what, and the daily closing job.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from carecoord.careplans.models import Task
from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.core.periodic import REGISTRY
from carecoord.interop.hl7v2.handler import handle_message
from carecoord.transitions import services
from carecoord.transitions.models import TransitionEpisode

from ..factories import (
    ConditionFactory,
    ExternalOrganizationFactory,
    OrganizationFactory,
    PatientFactory,
    make_actor,
    share_by_consent,
)
from ..interop.hl7v2.messages import adt

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 3, 5, 10, 0, tzinfo=CHICAGO)  # Thursday
TODAY = NOW.date()


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHICAGO)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hospital(org):
    return ExternalOrganizationFactory(organization=org, name="Lakeside General", kind="hospital")


@pytest.fixture
def client(actor, client_for):
    return client_for(actor)


def discharge(org, patient, facility, *, admitted, discharged, disposition="01", visit="V1", admission_type="R"):
    """Admits and discharges through the services, as the feed does; returns the episode."""
    data = {"visit_number": visit, "encounter_class": "IMP", "admission_type": admission_type,
            "admitted_at": admitted, "reason": "Heart failure", "diagnoses": []}  # fmt: skip
    services.encounter_admit(organization=org, patient=patient, facility=facility, data=data, source={"event": "A01"})
    _, episode = services.encounter_discharge(
        organization=org, patient=patient, facility=facility, source={"event": "A03"},
        data={**data, "discharged_at": discharged, "discharge_disposition": disposition},
    )  # fmt: skip
    return episode


def body(response) -> str:
    return response.content.decode()


def rows(response) -> list[str]:
    """The dashboard's patient names, in the order shown."""
    return re.findall(r'<a href="/transitions/episodes/[0-9a-f-]+/">([^<]+)</a>', body(response))


def episode_url(episode, action="") -> str:
    name = f"transitions:episode_{action}" if action else "transitions:episode_detail"
    return reverse(name, args=[episode.public_id])


@pytest.fixture
def world(org, hospital):
    """Three open episodes: Ada (contact overdue), Ben (high risk, contact due today), Cleo (contact done)."""
    other = ExternalOrganizationFactory(organization=org, name="Mercy Hospital", kind="hospital")
    ada = PatientFactory(organization=org, given_name="Ada", family_name="Byron")
    ben = PatientFactory(organization=org, given_name="Ben", family_name="Okafor")
    cleo = PatientFactory(organization=org, given_name="Cleo", family_name="Marsh")
    ConditionFactory(patient=ben, code="I50.9", display="Heart failure")
    ConditionFactory(patient=ben, code="N18.4", display="Chronic kidney disease")
    ConditionFactory(patient=ben, code="C78.0", display="Secondary malignant neoplasm of lung")
    episodes = {
        # Friday discharge: contact due Wednesday 3/4 (Monday 3/2 is an Illinois holiday), now overdue.
        "ada": discharge(org, ada, hospital, admitted=at(2026, 2, 25, 9), discharged=at(2026, 2, 27, 11)),
        # Emergency admission, 15 days, Charlson 9: LACE high; discharged Tuesday, contact due today.
        "ben": discharge(
            org,
            ben,
            other,
            admitted=at(2026, 2, 16, 9),
            discharged=at(2026, 3, 3, 11),
            admission_type="E",
            disposition="06",
        ),
        "cleo": discharge(org, cleo, hospital, admitted=at(2026, 3, 2, 9), discharged=at(2026, 3, 4, 11), visit="V3"),
    }
    cleo_episode = episodes["cleo"]
    services.episode_record_step(actor=make_actor(org), episode=cleo_episode, step="contact", note="Doing well.",
                                 expected_version=cleo_episode.version)  # fmt: skip
    episodes["cleo"].refresh_from_db()
    return episodes


# --- the dashboard -------------------------------------------------------------------------------------------


def test_the_dashboard_lists_open_episodes_nearest_deadline_first_with_their_states(client, world, actor):
    response = client.get(reverse("transitions:dashboard"))
    assert response.status_code == 200
    html = body(response)
    assert rows(response) == ["Byron, Ada", "Okafor, Ben", "Marsh, Cleo"]
    assert "Overdue 1 day" in html  # Ada's contact was due Wednesday 3/4 (Monday 3/2 is Pulaski Day in Illinois)
    assert "Due today" in html  # Ben's contact
    assert 'deadline-done">Done</span>' in html  # Cleo's contact
    assert "Mercy Hospital" in html
    assert "Home with home health care" in html
    assert re.search(r'risk-high">1\d · high', html)
    assert "<strong>1</strong> late" in html
    assert AuditEvent.objects.filter(event="transitions.dashboard", user=actor.user).exists()
    assert '<a href="/transitions/" aria-current="page">Transitions</a>' in html


def test_a_readmission_within_30_days_is_flagged(client, org, world, hospital):
    ada = world["ada"].patient
    services.encounter_admit(organization=org, patient=ada, facility=hospital, source={"event": "A01"},
                             data={"visit_number": "V9", "admitted_at": at(2026, 3, 5, 8)})  # fmt: skip
    html = body(client.get(reverse("transitions:dashboard")))
    assert "Readmitted after 6 days" in html
    assert "<strong>1</strong> readmitted" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"late": "on"}, ["Byron, Ada"]), ({"risk": "high"}, ["Okafor, Ben"]),
     ({"risk": "low", "late": ""}, ["Byron, Ada", "Marsh, Cleo"])],
)  # fmt: skip
def test_filters_by_lateness_and_risk(client, world, query, expected):
    assert rows(client.get(reverse("transitions:dashboard"), query)) == expected


def test_filter_by_facility(client, world, hospital):
    response = client.get(reverse("transitions:dashboard"), {"facility": str(hospital.public_id)})
    assert rows(response) == ["Byron, Ada", "Marsh, Cleo"]


@pytest.mark.parametrize("query", [{"facility": "not-a-facility"}, {"risk": "extreme"},
                                   {"facility": "00000000-0000-4000-8000-000000000000"}])  # fmt: skip
def test_bad_filters_are_field_errors_not_crashes(client, world, query):
    response = client.get(reverse("transitions:dashboard"), query)
    assert response.status_code == 400
    assert 'class="error"' in body(response)
    assert len(rows(response)) == 3  # unfiltered


def test_another_organizations_facility_is_not_a_choice(client, world, other_org):
    theirs = ExternalOrganizationFactory(organization=other_org, name="Riverside Secret Hospital")
    response = client.get(reverse("transitions:dashboard"), {"facility": str(theirs.public_id)})
    assert response.status_code == 400
    assert "Riverside Secret Hospital" not in body(response)


def test_the_dashboard_query_count_does_not_grow_with_episodes(client, org, world, hospital,
                                                               django_assert_max_num_queries):  # fmt: skip
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("transitions:dashboard"))
    for n in range(6):
        patient = PatientFactory(organization=org)
        discharge(org, patient, hospital, admitted=at(2026, 3, 1, 9), discharged=at(2026, 3, 2, 9), visit=f"X{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("transitions:dashboard"))
    assert len(rows(response)) == 9


def test_only_people_who_work_with_patients_see_the_dashboard(org, world, client_for):
    auditor = make_actor(org, Role.AUDITOR)
    assert client_for(auditor).get(reverse("transitions:dashboard")).status_code == 404


def test_another_organization_sees_none_of_the_episodes(world, other_actor, client_for):
    response = client_for(other_actor).get(reverse("transitions:dashboard"))
    assert response.status_code == 200
    assert rows(response) == []
    assert "Byron" not in body(response)


# --- an episode's page -------------------------------------------------------------------------------------


def test_the_episode_page_shows_the_stay_deadlines_checklist_lace_tcm_and_history(client, world, actor):
    episode = world["ben"]
    response = client.get(episode_url(episode))
    assert response.status_code == 200
    html = body(response)
    assert "Transition after discharge on 03/03/2026" in html
    assert "Mercy Hospital" in html
    assert "Checklist: Home with home health care" in html
    assert "Confirm the home health agency" in html
    assert "L · length of stay" in html
    assert "15 days" in html
    assert "Congestive heart failure" in html  # Charlson conditions by name, not their keys
    assert "Metastatic solid tumor" in html
    assert "<dt>Admission type</dt><dd>Emergency</dd>" in html
    assert "not supported yet" in html
    assert "No interactive contact is recorded (due by 03/05/2026)." in html
    assert "Record contact" in html
    assert "Med rec done" in html
    assert "Visit done" in html
    assert "Discharge" in html
    assert "Admit" in html
    assert AuditEvent.objects.filter(event="episode.view", patient_public_id=episode.patient.public_id).exists()


def test_recording_the_contact_completes_its_task_and_turns_the_deadline_green(client, world, actor):
    episode = world["ben"]
    note = "Reached her daughter; no new symptoms."
    response = client.post(episode_url(episode, "step"), {"step": "contact", "version": episode.version, "note": note})
    assert response.status_code == 302
    assert response["Location"] == episode_url(episode)
    episode.refresh_from_db()
    assert episode.contact_at == NOW
    assert episode.contact_by == actor.user
    task = Task.objects.get(focus_id=episode.public_id, dedupe_key__endswith=":contact")
    assert (task.status, task.outcome_note) == ("completed", note)
    page = body(client.get(response["Location"]))
    assert "Interactive contact recorded." in page
    assert re.search(r'id="deadline-contact">.*?deadline-done">Done<', page, re.S)


def test_a_past_time_can_be_given_in_local_time(client, world):
    episode = world["ben"]
    response = client.post(episode_url(episode, "step"),
                           {"step": "med_rec", "version": episode.version, "note": "Reconciled with the agency nurse.",
                            "at": "2026-03-04T16:30"})  # fmt: skip
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.med_rec_at == at(2026, 3, 4, 16, 30)


@pytest.mark.parametrize(
    ("data", "message"),
    [({"step": "contact", "note": ""}, "This field is required."),
     ({"step": "contact", "note": "x", "at": "2026-03-09T10:00"}, "That time is in the future."),
     ({"step": "contact", "note": "x", "at": "2026-03-01T10:00"}, "That is before the discharge."),
     ({"step": "contact", "note": "x", "at": "yesterday"}, "Enter a valid date/time."),
     ({"step": "dance", "note": "x"}, "Choose what was done."),
     ({"step": "contact", "note": "x", "version": "abc"}, "Check what you entered below.")],
)  # fmt: skip
def test_bad_step_input_is_shown_and_changes_nothing(client, world, data, message):
    episode = world["ben"]
    response = client.post(episode_url(episode, "step"), {"version": episode.version, **data})
    assert response.status_code == 400
    assert message in body(response)
    episode.refresh_from_db()
    assert (episode.contact_at, episode.med_rec_at, episode.visit_at) == (None, None, None)


def test_a_stale_version_is_a_conflict(client, world):
    episode = world["ben"]
    stale = episode.version
    client.post(episode_url(episode, "checklist"), {"key": "agency", "done": "on", "version": stale})
    response = client.post(episode_url(episode, "step"), {"step": "contact", "note": "x", "version": stale})
    assert response.status_code == 409
    assert "Someone else saved changes" in body(response)
    episode.refresh_from_db()
    assert episode.contact_at is None


def test_all_three_steps_on_time_support_a_tcm_code(client, world):
    episode = world["ben"]
    for step, when in (("contact", "2026-03-04T09:00"), ("med_rec", "2026-03-04T09:30"),
                       ("visit", "2026-03-05T09:00")):  # fmt: skip
        episode.refresh_from_db()
        response = client.post(episode_url(episode, "step"), {"step": step, "note": "Done.", "at": when,
                                                              "version": episode.version})  # fmt: skip
        assert response.status_code == 302, body(response)
    html = body(client.get(episode_url(episode)))
    assert "CPT 99496 is supported" in html  # high complexity (LACE high), visit 2 days after discharge


def test_setting_complexity_moves_the_visit_deadline(client, world):
    episode = world["ada"]
    response = client.post(episode_url(episode, "complexity"), {"complexity": "high", "version": episode.version})
    assert response.status_code == 302
    episode.refresh_from_db()
    assert (episode.complexity, episode.visit_due) == ("high", dt.date(2026, 3, 6))
    bad = client.post(episode_url(episode, "complexity"), {"complexity": "extreme", "version": episode.version})
    assert bad.status_code == 400
    assert "Select a valid choice" in body(bad)


def test_ticking_the_checklist(client, world):
    episode = world["ada"]
    response = client.post(episode_url(episode, "checklist"), {"key": "discharge_summary", "done": "on",
                                                               "version": episode.version})  # fmt: skip
    assert response.status_code == 302
    episode.refresh_from_db()
    assert next(i for i in episode.checklist if i["key"] == "discharge_summary")["done_at"]
    undo = client.post(episode_url(episode, "checklist"), {"key": "discharge_summary", "version": episode.version})
    assert undo.status_code == 302
    episode.refresh_from_db()
    assert next(i for i in episode.checklist if i["key"] == "discharge_summary")["done_at"] is None
    unknown = client.post(
        episode_url(episode, "checklist"), {"key": "juggle", "done": "on", "version": episode.version}
    )
    assert unknown.status_code == 400
    assert "not on this episode" in body(unknown)


def test_a_scheduler_sees_the_episode_but_cannot_record(org, world, client_for):
    scheduler = client_for(make_actor(org, Role.SCHEDULER))
    episode = world["ben"]
    page = scheduler.get(episode_url(episode))
    assert page.status_code == 200
    assert "Record contact" not in body(page)
    response = scheduler.post(
        episode_url(episode, "step"), {"step": "contact", "note": "x", "version": episode.version}
    )
    assert response.status_code == 403
    episode.refresh_from_db()
    assert episode.contact_at is None


@pytest.mark.parametrize("action", ["", "step", "complexity", "checklist"])
def test_another_organization_gets_404_and_changes_nothing(world, other_actor, client_for, action):
    episode = world["ben"]
    client = client_for(other_actor)
    data = {"step": "contact", "note": "x", "complexity": "high", "key": "agency", "done": "on",
            "version": episode.version}  # fmt: skip
    response = client.get(episode_url(episode)) if not action else client.post(episode_url(episode, action), data)
    assert response.status_code == 404
    assert "Okafor" not in body(response)
    episode.refresh_from_db()
    assert (episode.contact_at, episode.complexity) == (None, "high")


def test_a_closed_episode_shows_no_actions(client, world):
    episode = world["cleo"]
    TransitionEpisode.objects.filter(pk=episode.pk).update(status="closed")
    html = body(client.get(episode_url(episode)))
    assert "Closed" in html
    assert "Med rec done" not in html


def test_the_history_names_the_messages_and_links_them_for_admins(org, client_for):
    admin = make_actor(org, Role.COORDINATOR, Role.ORG_ADMIN)
    PatientFactory(organization=org, mrn="H5001", given_name="Jane", family_name="Doe",
                   birth_date=dt.date(1948, 3, 7))  # fmt: skip
    for message in (adt("A01", control_id="H-1", authority="lakeside"),
                    adt("A03", control_id="H-2", authority="lakeside", discharged="20260303100000",
                        disposition="03")):  # fmt: skip
        assert handle_message(message, organization=org).code == "AA"
    episode = TransitionEpisode.objects.get()
    html = body(client_for(admin).get(episode_url(episode)))
    assert "ADT^A03 H-2" in html
    assert "ADT^A01 H-1" in html
    assert "/transitions/messages/" in html
    assert "Discharge disposition: — → Skilled nursing facility" in html
    assert "Status: In progress → Finished" in html
    coordinator_html = body(client_for(make_actor(org)).get(episode_url(episode)))
    assert "ADT^A03 H-2" in coordinator_html
    assert "/transitions/messages/" not in coordinator_html


# --- the chart's Hospital stays tab -------------------------------------------------------------------------


def test_the_hospital_stays_tab_lists_stays_and_episodes(client, world, org, hospital, actor):
    ada = world["ada"].patient
    services.encounter_register(organization=org, patient=ada, facility=hospital, source={"event": "A04"},
                                data={"visit_number": "ED1", "encounter_class": "EMER",
                                      "admitted_at": at(2026, 1, 10, 22)})  # fmt: skip
    response = client.get(reverse("transitions:patient_stays", args=[ada.public_id]))
    assert response.status_code == 200
    html = body(response)
    assert '<a href="/patients/' in html
    assert 'aria-current="page">Hospital stays</a>' in html
    assert "Emergency · Lakeside General" in html
    assert "Inpatient · Lakeside General" in html
    assert episode_url(world["ada"]) in html
    assert "Overdue 1 day" in html
    assert AuditEvent.objects.filter(event="transitions.stays.view", patient_public_id=ada.public_id).exists()


def test_the_hospital_stays_tab_of_another_organizations_patient_is_404(world, other_actor, client_for):
    ada = world["ada"].patient
    response = client_for(other_actor).get(reverse("transitions:patient_stays", args=[ada.public_id]))
    assert response.status_code == 404


def test_a_partner_the_patient_is_shared_with_sees_the_home_hospitals_stays(world, org, other_org, actor, client_for):
    ada = world["ada"].patient
    partner = make_actor(other_org, Role.COORDINATOR)
    stays = reverse("transitions:patient_stays", args=[ada.public_id])
    assert client_for(partner).get(stays).status_code == 404  # not shared yet
    share_by_consent(actor, ada, other_org, TODAY)
    services.encounter_register(organization=other_org, patient=ada, source={"event": "A04"},
                                facility=ExternalOrganizationFactory(organization=other_org, name="Their ER"),
                                data={"visit_number": "T1", "encounter_class": "EMER",
                                      "admitted_at": at(2026, 1, 10, 22)})  # fmt: skip
    html = body(client_for(partner).get(stays))
    assert "Inpatient · Lakeside General" in html
    assert "Emergency · Their ER" in html
    assert f"Transition episode at {org.name}" in html
    assert episode_url(world["ada"]) not in html  # the hospital's own workflow page is not the partner's
    # The partner's stay reports back to the home organization (docs/security.md), but is the partner's to change.
    assert "Emergency · Their ER" in body(client_for(actor).get(stays))
    third = make_actor(OrganizationFactory(name="Third"), Role.COORDINATOR)
    share_by_consent(actor, ada, third.organization, TODAY)
    assert "Their ER" not in body(client_for(third).get(stays))  # partners do not read each other's records


def test_a_patient_without_stays(client, org):
    patient = PatientFactory(organization=org)
    html = body(client.get(reverse("transitions:patient_stays", args=[patient.public_id])))
    assert "No hospital or emergency stays" in html


# --- the daily job ------------------------------------------------------------------------------------------


def test_the_daily_job_closes_episodes_whose_window_ended(world):
    job = REGISTRY["carecoord.transitions.jobs.close_ended_episodes"]
    assert job.every == dt.timedelta(days=1)
    assert job.run() == 0
    with time_machine.travel(at(2026, 3, 29, 6), tick=False):  # Ada's window (from 2/27) ended 3/28
        assert job.run() == 1
    assert TransitionEpisode.objects.get(pk=world["ada"].pk).status == "closed"
    assert TransitionEpisode.objects.filter(status="open").count() == 2


# --- the board by discharge day, and the checklist's links -------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"discharged": "yesterday"}, ["Marsh, Cleo"]), ({"discharged": "today"}, []),
     ({"discharged": "week"}, ["Byron, Ada", "Okafor, Ben", "Marsh, Cleo"]),
     ({"sort": "discharge"}, ["Marsh, Cleo", "Okafor, Ben", "Byron, Ada"]),
     ({"discharged": "week", "sort": "discharge", "risk": "low"}, ["Marsh, Cleo", "Byron, Ada"])],
)  # fmt: skip
def test_the_board_finds_discharges_by_day_and_sorts_by_discharge(client, world, query, expected):
    response = client.get(reverse("transitions:dashboard"), query)
    assert response.status_code == 200
    assert rows(response) == expected


def test_a_discharge_older_than_a_week_is_not_in_the_last_7_days(client, org, world, hospital):
    old = PatientFactory(organization=org, given_name="Dora", family_name="Vance")
    discharge(org, old, hospital, admitted=at(2026, 2, 20, 9), discharged=at(2026, 2, 26, 11), visit="V9")
    assert "Vance, Dora" in rows(client.get(reverse("transitions:dashboard")))
    assert "Vance, Dora" not in rows(client.get(reverse("transitions:dashboard"), {"discharged": "week"}))


def test_the_board_counts_todays_and_yesterdays_discharges(client, world):
    html = body(client.get(reverse("transitions:dashboard")))
    assert re.search(r"<strong>0</strong> discharged today", html)
    assert re.search(r"<strong>1</strong> yesterday", html)


def test_an_unknown_discharge_day_is_a_field_error(client, world):
    response = client.get(reverse("transitions:dashboard"), {"discharged": "someday"})
    assert response.status_code == 400
    assert len(rows(response)) == 3


def test_the_checklist_links_to_the_slot_search_and_the_medications_page(client, world):
    episode = world["ada"]
    html = body(client.get(episode_url(episode)))
    visit_link = re.search(r'href="([^"]+)" id="checklist-link-follow_up_visit"', html).group(1)
    assert visit_link == f"{reverse('scheduling:find')}?patient={episode.patient.public_id}"
    med_link = re.search(r'href="([^"]+)" id="checklist-link-med_rec"', html).group(1)
    assert med_link == reverse("medications:patient_medications", args=[episode.patient.public_id])
    assert client.get(visit_link).status_code == 200
    assert client.get(med_link).status_code == 200


def test_medication_reconciliation_done_names_who_did_it(client, world, actor):
    episode = world["ada"]
    response = client.post(episode_url(episode, "step"),
                           {"step": "med_rec", "version": episode.version, "note": "List matches."})  # fmt: skip
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.med_rec_by == actor.user
    html = body(client.get(episode_url(episode)))
    med_row = re.search(r'id="deadline-med_rec">(.*?)</tr>', html, re.S).group(1)
    assert f"by {actor.user.full_name}" in med_row
    assert 'id="checklist-link-med_rec"' not in html  # done: no link to do it again
