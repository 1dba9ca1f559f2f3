"""Check-in services against the real database: cadence, outreach and escalation, notes, assessments."""

import datetime as dt

import pytest
import time_machine
from django.db import DatabaseError, IntegrityError, transaction

from carecoord.careplans.choices import TaskPriority, TaskSource
from carecoord.careplans.models import Task
from carecoord.checkins import services
from carecoord.checkins.models import CheckinPolicy, ProgressNote
from carecoord.checkins.notes import note_content_sha256
from carecoord.checkins.selectors import checkin_policy_for, safety_alert_for
from carecoord.core.choices import Role
from carecoord.core.errors import InvalidStateError, NotFoundError, PermissionDeniedError, ValidationError
from carecoord.patients.models import CareTeamMember

from ..careplans.factories import CarePlanFactory, GoalFactory
from ..factories import PatientFactory, RelatedPersonFactory, make_actor

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 9:00 in Chicago
TODAY = dt.date(2026, 11, 26)

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")


@pytest.fixture
def coordinator_on_team(actor, patient):
    CareTeamMember.objects.create(
        organization=patient.organization, patient=patient, role="coordinator", user=actor.user,
        start_date=dt.date(2026, 1, 1),
    )  # fmt: skip
    return actor.user


def at(hours_ago: float) -> dt.datetime:
    return NOW - dt.timedelta(hours=hours_ago)


def call(actor, patient, outcome, hours_ago=1.0, **kwargs):
    return services.outreach_record(
        actor=actor, patient=patient, method="phone", outcome=outcome, occurred_at=at(hours_ago), **kwargs
    )


def escalations(patient):
    return Task.objects.filter(patient=patient, focus_type=services.OUTREACH_FOCUS)


# Policy -----------------------------------------------------------------------------------------------------


def test_the_policy_has_the_defaults_until_an_admin_sets_it(org, actor):
    policy = checkin_policy_for(org)
    assert (policy.high_risk_interval_days, policy.default_interval_days, policy.failed_attempts_to_escalate) == (
        7,
        30,
        3,
    )
    with pytest.raises(PermissionDeniedError):
        services.checkin_policy_update(actor=actor, data={"default_interval_days": 14})
    admin = make_actor(org, Role.ORG_ADMIN)
    services.checkin_policy_update(actor=admin, data={"default_interval_days": 14, "escalation_action": "letter"})
    stored = CheckinPolicy.objects.get(organization=org)
    assert (stored.default_interval_days, stored.escalation_action) == (14, "letter")
    with pytest.raises(ValidationError):
        services.checkin_policy_update(actor=admin, data={"failed_attempts_to_escalate": 0})


# Cadence ----------------------------------------------------------------------------------------------------


def test_a_cadence_is_due_one_interval_from_today_and_replaces_the_active_one(actor, patient):
    first = services.cadence_set(actor=actor, patient=patient, interval_days=30, reason="Standard")
    assert first.next_due == TODAY + dt.timedelta(days=30)
    second = services.cadence_set(actor=actor, patient=patient, interval_days=7, reason="High risk")
    first.refresh_from_db()
    assert not first.active
    assert second.active
    assert second.next_due == TODAY + dt.timedelta(days=7)
    with pytest.raises(ValidationError):
        services.cadence_set(actor=actor, patient=patient, interval_days=0)


def test_reaching_the_patient_moves_next_due_to_the_day_reached_plus_the_interval(actor, patient):
    cadence = services.cadence_set(actor=actor, patient=patient, interval_days=7, first_due=TODAY)
    call(actor, patient, "no_answer", hours_ago=30)
    cadence.refresh_from_db()
    assert cadence.next_due == TODAY  # a failed try does not move it
    call(actor, patient, "reached", hours_ago=26)  # 11/25 in Chicago
    cadence.refresh_from_db()
    assert cadence.next_due == dt.date(2026, 12, 2)
    assert cadence.last_contact_at == at(26)
    call(actor, patient, "reached", hours_ago=50)  # an older contact logged late does not move it back
    cadence.refresh_from_db()
    assert cadence.next_due == dt.date(2026, 12, 2)


def test_the_job_puts_a_checkin_task_on_the_worklist_once_and_reaching_completes_it(
    org, actor, patient, coordinator_on_team
):
    cadence = services.cadence_set(actor=actor, patient=patient, interval_days=7, first_due=TODAY + dt.timedelta(1))
    created = services.checkin_tasks_create(organization=org)
    assert len(created) == 1
    task = created[0]
    assert task.title == "Check in with Delgado, Rosa"
    assert (task.owner, task.source, task.due_date) == (coordinator_on_team, TaskSource.CHECKINS, cadence.next_due)
    assert task.dedupe_key == f"checkin:{cadence.public_id}:{cadence.next_due.isoformat()}"
    services.checkin_tasks_create(organization=org)
    assert Task.objects.filter(patient=patient, source=TaskSource.CHECKINS).count() == 1

    call(actor, patient, "reached", task=task)
    task.refresh_from_db()
    assert task.status == "completed"
    assert task.outcome_note.startswith("Reached by phone")
    assert services.checkin_tasks_create(organization=org) == []  # next due is a week away now


