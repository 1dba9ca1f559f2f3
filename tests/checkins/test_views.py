"""The chart's Check-ins tab, notes, questionnaires and the policy page through the test client."""

import datetime as dt

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecoord.careplans.models import Task
from carecoord.checkins import services
from carecoord.checkins.models import Assessment, CheckinCadence, OutreachAttempt, ProgressNote
from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.patients.models import Consent, PatientShare

from ..careplans.factories import CarePlanFactory, GoalFactory, TaskFactory
from ..factories import PatientFactory, RelatedPersonFactory, UserFactory, make_actor

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 9:00 in Chicago
TODAY = dt.date(2026, 11, 26)
PHQ9_ZERO = {f"phq9-{i}": 0 for i in range(1, 10)}

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")


@pytest.fixture
def client(actor, client_for):
    return client_for(actor)


def body(response) -> str:
    return response.content.decode()


def tab(patient) -> str:
    return reverse("checkins:patient_checkins", args=[patient.public_id])


def make_note(actor, patient, **data):
    return services.note_create(
        actor=actor, patient=patient, template="phone_checkin",
        data={"title": "Weekly call", "occurred_at": NOW - dt.timedelta(hours=1), "body": "Doing well.", **data},
    )  # fmt: skip


# The tab ----------------------------------------------------------------------------------------------------


def test_the_tab_shows_cadence_outreach_notes_and_questionnaires_and_audits_the_read(actor, client, patient):
    services.cadence_set(actor=actor, patient=patient, interval_days=7, reason="After ED visit")
    services.outreach_record(
        actor=actor, patient=patient, method="phone", outcome="voicemail", occurred_at=NOW - dt.timedelta(hours=2)
    )
    make_note(actor, patient)
    for hours, item in ((48, 3), (24, 1)):
        services.assessment_record(
            actor=actor, patient=patient, instrument="phq9", answers={**PHQ9_ZERO, "phq9-1": item, "phq9-2": item},
            occurred_at=NOW - dt.timedelta(hours=hours),
        )  # fmt: skip
    response = client.get(tab(patient))
    page = body(response)
    assert response.status_code == 200
    assert "12/03/2026" in page
    assert "After ED visit" in page
    assert "Left voicemail" in page
    assert "Weekly call" in page
    assert "Draft" in page
    assert "Mild depression" in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert "PHQ-9: 2 results; latest 2" in page
    assert f"/patients/{patient.public_id}/progress/" in page
    assert "1 attempt in a row" in page
    assert AuditEvent.objects.filter(event="checkins.view", patient_public_id=patient.public_id).count() == 1


def shared_with(patient, grantee_org, granted_by) -> None:
    consent = Consent.objects.create(organization=patient.organization, patient=patient, grantee=grantee_org,
                                     signed_on=dt.date(2026, 1, 2), signed_by="Rosa Delgado", method="form",
                                     recorded_by=granted_by)  # fmt: skip
    PatientShare.objects.create(patient=patient, organization=grantee_org, consent=consent, granted_by=granted_by)


def provider_named(org, name: str):
    return make_actor(org, Role.PROVIDER, user=UserFactory(full_name=name)).user


def test_two_plans_of_one_title_are_told_apart_in_the_dropdown_and_in_the_notes_goals(
    actor, client_for, other_actor, other_org, patient
):
    shared_with(patient, other_org, actor.user)
    home_plan = CarePlanFactory(patient=patient, title="Hypertension", author=provider_named(actor.organization,
                                "Michael Chen"))  # fmt: skip
    own_plan = CarePlanFactory(patient=patient, organization=other_org, title="Hypertension",
                               author=provider_named(other_org, "Ana Ruiz"))  # fmt: skip
    CarePlanFactory(patient=patient, title="Diabetes", author=actor.user)
    GoalFactory(careplan=home_plan, description="BP below 130/80")
    GoalFactory(careplan=own_plan, description="Walk daily")
    GoalFactory(careplan=home_plan, description="Less salt")
    client = client_for(other_actor)

    page = body(client.get(tab(patient)))
    assert ">Hypertension — Michael Chen, Lakeside Clinic</option>" in page
    assert ">Hypertension — Ana Ruiz, Riverside Hospital</option>" in page
    assert ">Diabetes</option>" in page  # a title of its own stays as it is

    note = body(client.get(reverse("checkins:patient_note_new", args=[patient.public_id]),
                           {"template": "phone_checkin"}))  # fmt: skip
    order = [note.index(text) for text in ("Hypertension — Michael Chen, Lakeside Clinic", "BP below 130/80",
             "Less salt", "Hypertension — Ana Ruiz, Riverside Hospital", "Walk daily")]  # fmt: skip
    assert order == sorted(order)
    assert note.count("Hypertension — Michael Chen") == 1


