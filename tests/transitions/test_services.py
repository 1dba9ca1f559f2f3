"""
Transitions services as the ADT feed calls them (actor None, the organization acting) and as coordinators
call the episode services: what each admit, discharge, transfer, registration, update and cancel creates,
corrects and keeps in history.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carecoord.careplans.models import Task
from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError, ValidationError
from carecoord.core.models import AuditEvent
from carecoord.messaging.models import OutboxMessage
from carecoord.patients.models import CareTeamMember
from carecoord.transitions import services
from carecoord.transitions.selectors import episode_get, episode_progress, episode_tcm_code, episodes_open_for

from ..factories import ConditionFactory, ExternalOrganizationFactory, PatientFactory, make_actor, share_by_consent

CHICAGO = ZoneInfo("America/Chicago")
SOURCE = {"event": "test"}


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHICAGO)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(at(2026, 3, 2, 18, 0), tick=False):
        yield


def stay(**overrides) -> dict:
    data = {
        "visit_number": "V1",
        "encounter_class": "IMP",
        "admission_type": "R",
        "admitted_at": at(2026, 2, 28, 9, 0),
        "location": "4 West 401",
        "reason": "Heart failure",
        "diagnoses": [],
    }
    return {**data, **overrides}


def admit(org, patient, hospital, **data):
    return services.encounter_admit(organization=org, patient=patient, facility=hospital, data=stay(**data),
                                    source=SOURCE)  # fmt: skip


def discharge(org, patient, hospital, when=None, disposition="01", **data):
    values = stay(discharged_at=when or at(2026, 3, 2, 11, 0), discharge_disposition=disposition, **data)
    return services.encounter_discharge(organization=org, patient=patient, facility=hospital, data=values,
                                        source=SOURCE)  # fmt: skip


def open_tasks(episode_or_encounter, focus):
    return Task.objects.filter(focus_type=focus, focus_id=episode_or_encounter.public_id, status="requested")


# --- admission -------------------------------------------------------------------------------------------------


def test_admission_records_the_stay_and_gives_the_care_team_a_task_and_a_notice(org, actor, patient, hospital):
    CareTeamMember.objects.create(organization=org, patient=patient, role="coordinator", user=actor.user,
                                  start_date=dt.date(2025, 1, 1))  # fmt: skip
    encounter = admit(org, patient, hospital)
    assert (encounter.status, encounter.encounter_class, encounter.facility) == ("in-progress", "IMP", hospital)
    task = Task.objects.get(focus_type="transitions.Encounter", focus_id=encounter.public_id)
    assert task.title == "Admitted to Lakeside General on February 28, 2026: reach the inpatient team"
    assert (task.owner, task.source, task.priority) == (actor.user, "transitions", "urgent")
    notice = OutboxMessage.objects.get(kind="care_team_notice")
    assert notice.to_address == actor.user.email
    assert "admitted to Lakeside General on February 28, 2026" in notice.body
    assert patient.family_name not in notice.body  # email carries no patient name
    assert AuditEvent.objects.filter(event="encounter.admit", patient_public_id=patient.public_id).exists()


def test_without_a_care_team_coordinator_the_task_goes_to_the_role(org, patient, hospital):
    encounter = admit(org, patient, hospital)
    task = Task.objects.get(focus_id=encounter.public_id)
    assert (task.owner, task.owner_role) == (None, "coordinator")
    assert not OutboxMessage.objects.exists()


def test_a_shared_patients_task_goes_to_their_coordinator_in_the_acting_organization(org, actor, other_org):
    # The care team is the home organization's record (care_team_add); a coordination organization the patient
    # is shared with finds its own coordinator there, not the whole coordinator pool. The home coordinator,
    # listed first, is not staff of the acting organization.
    home_coordinator = make_actor(other_org, Role.COORDINATOR)
    patient = PatientFactory(organization=other_org)
    share_by_consent(home_coordinator, patient, org, dt.date(2026, 1, 5))
    for user, start in ((home_coordinator.user, dt.date(2025, 1, 1)), (actor.user, dt.date(2026, 1, 5))):
        CareTeamMember.objects.create(organization=other_org, patient=patient, role="coordinator", user=user,
                                      start_date=start)  # fmt: skip
    hospital = ExternalOrganizationFactory(organization=org, name="Lakeside General", kind="hospital")
    encounter = admit(org, patient, hospital)
    task = Task.objects.get(focus_id=encounter.public_id)
    assert (task.organization, task.owner, task.owner_role) == (org, actor.user, "")


def test_a_patient_of_another_organization_cannot_be_admitted(org, other_org, hospital):
    stranger = PatientFactory(organization=other_org)
    with pytest.raises(NotFoundError):
        admit(org, stranger, hospital)


# --- discharge -----------------------------------------------------------------------------------------------


def test_discharge_opens_an_episode_with_its_deadlines_as_tasks(org, patient, hospital):
    admit(org, patient, hospital)
    encounter, episode = discharge(org, patient, hospital)  # Monday 2026-03-02
    assert encounter.status == "finished"
    assert (episode.discharge_day, episode.contact_due) == (dt.date(2026, 3, 2), dt.date(2026, 3, 4))
    assert (episode.complexity, episode.visit_due, episode.med_rec_due) == ("moderate", dt.date(2026, 3, 16),
                                                                            dt.date(2026, 3, 16))  # fmt: skip
    assert episode.window_end == dt.date(2026, 3, 31)
    tasks = {t.kind: t for t in open_tasks(episode, "transitions.TransitionEpisode")}
    assert set(tasks) == {"call", "medication_review", "schedule", "paperwork"}
    assert tasks["call"].due_date == dt.date(2026, 3, 4)
    assert tasks["schedule"].title == "Face-to-face visit within 14 days, by March 16, 2026"
    assert tasks["paperwork"].title == "Discharge home: follow-up checklist"
    assert all(t.source == "transitions" for t in tasks.values())


def test_contact_deadline_skips_the_states_holidays(org, patient, hospital):
    _, episode = discharge(org, patient, hospital, when=at(2026, 11, 25, 14, 0))  # Wednesday before Thanksgiving
    assert episode.contact_due == dt.date(2026, 11, 30)


def test_the_discharge_day_is_the_organizations_local_day(org, patient, hospital):
    late_evening = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)  # 8 pm on March 2 in Chicago
    _, episode = discharge(org, patient, hospital, when=late_evening)
    assert episode.discharge_day == dt.date(2026, 3, 2)


@pytest.mark.parametrize(
    ("disposition", "checklist", "first_step"),
    [("03", "Nursing-home handoff checklist", "facility_contact"),
     ("06", "Discharge with home health: follow-up checklist", "discharge_summary"),
     ("50", "Hospice handoff checklist", "hospice_contact"),
     ("62", "Rehabilitation or long-term hospital handoff checklist", "facility_contact"),
     ("07", "Left against medical advice: outreach checklist", "contact"),
     ("", "Discharge: find out where the patient went", "where")],
)  # fmt: skip
def test_the_disposition_picks_the_checklist(org, patient, hospital, disposition, checklist, first_step):
    _, episode = discharge(org, patient, hospital, disposition=disposition)
    assert episode.checklist[0]["key"] == first_step
    assert open_tasks(episode, "transitions.TransitionEpisode").filter(title=checklist).exists()


def test_a_death_opens_no_episode(org, patient, hospital):
    encounter, episode = discharge(org, patient, hospital, disposition="20")
    assert episode is None
    assert Task.objects.get(focus_id=encounter.public_id).title.startswith("Reported deceased at Lakeside General")


def test_lace_is_computed_at_discharge_and_shown_on_the_episode(org, patient, hospital):
    ConditionFactory(patient=patient, organization=org, code="I50.9", display="Heart failure")
    ConditionFactory(patient=patient, organization=org, code="E11.9", display="Type 2 diabetes")
    copd = {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "J44.1", "display": "COPD"}
    _, episode = discharge(org, patient, hospital, admitted_at=at(2026, 2, 27, 9, 0), admission_type="R",
                           diagnoses=[copd])  # fmt: skip
    detail = episode.lace_detail
    assert (detail["length_of_stay"], detail["l_points"]) == (3, 3)
    assert (detail["acute"], detail["charlson"], detail["emergency_visits"]) == (False, 3, 0)
    assert detail["charlson_conditions"] == ["chronic_pulmonary", "diabetes_uncomplicated", "heart_failure"]
    assert episode.lace_score == 6
    assert detail["risk"] == "moderate"
    assert episode.complexity == "moderate"


def test_high_risk_means_high_complexity_and_weekly_check_ins(org, patient, hospital):
    for month in (10, 12):  # two emergency visits in the 6 months before the admission
        services.encounter_register(organization=org, patient=patient, facility=hospital, source=SOURCE,
                                    data={"visit_number": f"ED{month}", "encounter_class": "EMER",
                                          "admitted_at": at(2025, month, 5, 22, 0)})  # fmt: skip
    _, episode = discharge(org, patient, hospital, admitted_at=at(2026, 2, 16, 9, 0), admission_type="E")
    assert episode.lace_detail["emergency_visits"] == 2
    assert episode.lace_score == 7 + 3 + 0 + 2  # 14 days, emergent, no comorbidity, 2 ED visits
    assert episode.complexity == "high"
    assert episode.visit_due == dt.date(2026, 3, 9)
    check_in = Task.objects.get(focus_id=episode.public_id, kind="check_in")
    assert check_in.recurrence == {"frequency": "weekly", "interval": 1, "count": 4}
    assert check_in.due_date == dt.date(2026, 3, 9)


def test_an_admission_within_30_days_of_a_discharge_flags_the_episode(org, patient, hospital):
    _, episode = discharge(org, patient, hospital)
    with time_machine.travel(at(2026, 3, 20, 9, 0), tick=False):
        again = admit(org, patient, hospital, visit_number="V2", admitted_at=at(2026, 3, 20, 8, 0))
    episode.refresh_from_db()
    assert episode.readmission == again
    flag = Task.objects.get(focus_id=episode.public_id, kind="other")
    assert flag.title == "Readmitted 18 days after the discharge of March 2, 2026"


def test_an_admission_after_the_window_is_not_a_readmission(org, patient, hospital):
    _, episode = discharge(org, patient, hospital)
    admit(org, patient, hospital, visit_number="V2", admitted_at=at(2026, 4, 15, 8, 0))
    episode.refresh_from_db()
    assert episode.readmission is None


def test_an_ed_registration_gets_a_seven_day_follow_up(org, patient, hospital):
    encounter = services.encounter_register(organization=org, patient=patient, facility=hospital, source=SOURCE,
                                            data={"visit_number": "ED1", "encounter_class": "EMER",
                                                  "admitted_at": at(2026, 3, 1, 23, 0)})  # fmt: skip
    task = Task.objects.get(focus_id=encounter.public_id)
    assert task.due_date == dt.date(2026, 3, 8)
    assert task.title == "Emergency visit at Lakeside General on March 1, 2026: follow up within 7 days"


def test_a_transfer_moves_the_stay_and_keeps_where_it_was(org, patient, hospital):
    admit(org, patient, hospital)
    encounter = services.encounter_transfer(organization=org, patient=patient, facility=hospital, source=SOURCE,
                                            data={"visit_number": "V1", "location": "ICU 2"})  # fmt: skip
    assert encounter.location == "ICU 2"
    assert encounter.history[-1]["changes"] == {"location": ["4 West 401", "ICU 2"]}


# --- updates and cancels ----------------------------------------------------------------------------------------


def test_cancel_admit_cancels_the_stay_and_its_tasks_keeping_history(org, patient, hospital):
    encounter = admit(org, patient, hospital)
    services.encounter_cancel_admit(organization=org, patient=patient, facility=hospital, visit_number="V1",
                                    source={"event": "A11"})  # fmt: skip
    encounter.refresh_from_db()
    assert encounter.status == "cancelled"
    assert [e["event"] for e in encounter.history] == ["admit", "cancel_admit"]
    task = Task.objects.get(focus_id=encounter.public_id)
    assert task.status == "cancelled"
    assert task.events.filter(to_status="cancelled", note="Admission cancelled by the hospital").exists()


def test_cancel_admit_lowers_the_readmission_flag(org, patient, hospital):
    _, episode = discharge(org, patient, hospital)
    admit(org, patient, hospital, visit_number="V2", admitted_at=at(2026, 3, 10, 8, 0))
    services.encounter_cancel_admit(organization=org, patient=patient, facility=hospital, visit_number="V2",
                                    source={"event": "A11"})  # fmt: skip
    episode.refresh_from_db()
    assert episode.readmission is None
    assert Task.objects.get(focus_id=episode.public_id, kind="other").status == "cancelled"


def test_cancel_admit_of_a_discharged_stay_is_refused(org, patient, hospital):
    discharge(org, patient, hospital)
    with pytest.raises(ValidationError, match="cancel the discharge"):
        services.encounter_cancel_admit(organization=org, patient=patient, facility=hospital, visit_number="V1",
                                        source={"event": "A11"})  # fmt: skip


def test_cancel_discharge_cancels_the_episode_and_a_new_discharge_reopens_it(org, patient, hospital):
    encounter, episode = discharge(org, patient, hospital)
    services.encounter_cancel_discharge(organization=org, patient=patient, facility=hospital, visit_number="V1",
                                        source={"event": "A13"})  # fmt: skip
    encounter.refresh_from_db()
    episode.refresh_from_db()
    assert (encounter.status, encounter.discharged_at, encounter.discharge_disposition) == ("in-progress", None, "")
    assert encounter.history[-1]["changes"]["discharge_disposition"] == ["01", ""]
    assert episode.status == "cancelled"
    assert not open_tasks(episode, "transitions.TransitionEpisode").exists()
    assert Task.objects.filter(focus_id=episode.public_id, status="cancelled").count() == 4

    _, reopened = discharge(org, patient, hospital, when=at(2026, 3, 3, 10, 0), disposition="03")
    assert reopened.pk == episode.pk
    assert reopened.status == "open"
    assert reopened.discharge_day == dt.date(2026, 3, 3)
    assert open_tasks(reopened, "transitions.TransitionEpisode").count() == 4  # new tasks, the old stay cancelled
    assert open_tasks(reopened, "transitions.TransitionEpisode").filter(title="Nursing-home handoff checklist").exists()


def test_update_corrects_the_discharge_and_the_deadlines_follow(org, patient, hospital):
    _, episode = discharge(org, patient, hospital)
    encounter = services.encounter_update(
        organization=org, patient=patient, facility=hospital, source={"event": "A08"},
        data={"visit_number": "V1", "discharged_at": at(2026, 3, 5, 10, 0), "attending": "Dr Who"},
        reported_demographics={"family_name": "Lovelace", "given_name": patient.given_name},
    )  # fmt: skip
    episode.refresh_from_db()
    assert episode.discharge_day == dt.date(2026, 3, 5)
    assert episode.contact_due == dt.date(2026, 3, 9)  # Thursday -> Monday
    contact = Task.objects.get(focus_id=episode.public_id, kind="call")
    assert contact.due_date == dt.date(2026, 3, 9)
    assert contact.events.filter(kind="due").exists()
    last = encounter.history[-1]
    assert last["event"] == "update"
    assert "discharged_at" in last["changes"]
    assert "attending" in last["changes"]
    assert last["changes"]["reported_demographics"] == {"family_name": ["Byron", "Lovelace"]}
    patient.refresh_from_db()
    assert patient.family_name == "Byron"  # the chart is not rewritten by a feed


def test_update_of_an_unknown_stay_changes_nothing(org, patient, hospital):
    assert services.encounter_update(organization=org, patient=patient, facility=hospital, source=SOURCE,
                                     data={"visit_number": "NOPE", "location": "X"}) is None  # fmt: skip


# --- what coordinators record -------------------------------------------------------------------------------------


def test_recording_the_contact_completes_its_task_and_turns_it_done(org, actor, patient, hospital):
    _, episode = discharge(org, patient, hospital)
    with time_machine.travel(at(2026, 3, 3, 10, 0), tick=False):
        services.episode_record_step(actor=actor, episode=episode, step="contact", note="Spoke with Ada; doing well",
                                     expected_version=episode.version)  # fmt: skip
        progress = {s.step: s.state for s in episode_progress(episode)}
    episode.refresh_from_db()
    assert episode.contact_by == actor.user
    assert progress == {"contact": "done", "med_rec": "due", "visit": "due"}
    contact = Task.objects.get(focus_id=episode.public_id, kind="call")
    assert (contact.status, contact.outcome_note) == ("completed", "Spoke with Ada; doing well")


def test_tcm_code_follows_what_was_documented(org, actor, patient, hospital):
    _, episode = discharge(org, patient, hospital)
    with time_machine.travel(at(2026, 3, 6, 16, 0), tick=False):
        for step, when in (("contact", at(2026, 3, 3, 10, 0)), ("med_rec", at(2026, 3, 6, 9, 0)),
                           ("visit", at(2026, 3, 6, 9, 30))):  # fmt: skip
            episode = services.episode_record_step(actor=actor, episode=episode, step=step, note="done", at=when,
                                                   expected_version=episode.version)  # fmt: skip
    assert episode_tcm_code(episode) == "99495"
    services.episode_set_complexity(actor=actor, episode=episode, complexity="high", expected_version=episode.version)
    assert episode_tcm_code(episode) == "99496"


def test_setting_high_complexity_moves_the_visit_deadline(org, actor, patient, hospital):
    _, episode = discharge(org, patient, hospital)
    services.episode_set_complexity(actor=actor, episode=episode, complexity="high", expected_version=episode.version)
    episode.refresh_from_db()
    assert episode.visit_due == dt.date(2026, 3, 9)
    assert Task.objects.get(focus_id=episode.public_id, kind="schedule").due_date == dt.date(2026, 3, 9)


def test_checklist_steps_complete_the_checklist_task(org, actor, patient, hospital):
    _, episode = discharge(org, patient, hospital, disposition="07")
    for step in list(episode.checklist):
        episode = services.episode_check_item(actor=actor, episode=episode, key=step["key"], done=True,
                                              expected_version=episode.version)  # fmt: skip
    assert Task.objects.get(focus_id=episode.public_id, kind="paperwork").status == "completed"


def test_a_recorded_step_ticks_the_checklist_item_of_the_same_name(org, actor, patient, hospital):
    _, episode = discharge(org, patient, hospital, disposition="01")
    for key in ("discharge_summary", "follow_up_visit", "services"):
        episode = services.episode_check_item(actor=actor, episode=episode, key=key, done=True,
                                              expected_version=episode.version)  # fmt: skip
    paperwork = Task.objects.get(focus_id=episode.public_id, kind="paperwork")
    assert paperwork.status == "requested"
    with time_machine.travel(at(2026, 3, 6, 16, 0), tick=False):
        for step, when in (("contact", at(2026, 3, 3, 10, 0)), ("med_rec", at(2026, 3, 6, 9, 0))):
            episode = services.episode_record_step(actor=actor, episode=episode, step=step, note="done", at=when,
                                                   expected_version=episode.version)  # fmt: skip
    episode.refresh_from_db()
    done = {item["key"]: item["done_at"] for item in episode.checklist}
    assert done["contact"] == at(2026, 3, 3, 10, 0).isoformat()
    assert done["med_rec"] == at(2026, 3, 6, 9, 0).isoformat()
    paperwork.refresh_from_db()
    assert paperwork.status == "completed"


def test_another_organization_sees_and_changes_nothing(org, other_actor, patient, hospital):
    _, episode = discharge(org, patient, hospital)
    assert not episodes_open_for(other_actor).exists()
    with pytest.raises(NotFoundError):
        episode_get(other_actor, episode.public_id)
    with pytest.raises(NotFoundError):
        services.episode_record_step(actor=other_actor, episode=episode, step="contact", note="x",
                                     expected_version=episode.version)  # fmt: skip


def test_episode_reads_are_audited(org, actor, patient, hospital):
    _, episode = discharge(org, patient, hospital)
    assert list(episodes_open_for(actor)) == [episode]
    episode_get(actor, episode.public_id)
    assert AuditEvent.objects.filter(event="episode.view", user=actor.user).exists()


def test_ended_windows_close(org, patient, hospital):
    _, episode = discharge(org, patient, hospital)
    with time_machine.travel(at(2026, 4, 1, 9, 0), tick=False):
        assert services.episodes_close_ended(organization=org) == 1
    episode.refresh_from_db()
    assert episode.status == "closed"