def test_the_job_skips_cadences_not_yet_due_and_falls_back_to_the_coordinator_role(org, actor, patient):
    services.cadence_set(actor=actor, patient=patient, interval_days=7, first_due=TODAY + dt.timedelta(days=2))
    assert services.checkin_tasks_create(organization=org) == []
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        (task,) = services.checkin_tasks_create(organization=org)
    assert (task.owner, task.owner_role) == (None, Role.COORDINATOR)


def test_stopping_a_cadence_cancels_its_open_task(org, actor, patient):
    cadence = services.cadence_set(actor=actor, patient=patient, interval_days=7, first_due=TODAY)
    (task,) = services.checkin_tasks_create(organization=org)
    services.cadence_stop(actor=actor, cadence=cadence)
    task.refresh_from_db()
    assert task.status == "cancelled"
    with pytest.raises(InvalidStateError):
        services.cadence_stop(actor=actor, cadence=cadence)


# Outreach and escalation ------------------------------------------------------------------------------------


def test_escalation_comes_after_n_failed_attempts_in_a_row_and_not_before(org, actor, patient):
    first_of_run = call(actor, patient, "no_answer", hours_ago=5)
    call(actor, patient, "voicemail", hours_ago=4)
    assert not escalations(patient).exists()
    call(actor, patient, "wrong_number", hours_ago=1)
    (task,) = escalations(patient)
    assert task.owner_role == Role.SUPERVISOR
    assert task.priority == TaskPriority.URGENT
    assert task.title == "Unable to reach Delgado, Rosa"
    assert task.description.startswith("3 attempts in a row without reaching Delgado, Rosa (since 11/26/2026).")
    call(actor, patient, "no_answer", hours_ago=0.5)  # a fourth failure is the same run: no second task
    assert escalations(patient).count() == 1
    assert task.dedupe_key == f"outreach-escalation:{first_of_run.public_id}"  # keyed on the run's first attempt


def test_reaching_or_a_refusal_starts_the_count_again(org, actor, patient):
    call(actor, patient, "no_answer", hours_ago=9)
    call(actor, patient, "no_answer", hours_ago=8)
    call(actor, patient, "reached", hours_ago=7)
    call(actor, patient, "no_answer", hours_ago=6)
    call(actor, patient, "no_answer", hours_ago=5)
    assert not escalations(patient).exists()
    call(actor, patient, "declined", hours_ago=4)
    call(actor, patient, "voicemail", hours_ago=3)
    call(actor, patient, "voicemail", hours_ago=2)
    assert not escalations(patient).exists()
    call(actor, patient, "voicemail", hours_ago=1)
    assert escalations(patient).count() == 1
    call(actor, patient, "reached", hours_ago=0.8)
    for hours in (0.6, 0.4, 0.2):
        call(actor, patient, "no_answer", hours_ago=hours)
    assert escalations(patient).count() == 2  # a new run escalates again


def test_the_emergency_contact_action_names_the_contact(org, actor, patient, coordinator_on_team):
    admin = make_actor(org, Role.ORG_ADMIN)
    services.checkin_policy_update(
        actor=admin, data={"escalation_action": "emergency_contact", "failed_attempts_to_escalate": 2}
    )
    RelatedPersonFactory(patient=patient, given_name="Ana", family_name="Delgado", is_emergency_contact=True)
    call(actor, patient, "no_answer", hours_ago=2)
    call(actor, patient, "no_answer", hours_ago=1)
    (task,) = escalations(patient)
    assert task.title.startswith("Call Ana Delgado (")
    assert "emergency contact of Delgado, Rosa" in task.title
    assert "+13125550142" in task.description
    assert task.owner == coordinator_on_team


def test_the_letter_action_makes_a_letter_task(org, actor, patient):
    services.checkin_policy_update(
        actor=make_actor(org, Role.ORG_ADMIN), data={"escalation_action": "letter", "failed_attempts_to_escalate": 1}
    )
    call(actor, patient, "no_answer")
    (task,) = escalations(patient)
    assert task.title == "Send a letter to Delgado, Rosa"
    assert task.kind == "paperwork"