def test_the_care_plan_dropdown_labels_its_plans_without_a_query_for_each(actor, client, patient):
    def tab_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(tab(patient)).status_code == 200
        return len(queries)

    for name in ("Michael Chen", "Ana Ruiz"):
        CarePlanFactory(patient=patient, title="Hypertension", author=provider_named(actor.organization, name))
    before = tab_queries()
    for name in ("Grace Lee", "Omar Haddad", "Lena Park"):
        CarePlanFactory(patient=patient, title="Hypertension", author=provider_named(actor.organization, name))
    page = body(client.get(tab(patient)))
    assert ">Hypertension — Lena Park, Lakeside Clinic</option>" in page
    assert tab_queries() == before


def test_the_tab_and_records_of_another_organization_answer_404(actor, client_for, other_actor, patient):
    note = make_note(actor, patient)
    assessment, _ = services.assessment_record(
        actor=actor, patient=patient, instrument="phq2", answers={"phq2-1": 0, "phq2-2": 0}, occurred_at=NOW
    )
    stranger = client_for(other_actor)
    for url in (
        tab(patient),
        reverse("checkins:patient_timeline", args=[patient.public_id]),
        reverse("checkins:note_detail", args=[note.public_id]),
        reverse("checkins:assessment_detail", args=[assessment.public_id]),
        reverse("checkins:patient_note_new", args=[patient.public_id]) + "?template=phone_checkin",
    ):
        response = stranger.get(url)
        assert response.status_code == 404, url
        assert "Delgado" not in body(response)
    response = stranger.post(reverse("checkins:note_sign", args=[note.public_id]), {"version": note.version})
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.status == "preliminary"


def test_setting_a_cadence_uses_the_policy_and_shows_errors_inline(client, patient):
    url = reverse("checkins:patient_cadence_set", args=[patient.public_id])
    response = client.post(url, {"cadence-preset": "high_risk", "cadence-reason": "CHF"})
    assert response.status_code == 302
    cadence = CheckinCadence.objects.get(patient=patient, active=True)
    assert (cadence.interval_days, cadence.next_due) == (7, TODAY + dt.timedelta(days=7))
    response = client.post(url, {"cadence-preset": "custom", "cadence-interval_days": ""})
    assert response.status_code == 400
    assert "Give the number of days between check-ins." in body(response)
    response = client.post(url, {"cadence-preset": "custom", "cadence-interval_days": "900"})
    assert response.status_code == 400


def test_stopping_a_cadence(actor, client, patient):
    cadence = services.cadence_set(actor=actor, patient=patient, interval_days=7)
    response = client.post(reverse("checkins:cadence_stop", args=[cadence.public_id]))
    assert response.status_code == 302
    cadence.refresh_from_db()
    assert not cadence.active


# Outreach ---------------------------------------------------------------------------------------------------


def outreach_post(**overrides) -> dict:
    data = {"method": "phone", "outcome": "reached", "occurred_at": "2026-11-26T08:40", "contact": "patient",
            "note": "Doing well", "task": ""}  # fmt: skip
    data.update(overrides)
    return {f"outreach-{k}": v for k, v in data.items()}