def test_outreach_refuses_a_future_time_another_patients_contact_and_other_organizations(actor, other_actor, patient):
    with pytest.raises(ValidationError):
        call(actor, patient, "reached", hours_ago=-2)
    stranger = RelatedPersonFactory()
    with pytest.raises(NotFoundError):
        call(actor, patient, "reached", related_person=stranger)
    with pytest.raises(NotFoundError):
        call(other_actor, patient, "reached")
    mother = RelatedPersonFactory(patient=patient)
    attempt = call(actor, patient, "reached", related_person=mother)
    assert attempt.related_person == mother


# Progress notes ---------------------------------------------------------------------------------------------


def note_data(**overrides):
    data = {
        "title": "Weekly call",
        "occurred_at": at(1),
        "body": "Feeling better; walking daily.",
        "structured": {"symptoms": "Less short of breath", "adherence": "taking", "barriers": ["transport"]},
        "participants": [{"kind": "patient", "name": "Rosa Delgado"}],
    }
    data.update(overrides)
    return data


def test_a_draft_changes_until_signed_then_the_service_and_the_database_refuse(actor, patient):
    note = services.note_create(actor=actor, patient=patient, template="phone_checkin", data=note_data())
    assert note.status == "preliminary"
    services.note_update(actor=actor, note=note, data=note_data(body="Edited."), expected_version=note.version)
    services.note_sign(actor=actor, note=note, expected_version=note.version)
    note.refresh_from_db()
    assert note.status == "final"
    assert note.signed_by == actor.user
    assert note.content_sha256 == note_content_sha256(note)
    with pytest.raises(InvalidStateError, match="add an addendum instead"):
        services.note_update(actor=actor, note=note, data=note_data(body="Again"), expected_version=note.version)
    with pytest.raises(InvalidStateError):
        services.note_discard(actor=actor, note=note)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        ProgressNote.objects.filter(pk=note.pk).update(body="Rewritten in SQL")


def test_the_structured_fields_follow_the_template_and_their_value_sets(actor, patient):
    review = services.note_create(actor=actor, patient=patient, template="case_review", data=note_data())
    assert set(review.structured) == {"barriers", "goals"}  # no symptoms or adherence in a case review
    with pytest.raises(ValidationError):
        services.note_create(
            actor=actor, patient=patient, template="phone_checkin",
            data=note_data(structured={"adherence": "sometimes"}),
        )  # fmt: skip
    with pytest.raises(ValidationError):
        services.note_create(actor=actor, patient=patient, template="nope", data=note_data())


def test_only_the_author_edits_signs_or_discards_a_draft(org, actor, patient):
    note = services.note_create(actor=actor, patient=patient, template="home_visit", data=note_data())
    colleague = make_actor(org, Role.COORDINATOR)
    with pytest.raises(PermissionDeniedError):
        services.note_sign(actor=colleague, note=note, expected_version=note.version)
    with pytest.raises(PermissionDeniedError):
        services.note_discard(actor=colleague, note=note)
    services.note_discard(actor=actor, note=note)
    assert not ProgressNote.objects.filter(pk=note.pk).exists()


def test_signing_a_contact_note_moves_the_cadence_and_updates_goal_status(org, actor, patient):
    cadence = services.cadence_set(actor=actor, patient=patient, interval_days=30, first_due=TODAY)
    (task,) = services.checkin_tasks_create(organization=org)
    plan = CarePlanFactory(patient=patient, author=actor.user)
    goal = GoalFactory(careplan=plan, description="Walk 20 minutes a day")
    rows = [{"goal": str(goal.public_id), "progress": "Walks most days", "status": "improving"}]
    structured = {"symptoms": "", "adherence": "", "barriers": [], "goals": rows}
    note = services.note_create(
        actor=actor, patient=patient, template="phone_checkin", data=note_data(structured=structured)
    )
    goal.refresh_from_db()
    assert goal.achievement_status == "in-progress"  # a draft changes nothing yet
    services.note_sign(actor=actor, note=note, expected_version=note.version)
    goal.refresh_from_db()
    cadence.refresh_from_db()
    task.refresh_from_db()
    assert goal.achievement_status == "improving"
    assert cadence.next_due == TODAY + dt.timedelta(days=30)
    assert task.status == "completed"


def test_a_goal_of_another_patient_is_refused(actor, patient):
    other_goal = GoalFactory(careplan=CarePlanFactory(patient=PatientFactory(organization=patient.organization)))
    rows = [{"goal": str(other_goal.public_id), "progress": "x", "status": ""}]
    with pytest.raises(ValidationError):
        services.note_create(
            actor=actor, patient=patient, template="case_review", data=note_data(structured={"goals": rows})
        )


def test_addenda_go_on_signed_notes_only(actor, patient):
    note = services.note_create(actor=actor, patient=patient, template="phone_checkin", data=note_data())
    with pytest.raises(InvalidStateError):
        services.note_addendum_add(actor=actor, note=note, text="Too early")
    services.note_sign(actor=actor, note=note, expected_version=note.version)
    addendum = services.note_addendum_add(actor=actor, note=note, text="BP was 128/80, not 182/80.")
    assert list(note.addenda.all()) == [addendum]
    with pytest.raises(ValidationError):
        services.note_addendum_add(actor=actor, note=note, text="  ")


def test_an_empty_note_cannot_be_signed(actor, patient):
    note = services.note_create(
        actor=actor, patient=patient, template="case_review", data=note_data(body="", structured={})
    )
    with pytest.raises(ValidationError):
        services.note_sign(actor=actor, note=note, expected_version=note.version)


# Assessments ------------------------------------------------------------------------------------------------

PHQ9_ZERO = {f"phq9-{i}": 0 for i in range(1, 10)}


def test_a_phq9_is_scored_and_stored_with_its_band(actor, patient):
    answers = {**PHQ9_ZERO, "phq9-1": 3, "phq9-2": 3, "phq9-3": 2, "phq9-4": 3}
    assessment, result = services.assessment_record(
        actor=actor, patient=patient, instrument="phq9", answers=answers, occurred_at=at(1)
    )
    assert result.band.label == assessment.band
    assert (assessment.total, assessment.band, assessment.severity) == (11, "Moderate depression", 2)
    assert assessment.positive
    assert not assessment.urgent
    with pytest.raises(ValidationError, match="Answer every question"):
        services.assessment_record(actor=actor, patient=patient, instrument="phq9", answers={}, occurred_at=at(1))


def test_a_positive_phq2_prompts_the_phq9(actor, patient):
    _, result = services.assessment_record(
        actor=actor, patient=patient, instrument="phq2", answers={"phq2-1": 2, "phq2-2": 1}, occurred_at=at(1)
    )
    assert result.positive
    assert result.follow_up == "Positive PHQ-2: give the PHQ-9."
    _, negative = services.assessment_record(
        actor=actor, patient=patient, instrument="phq2", answers={"phq2-1": 1, "phq2-2": 1}, occurred_at=at(1)
    )
    assert not negative.follow_up


def test_phq9_item_9_makes_one_urgent_task_and_a_banner_until_a_later_negative_phq9(
    actor, patient, coordinator_on_team
):
    assessment, _ = services.assessment_record(
        actor=actor, patient=patient, instrument="phq9", answers={**PHQ9_ZERO, "phq9-9": 1}, occurred_at=at(2)
    )
    assert assessment.urgent
    (task,) = Task.objects.filter(focus_id=assessment.public_id)
    assert (task.priority, task.due_date, task.owner) == (TaskPriority.URGENT, TODAY, coordinator_on_team)
    assert task.dedupe_key == f"assessment-urgent:{assessment.public_id}"
    alert = safety_alert_for(actor, patient)
    assert alert is not None
    assert alert.assessment == assessment

    services.assessment_record(
        actor=actor, patient=patient, instrument="gad7", answers={f"gad7-{i}": 0 for i in range(1, 8)},
        occurred_at=at(1),
    )  # fmt: skip
    assert safety_alert_for(actor, patient) is not None  # only a PHQ-9 clears it
    services.assessment_record(actor=actor, patient=patient, instrument="phq9", answers=PHQ9_ZERO, occurred_at=at(1))
    assert safety_alert_for(actor, patient) is None


def test_an_urgent_task_goes_to_supervisors_without_a_coordinator(actor, patient):
    assessment, _ = services.assessment_record(
        actor=actor, patient=patient, instrument="phq9", answers={**PHQ9_ZERO, "phq9-9": 2}, occurred_at=at(1)
    )
    task = Task.objects.get(focus_id=assessment.public_id)
    assert (task.owner, task.owner_role) == (None, Role.SUPERVISOR)


def test_an_assessment_attaches_to_a_draft_note_but_not_a_signed_one(actor, patient):
    note = services.note_create(actor=actor, patient=patient, template="phone_checkin", data=note_data())
    assessment, _ = services.assessment_record(
        actor=actor, patient=patient, instrument="phq9", answers=PHQ9_ZERO, occurred_at=at(1), note=note
    )
    assert assessment.note == note
    services.note_sign(actor=actor, note=note, expected_version=note.version)
    with pytest.raises(InvalidStateError):
        services.assessment_record(
            actor=actor, patient=patient, instrument="phq9", answers=PHQ9_ZERO, occurred_at=at(1), note=note
        )


def test_the_safety_alert_is_one_query(actor, patient, django_assert_num_queries):
    with django_assert_num_queries(1):
        safety_alert_for(actor, patient)