def test_logging_a_call_from_a_task_focuses_it_on_the_task(actor, client, patient):
    task = TaskFactory(patient=patient, owner=actor.user, title="Call after discharge")
    response = client.get(tab(patient), {"task": str(task.public_id)})
    assert "For the task" in body(response)
    assert "Call after discharge" in body(response)
    assert f'value="{task.public_id}"' in body(response)
    daughter = RelatedPersonFactory(patient=patient, given_name="Ana")
    url = reverse("checkins:patient_outreach_add", args=[patient.public_id])
    response = client.post(url, outreach_post(task=str(task.public_id), contact=str(daughter.public_id)))
    assert response.status_code == 302
    attempt = OutreachAttempt.objects.get(patient=patient)
    assert (attempt.task, attempt.related_person, attempt.outcome) == (task, daughter, "reached")
    assert attempt.occurred_at == dt.datetime(2026, 11, 26, 14, 40, tzinfo=dt.UTC)  # 8:40 Chicago time


def test_bad_outreach_input_is_shown_again(client, patient):
    url = reverse("checkins:patient_outreach_add", args=[patient.public_id])
    response = client.post(url, outreach_post(outcome=""))
    assert response.status_code == 400
    response = client.post(url, outreach_post(occurred_at="2026-11-27T12:00"))
    assert response.status_code == 400
    assert "cannot be in the future" in body(response)
    response = client.post(url, outreach_post(contact="not-a-person"))
    assert response.status_code == 400
    assert not OutreachAttempt.objects.exists()


def test_a_task_of_another_patient_is_not_found(actor, client, patient):
    other_task = TaskFactory(patient=PatientFactory(organization=patient.organization), owner=actor.user)
    url = reverse("checkins:patient_outreach_add", args=[patient.public_id])
    assert client.post(url, outreach_post(task=str(other_task.public_id))).status_code == 404


# Notes ------------------------------------------------------------------------------------------------------


def test_each_template_shows_its_sections(actor, client, patient):
    plan = CarePlanFactory(patient=patient, author=actor.user)
    GoalFactory(careplan=plan, description="Walk 20 minutes a day")
    url = reverse("checkins:patient_note_new", args=[patient.public_id])
    phone = body(client.get(url, {"template": "phone_checkin"}))
    assert "Medication adherence" in phone
    assert "Symptoms" in phone
    assert "Walk 20 minutes a day" in phone
    review = body(client.get(url, {"template": "case_review"}))
    assert "Medication adherence" not in review
    assert "Barriers" in review
    assert "Walk 20 minutes a day" in review
    assert client.get(url, {"template": "nonsense"}).status_code == 404


def note_post(**overrides) -> dict:
    data = {"template": "phone_checkin", "title": "Weekly call", "occurred_at": "2026-11-26T08:30",
            "symptoms": "Less tired", "adherence": "taking", "barriers": ["transport"], "body": "Doing well.",
            "participant_patient": "on", "participant_other": "Home health nurse"}  # fmt: skip
    data.update(overrides)
    return data


def test_writing_editing_and_signing_a_note(actor, client, patient):
    url = reverse("checkins:patient_note_new", args=[patient.public_id])
    response = client.post(url, note_post())
    note = ProgressNote.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == reverse("checkins:note_detail", args=[note.public_id])
    assert note.structured["barriers"] == ["transport"]
    assert {p["name"] for p in note.participants} == {"Delgado, Rosa", "Home health nurse"}
    edit = reverse("checkins:note_edit", args=[note.public_id])
    assert "Less tired" in body(client.get(edit))
    response = client.post(edit, note_post(body="Edited text.", version=note.version))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.body == "Edited text."
    response = client.post(reverse("checkins:note_sign", args=[note.public_id]), {"version": note.version})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.is_signed
    assert len(note.content_sha256) == 64
    page = body(client.get(reverse("checkins:note_detail", args=[note.public_id]), follow=True))
    assert "Signed" in page
    assert note.content_sha256 in page
    assert "Edit draft" not in page
    response = client.post(edit, note_post(body="After signing", version=note.version), follow=True)
    assert "add an addendum instead" in body(response)
    note.refresh_from_db()
    assert note.body == "Edited text."


def test_a_stale_edit_is_a_conflict(actor, client, patient):
    note = make_note(actor, patient)
    edit = reverse("checkins:note_edit", args=[note.public_id])
    client.post(edit, note_post(version=note.version))
    response = client.post(edit, note_post(body="Stale", version=note.version))
    assert response.status_code == 409


def test_a_note_without_a_title_is_refused_inline(client, patient):
    response = client.post(reverse("checkins:patient_note_new", args=[patient.public_id]), note_post(title=""))
    assert response.status_code == 400
    assert not ProgressNote.objects.exists()


def test_every_note_view_is_audited_with_the_patient(actor, client, patient):
    note = make_note(actor, patient)
    client.get(reverse("checkins:note_detail", args=[note.public_id]))
    client.get(reverse("checkins:note_detail", args=[note.public_id]))
    events = AuditEvent.objects.filter(event="note.view", object_id=str(note.public_id))
    assert events.count() == 2
    assert {e.patient_public_id for e in events} == {patient.public_id}


def test_addenda_show_under_the_signed_note(actor, client, patient):
    note = make_note(actor, patient)
    services.note_sign(actor=actor, note=note, expected_version=note.version)
    url = reverse("checkins:note_addendum_add", args=[note.public_id])
    assert client.post(url, {"text": ""}).status_code == 400
    assert client.post(url, {"text": "Pharmacy confirmed the refill."}).status_code == 302
    page = body(client.get(reverse("checkins:note_detail", args=[note.public_id])))
    assert "Pharmacy confirmed the refill." in page
    assert actor.user.full_name in page
    assert "Pharmacy confirmed the refill." in body(client.get(tab(patient)))


def test_the_author_discards_a_draft_and_a_colleague_cannot(actor, client, client_for, org, patient):
    note = make_note(actor, patient)
    url = reverse("checkins:note_discard", args=[note.public_id])
    colleague = client_for(make_actor(org, Role.COORDINATOR))
    response = colleague.post(url, follow=True)
    assert "Only the author" in body(response)
    assert client.post(url).status_code == 302
    assert not ProgressNote.objects.filter(pk=note.pk).exists()


# Questionnaires ---------------------------------------------------------------------------------------------


def phq9_post(**answers) -> dict:
    return {"instrument": "phq9", "occurred_at": "2026-11-26T08:45", **{**PHQ9_ZERO, **answers}}


def test_the_phq9_form_has_a_radio_group_of_four_answers_per_item(client, patient):
    url = reverse("checkins:patient_assessment_new", args=[patient.public_id])
    page = body(client.get(url, {"instrument": "phq9"}))
    assert page.count('type="radio"') == 36
    assert "Thoughts that you would be better off dead" in page
    assert "Nearly every day" in page
    assert client.get(url, {"instrument": "xyz"}).status_code == 404


def test_a_phq9_in_a_note_is_scored_and_shown_on_the_note(actor, client, patient):
    note = make_note(actor, patient)
    url = reverse("checkins:note_assessment_new", args=[note.public_id])
    response = client.post(url, phq9_post(**{"phq9-1": 3, "phq9-2": 3, "phq9-3": 3, "phq9-4": 3, "phq9-5": 3}))
    assert response.status_code == 302
    assessment = Assessment.objects.get(note=note)
    assert (assessment.total, assessment.band) == (15, "Moderately severe depression")
    page = body(client.get(reverse("checkins:note_detail", args=[note.public_id])))
    assert "Moderately severe depression" in page
    assert "<strong>15</strong>" in page


def test_missing_answers_are_shown_on_the_form(client, patient):
    url = reverse("checkins:patient_assessment_new", args=[patient.public_id])
    data = phq9_post()
    del data["phq9-4"]
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Choose an answer." in body(response)
    response = client.post(url, phq9_post(**{"phq9-4": 7}))
    assert response.status_code == 400
    assert not Assessment.objects.exists()


def test_a_positive_phq2_prompts_for_the_phq9(client, patient):
    url = reverse("checkins:patient_assessment_new", args=[patient.public_id])
    response = client.post(
        url, {"instrument": "phq2", "occurred_at": "2026-11-26T08:45", "phq2-1": 2, "phq2-2": 2}, follow=True
    )
    assert "Positive PHQ-2: give the PHQ-9." in body(response)
    assert "instrument=phq9" in body(response)


def test_item_9_puts_the_safety_banner_on_every_chart_tab_and_an_urgent_task_on_the_worklist(client, patient):
    url = reverse("checkins:patient_assessment_new", args=[patient.public_id])
    client.post(url, phq9_post(**{"phq9-9": 1}))
    assert Task.objects.get(patient=patient, priority="urgent").due_date == TODAY
    banner = "Positive answer on PHQ-9 item 9 on 11/26/2026 — safety follow-up"
    for name in ("patients:chart", "careplans:patient_careplans", "checkins:patient_checkins"):
        assert banner in body(client.get(reverse(name, args=[patient.public_id]))), name
    client.post(url, phq9_post(occurred_at="2026-11-26T08:55"))
    assert banner not in body(client.get(reverse("patients:chart", args=[patient.public_id])))


# The policy -------------------------------------------------------------------------------------------------


def test_only_an_org_admin_sees_and_saves_the_policy(client, client_for, org):
    url = reverse("checkins:policy_settings")
    assert client.get(url).status_code == 404
    admin = client_for(make_actor(org, Role.ORG_ADMIN))
    assert admin.get(url).status_code == 200
    data = {"high_risk_interval_days": 5, "default_interval_days": 21, "failed_attempts_to_escalate": 2,
            "escalation_action": "letter"}  # fmt: skip
    assert admin.post(url, data).status_code == 302
    assert admin.post(url, {**data, "default_interval_days": 0}).status_code == 400
    assert org.checkin_policy.default_interval_days == 21


def test_the_log_call_action_of_a_task_opens_the_outreach_form_on_that_task(actor, client, patient):
    task = TaskFactory(patient=patient, owner=actor.user, title="Call after discharge")
    html = Template("{% load checkins_tasks %}{% log_call_action task %}").render(
        Context({"actor": actor, "task": task})
    )
    href = html.split('href="')[1].split('"')[0].replace("&amp;", "&")
    assert href == f"{tab(patient)}?task={task.public_id}#log-outreach"
    response = client.get(href.split("#")[0])
    assert "For the task" in body(response)
    assert '<details class="disclosure" id="log-outreach" open>' in body(response)
    task.status = "completed"
    assert "Log call" not in Template("{% load checkins_tasks %}{% log_call_action task %}").render(
        Context({"actor": actor, "task": task})
    )


def test_a_notes_goal_progress_names_the_care_plan_of_each_goal(actor, client_for, patient):
    from .test_services import note_data

    heart = GoalFactory(careplan=CarePlanFactory(patient=patient, title="Heart failure"), description="Weigh daily")
    sugar = GoalFactory(careplan=CarePlanFactory(patient=patient, title="Type 2 diabetes"), description="A1c below 8")
    rows = [{"goal": str(goal.public_id), "progress": "On track", "status": "improving"} for goal in (heart, sugar)]
    structured = {"symptoms": "", "adherence": "", "barriers": [], "goals": rows}
    note = services.note_create(actor=actor, patient=patient, template="phone_checkin",
                                data=note_data(structured=structured))  # fmt: skip
    services.note_sign(actor=actor, note=note, expected_version=note.version)
    page = body(client_for(actor).get(reverse("checkins:note_detail", args=[note.public_id])))
    assert '<strong>Weigh daily</strong> <span class="muted">(Heart failure)</span>' in page
    assert '<strong>A1c below 8</strong> <span class="muted">(Type 2 diabetes)</span>' in page


def test_a_goals_status_choice_has_one_way_to_leave_it_and_one_no_change(actor, client_for, patient):
    GoalFactory(careplan=CarePlanFactory(patient=patient, title="Heart failure"), description="Weigh daily")
    url = reverse("checkins:patient_note_new", args=[patient.public_id])
    page = body(client_for(actor).get(url, {"template": "phone_checkin"}))
    assert '<option value="" selected>Leave as it is</option>' in page
    assert page.count(">No change</option>") == 1
    assert "Unchanged" not in page
