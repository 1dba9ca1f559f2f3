"""
Care-plan, goal, task and template services against the real database: who may do what, the state rules,
optimistic concurrency, recurrence, and the history (CarePlanRevision, TaskEvent, AuditEvent) each write
leaves.
"""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import time_machine

from carecoord.careplans import services
from carecoord.careplans.builtin import sync_builtin_templates
from carecoord.careplans.models import (
    CarePlan,
    CarePlanRevision,
    CarePlanTemplate,
    Goal,
    Task,
    TaskEvent,
    TemplateGoal,
    TemplateTask,
)
from carecoord.careplans.selectors import WorklistFilters, worklist_for
from carecoord.core.choices import Role
from carecoord.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from carecoord.core.models import AuditEvent, Membership
from carecoord.patients.models import CareTeamMember, Consent, PatientShare

from ..factories import ConditionFactory, OrganizationFactory, PatientFactory, UserFactory, make_actor
from .factories import CarePlanFactory, GoalFactory, TaskFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 09:00 in Chicago, the test organizations' zone
TODAY = dt.date(2026, 11, 26)
APPROVAL = "careplan-approval:"  # the draft's task asking a provider to approve it

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org)


@pytest.fixture
def provider(org):
    return make_actor(org, Role.PROVIDER)


@pytest.fixture
def supervisor(org):
    return make_actor(org, Role.SUPERVISOR)


def plan_data(**overrides) -> dict:
    return {"title": "Diabetes plan", "category": "chronic", "start_date": dt.date(2026, 11, 20), **overrides}


def events(name: str, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=name, **filters))


def new_task(actor, patient, **kwargs) -> Task:
    values = {"kind": "call", "title": "Call about glucose log", "due_date": TODAY, "owner": actor.user, **kwargs}
    return services.task_create(actor=actor, patient=patient, **values)


def share(patient, with_org, by_user) -> PatientShare:
    """Shares `patient` with `with_org` under a recorded consent, as the patient's organization would."""
    consent = Consent.objects.create(
        organization=patient.organization, patient=patient, grantee=with_org, signed_on=dt.date(2026, 1, 2),
        signed_by="The patient", method="form", recorded_by=by_user,
    )  # fmt: skip
    return PatientShare.objects.create(patient=patient, organization=with_org, consent=consent, granted_by=by_user)


# Care plans -------------------------------------------------------------------------------------------------


def test_a_providers_plan_is_active_and_approved_at_once(provider, patient):
    plan = services.careplan_create(actor=provider, patient=patient, data=plan_data())
    plan.refresh_from_db()
    assert plan.status == "active"
    assert plan.approved_by == provider.user
    assert plan.approved_at == NOW
    assert plan.author == provider.user
    assert plan.organization == provider.organization
    [revision] = plan.revisions.all()
    assert revision.changed_by == provider.user
    assert revision.summary == "Created"
    [audit] = events("careplan.create")
    assert audit.user == provider.user
    assert audit.object_id == str(plan.public_id)
    assert audit.patient_public_id == patient.public_id


def test_a_coordinators_plan_is_a_draft_waiting_for_approval(actor, patient):
    plan = services.careplan_create(actor=actor, patient=patient, data=plan_data())
    plan.refresh_from_db()
    assert plan.status == "draft"
    assert plan.approved_by is None
    assert plan.approved_at is None


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SCHEDULER])
def test_auditors_and_schedulers_cannot_create_plans(org, patient, role):
    with pytest.raises((PermissionDeniedError, NotFoundError)):
        services.careplan_create(actor=make_actor(org, role), patient=patient, data=plan_data())
    assert not CarePlan.objects.exists()


def test_another_organization_cannot_create_a_plan_for_the_patient(other_org, patient):
    with pytest.raises(NotFoundError):
        services.careplan_create(actor=make_actor(other_org, Role.PROVIDER), patient=patient, data=plan_data())
    assert not CarePlan.objects.exists()


def test_a_plan_needs_a_title_and_must_not_end_before_it_starts(actor, patient):
    with pytest.raises(ValidationError, match="title") as blank:
        services.careplan_create(actor=actor, patient=patient, data=plan_data(title="  "))
    assert blank.value.field == "title"
    with pytest.raises(ValidationError, match="ends before it starts"):
        services.careplan_create(actor=actor, patient=patient, data=plan_data(end_date=dt.date(2026, 11, 19)))
    assert not CarePlan.objects.exists()


def test_a_plan_addresses_only_the_patients_own_conditions(actor, patient, org):
    own = ConditionFactory(patient=patient)
    plan = services.careplan_create(actor=actor, patient=patient, data=plan_data(), addresses=[own])
    assert list(plan.addresses.all()) == [own]

    someone_else = ConditionFactory(patient=PatientFactory(organization=org))
    with pytest.raises(NotFoundError):
        services.careplan_create(actor=actor, patient=patient, data=plan_data(title="Second"), addresses=[someone_else])
    assert CarePlan.objects.count() == 1


def test_only_a_provider_approves_and_only_a_draft(actor, provider, patient):
    plan = services.careplan_create(actor=actor, patient=patient, data=plan_data())
    with pytest.raises(PermissionDeniedError, match="Only a provider"):
        services.careplan_approve(actor=actor, careplan=plan, expected_version=plan.version)
    assert CarePlan.objects.get(pk=plan.pk).status == "draft"

    services.careplan_approve(actor=provider, careplan=plan, expected_version=plan.version)
    plan.refresh_from_db()
    assert plan.status == "active"
    assert plan.approved_by == provider.user
    assert plan.approved_at == NOW
    assert plan.revisions.first().summary == "Approved"
    assert len(events("careplan.approve")) == 1

    with pytest.raises(ValidationError, match="Only a draft"):
        services.careplan_approve(actor=provider, careplan=plan, expected_version=plan.version)


def test_a_provider_of_another_organization_cannot_approve(actor, patient, other_org):
    plan = services.careplan_create(actor=actor, patient=patient, data=plan_data())
    with pytest.raises(NotFoundError):
        services.careplan_approve(
            actor=make_actor(other_org, Role.PROVIDER), careplan=plan, expected_version=plan.version
        )
    assert CarePlan.objects.get(pk=plan.pk).status == "draft"


@pytest.mark.parametrize(
    ("start", "new"),
    [("active", "on-hold"), ("on-hold", "active"), ("active", "completed"), ("completed", "active"),
     ("draft", "revoked"), ("active", "entered-in-error")],
)  # fmt: skip
def test_plan_status_moves(actor, patient, start, new):
    plan = CarePlanFactory(patient=patient, status=start)
    services.careplan_set_status(actor=actor, careplan=plan, status=new, expected_version=plan.version, reason="why")
    plan.refresh_from_db()
    assert plan.status == new
    revision = plan.revisions.first()
    assert revision.changes == {"status": [start, new]}
    assert revision.changed_by == actor.user
    assert revision.summary.endswith(": why")
    [audit] = events("careplan.status")
    assert audit.detail == {"from": start, "to": new}


@pytest.mark.parametrize(
    ("start", "new", "message"),
    [
        ("revoked", "active", "A care plan that is revoked cannot become active."),
        ("completed", "on-hold", "A care plan that is completed cannot become on hold."),
        ("entered-in-error", "active", "A care plan that is entered in error cannot become active."),
        ("active", "active", "A care plan that is active cannot become active."),
        ("active", "finished", "cannot become finished"),
        ("draft", "active", "A draft plan becomes active when a provider approves it."),
    ],
)
def test_plan_status_refusals_say_why(actor, patient, start, new, message):
    plan = CarePlanFactory(patient=patient, status=start)
    with pytest.raises(ValidationError, match=message):
        services.careplan_set_status(actor=actor, careplan=plan, status=new, expected_version=plan.version)
    plan.refresh_from_db()
    assert plan.status == start
    assert plan.version == 1
    assert not plan.revisions.exists()


@pytest.mark.parametrize("closing", ["revoked", "completed"])
def test_closing_a_plan_cancels_its_open_tasks_and_keeps_finished_ones(actor, patient, closing):
    plan = CarePlanFactory(patient=patient, status="active")
    open_ones = [TaskFactory(patient=patient, careplan=plan, status=s) for s in ("requested", "in-progress", "on-hold")]
    done = TaskFactory(patient=patient, careplan=plan, status="completed")
    failed = TaskFactory(patient=patient, careplan=plan, status="failed")
    elsewhere = TaskFactory(patient=patient, status="requested")  # not part of the plan

    services.careplan_set_status(actor=actor, careplan=plan, status=closing, expected_version=plan.version)

    for task in open_ones:
        task.refresh_from_db()
        assert task.status == "cancelled"
        assert task.version == 2
        [event] = task.events.all()
        assert event.by == actor.user
        assert event.to_status == "cancelled"
        assert closing in event.note.lower()
    assert Task.objects.get(pk=done.pk).status == "completed"
    assert Task.objects.get(pk=failed.pk).status == "failed"
    assert Task.objects.get(pk=elsewhere.pk).status == "requested"
    assert len(events("task.status", detail__to="cancelled")) == 3


def test_putting_a_plan_on_hold_leaves_its_tasks_open(actor, patient):
    plan = CarePlanFactory(patient=patient, status="active")
    task = TaskFactory(patient=patient, careplan=plan)
    services.careplan_set_status(actor=actor, careplan=plan, status="on-hold", expected_version=plan.version)
    assert Task.objects.get(pk=task.pk).status == "requested"


def test_an_edit_records_who_changed_what(actor, patient):
    plan = services.careplan_create(actor=actor, patient=patient, data=plan_data())
    services.careplan_update(
        actor=actor, careplan=plan, data={"title": "Diabetes and BP plan", "status": "revoked"},
        expected_version=plan.version,
    )  # fmt: skip
    stored = CarePlan.objects.get(pk=plan.pk)
    assert stored.title == "Diabetes and BP plan"
    assert stored.status == "draft"
    assert stored.version == 2
    latest = stored.revisions.first()
    assert latest.changed_by == actor.user
    assert latest.version == 2
    assert latest.changes == {"title": ["Diabetes plan", "Diabetes and BP plan"]}
    assert latest.summary == "Edited title"
    assert events("careplan.update")[0].detail == {"fields": ["title"]}


def test_two_edits_from_the_same_version_the_second_conflicts(actor, patient):
    plan = services.careplan_create(actor=actor, patient=patient, data=plan_data())
    mine, theirs = CarePlan.objects.get(pk=plan.pk), CarePlan.objects.get(pk=plan.pk)
    services.careplan_update(actor=actor, careplan=mine, data={"title": "Mine"}, expected_version=1)
    with pytest.raises(ConflictError, match="Someone else saved changes"):
        services.careplan_update(
            actor=actor, careplan=theirs, data={"title": "Theirs", "description": "x"}, expected_version=1
        )
    stored = CarePlan.objects.get(pk=plan.pk)
    assert (stored.title, stored.description, stored.version) == ("Mine", "", 2)
    assert stored.revisions.count() == 2  # created + the first edit, nothing from the refused one


def test_an_edit_cannot_point_the_plan_at_another_patients_condition(actor, patient, org):
    own = ConditionFactory(patient=patient)
    plan = services.careplan_create(actor=actor, patient=patient, data=plan_data(), addresses=[own])
    foreign = ConditionFactory(patient=PatientFactory(organization=org))
    with pytest.raises(NotFoundError):
        services.careplan_update(
            actor=actor, careplan=plan, data={"title": "Changed"}, addresses=[foreign], expected_version=1
        )
    stored = CarePlan.objects.get(pk=plan.pk)
    assert stored.title == "Diabetes plan"
    assert stored.version == 1
    assert list(stored.addresses.all()) == [own]


def test_changing_what_a_plan_addresses_is_in_its_history(actor, patient):
    first, second = ConditionFactory(patient=patient), ConditionFactory(patient=patient, code="I10")
    plan = services.careplan_create(actor=actor, patient=patient, data=plan_data(), addresses=[first])
    services.careplan_update(actor=actor, careplan=plan, data={}, addresses=[second], expected_version=1)
    latest = plan.revisions.first()
    assert latest.changes == {"addresses": [[str(first.public_id)], [str(second.public_id)]]}


def test_a_closed_plan_cannot_be_edited(actor, patient):
    plan = CarePlanFactory(patient=patient, status="revoked")
    with pytest.raises(ValidationError, match="cannot be edited"):
        services.careplan_update(actor=actor, careplan=plan, data={"title": "X"}, expected_version=1)
    assert CarePlan.objects.get(pk=plan.pk).title == "Diabetes care plan"


def test_another_organization_cannot_edit_or_close_the_plan(patient, other_actor):
    plan = CarePlanFactory(patient=patient)
    with pytest.raises(NotFoundError):
        services.careplan_update(actor=other_actor, careplan=plan, data={"title": "X"}, expected_version=1)
    with pytest.raises(NotFoundError):
        services.careplan_set_status(actor=other_actor, careplan=plan, status="revoked", expected_version=1)
    stored = CarePlan.objects.get(pk=plan.pk)
    assert (stored.title, stored.status, stored.version) == ("Diabetes care plan", "active", 1)


# Goals ------------------------------------------------------------------------------------------------------


def test_adding_a_goal_is_a_change_to_the_plan(actor, patient):
    plan = CarePlanFactory(patient=patient)
    goal = services.goal_add(
        actor=actor, careplan=plan,
        data={"description": "HbA1c below 7 %", "target_comparator": "<", "target_value": Decimal("7"),
              "target_unit": "%", "measure_display": "HbA1c", "due_date": dt.date(2027, 2, 24)},
    )  # fmt: skip
    goal.refresh_from_db()
    assert goal.start_date == TODAY
    assert goal.patient == patient
    assert goal.organization == plan.organization
    assert (goal.target_comparator, goal.target_value, goal.target_unit) == ("<", Decimal("7"), "%")
    assert CarePlan.objects.get(pk=plan.pk).version == 2
    revision = plan.revisions.get()
    assert revision.summary == "Goal added: HbA1c below 7 %"
    assert revision.changed_by == actor.user
    assert revision.version == 2
    assert len(events("goal.create", object_id=str(goal.public_id))) == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"target_comparator": "<"}, "target_value", "target value"),
        ({"target_comparator": "between", "target_value": Decimal("4")}, "target_value_high", "upper value"),
        (
            {"target_comparator": "between", "target_value": Decimal("4"), "target_value_high": Decimal("4")},
            "target_value_high",
            "upper value",
        ),
        (
            {"target_comparator": "between", "target_value": Decimal("9"), "target_value_high": Decimal("4")},
            "target_value_high",
            "upper value",
        ),
        ({"start_date": dt.date(2026, 12, 1), "due_date": dt.date(2026, 11, 30)}, "due_date", "due before it starts"),
        ({"target_comparator": "=", "target_value": Decimal("4")}, "target_comparator", None),
        ({"description": ""}, "description", None),
        ({"target_value": Decimal("70"), "target_value_high": Decimal("90")}, "target_comparator", "compares"),
        ({"target_unit": "kg"}, "target_comparator", "compares"),
    ],
)
def test_goal_validation(actor, patient, data, field, message):
    plan = CarePlanFactory(patient=patient)
    with pytest.raises(ValidationError, match=message) as refused:
        services.goal_add(actor=actor, careplan=plan, data={"description": "Walk daily", **data})
    assert refused.value.field == field
    assert not Goal.objects.exists()
    assert CarePlan.objects.get(pk=plan.pk).version == 1


def test_a_between_target_with_a_higher_upper_value_is_fine(actor, patient):
    plan = CarePlanFactory(patient=patient)
    goal = services.goal_add(
        actor=actor, careplan=plan,
        data={"description": "Glucose in range", "target_comparator": "between", "target_value": Decimal("80"),
              "target_value_high": Decimal("130"), "target_unit": "mg/dL"},
    )  # fmt: skip
    assert goal.target_text == "Value between 80 and 130 mg/dL"


@pytest.mark.parametrize("status", ["revoked", "completed", "entered-in-error"])
def test_a_closed_plan_refuses_new_goals(actor, patient, status):
    plan = CarePlanFactory(patient=patient, status=status)
    with pytest.raises(ValidationError, match="closed"):
        services.goal_add(actor=actor, careplan=plan, data={"description": "Walk daily"})
    assert not Goal.objects.exists()


def test_goal_update_records_the_change_and_refuses_stale_or_invalid_edits(actor, patient):
    goal = GoalFactory(careplan=CarePlanFactory(patient=patient))
    services.goal_update(
        actor=actor, goal=goal, data={"achievement_status": "improving"}, expected_version=goal.version
    )
    goal.refresh_from_db()
    assert goal.achievement_status == "improving"
    assert goal.version == 2
    revision = goal.careplan.revisions.get()
    assert revision.changes == {"goal.achievement_status": ["in-progress", "improving"]}
    assert events("goal.update")[0].detail == {"fields": ["achievement_status"]}

    with pytest.raises(ConflictError):
        services.goal_update(actor=actor, goal=Goal.objects.get(pk=goal.pk), data={"description": "X"},
                             expected_version=1)  # fmt: skip
    with pytest.raises(ValidationError, match="due before it starts"):
        services.goal_update(actor=actor, goal=Goal.objects.get(pk=goal.pk),
                             data={"due_date": dt.date(2025, 1, 1)}, expected_version=2)  # fmt: skip
    stored = Goal.objects.get(pk=goal.pk)
    assert (stored.description, stored.due_date, stored.version) == ("HbA1c below 7 %", None, 2)


def test_a_target_without_its_kind_is_refused_only_when_the_target_is_edited(actor, patient):
    # Saved before the check existed: a progress edit still goes through, an edit of the target does not.
    goal = GoalFactory(careplan=CarePlanFactory(patient=patient), target_value=Decimal("70"), target_unit="kg")
    services.goal_update(actor=actor, goal=goal, data={"achievement_status": "improving"}, expected_version=1)
    with pytest.raises(ValidationError, match="compares") as refused:
        services.goal_update(actor=actor, goal=Goal.objects.get(pk=goal.pk), data={"target_unit": "lb"},
                             expected_version=2)  # fmt: skip
    assert refused.value.field == "target_comparator"


def test_a_goal_change_from_a_stale_plan_object_does_not_wind_the_plan_version_back(actor, patient):
    plan = services.careplan_create(actor=actor, patient=patient, data=plan_data())
    stale = CarePlan.objects.get(pk=plan.pk)  # version 1, as a page opened before the edit below
    services.careplan_update(actor=actor, careplan=plan, data={"title": "Edited"}, expected_version=1)
    services.goal_add(actor=actor, careplan=stale, data={"description": "Walk daily"})
    assert CarePlan.objects.get(pk=plan.pk).version == 3
    # So an edit begun at version 2, before the goal was added, is stale.
    with pytest.raises(ConflictError):
        services.careplan_update(actor=actor, careplan=CarePlan.objects.get(pk=plan.pk), data={"title": "Late"},
                                 expected_version=2)  # fmt: skip


# Creating tasks ---------------------------------------------------------------------------------------------


def test_task_create_writes_history_and_audit(actor, patient):
    task = new_task(actor, patient, priority="urgent", description="About the new meter")
    task.refresh_from_db()
    assert (task.status, task.priority, task.owner, task.created_by) == ("requested", "urgent", actor.user, actor.user)
    assert task.organization == actor.organization
    assert task.series is None
    assert task.recurrence == {}
    [event] = task.events.all()
    assert (event.kind, event.to_status, event.by) == ("created", "requested", actor.user)
    [audit] = events("task.create")
    assert audit.object_id == str(task.public_id)
    assert audit.user == actor.user
    assert audit.acting_organization == actor.organization
    assert audit.patient_public_id == patient.public_id


def test_the_owner_must_be_a_member_of_the_organization(actor, patient, other_actor):
    with pytest.raises(ValidationError, match="not a member") as refused:
        new_task(actor, patient, owner=other_actor.user)
    assert refused.value.field == "owner"
    outsider = UserFactory()
    with pytest.raises(ValidationError, match="not a member"):
        new_task(actor, patient, owner=outsider)
    former = make_actor(actor.organization, Role.COORDINATOR)
    Membership.objects.filter(user=former.user).update(active=False)
    with pytest.raises(ValidationError, match="not a member"):
        new_task(actor, patient, owner=former.user)
    assert not Task.objects.exists()


def test_a_task_needs_an_owner_or_a_role(actor, patient):
    with pytest.raises(ValidationError, match="owner: a person or a role"):
        new_task(actor, patient, owner=None)
    with pytest.raises(ValidationError, match="Unknown role"):
        new_task(actor, patient, owner=None, owner_role="janitor")
    with pytest.raises(ValidationError, match="cannot go to the Auditor role"):  # auditors read no charts
        new_task(actor, patient, owner=None, owner_role=Role.AUDITOR)
    task = new_task(actor, patient, owner=None, owner_role=Role.SCHEDULER)
    assert task.owner is None
    assert task.owner_role == "scheduler"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"title": "  "}, "title"), ({"kind": "dance"}, "kind"), ({"priority": "whenever"}, "priority"),
     ({"title": "x" * 201}, "title")],
)  # fmt: skip
def test_a_task_needs_a_title_and_known_codes(actor, patient, overrides, field):
    with pytest.raises(ValidationError) as refused:
        new_task(actor, patient, **overrides)
    assert refused.value.field == field
    assert not Task.objects.exists()


def test_a_task_belongs_to_a_plan_and_goal_of_its_own_patient(actor, patient, org):
    other_plan = CarePlanFactory(patient=PatientFactory(organization=org))
    with pytest.raises(NotFoundError, match="another patient"):
        new_task(actor, patient, careplan=other_plan)
    plan = CarePlanFactory(patient=patient)
    goal_elsewhere = GoalFactory(careplan=CarePlanFactory(patient=patient))
    with pytest.raises(ValidationError, match="goal must belong") as refused:
        new_task(actor, patient, careplan=plan, goal=goal_elsewhere)
    assert refused.value.field == "goal"
    with pytest.raises(ValidationError, match="goal must belong"):
        new_task(actor, patient, goal=goal_elsewhere)
    assert not Task.objects.exists()
    goal = GoalFactory(careplan=plan)
    assert new_task(actor, patient, careplan=plan, goal=goal).goal == goal


@pytest.mark.parametrize("status", ["revoked", "completed"])
def test_a_closed_plan_takes_no_new_tasks(actor, patient, status):
    plan = CarePlanFactory(patient=patient, status=status)
    with pytest.raises(ValidationError, match="closed"):
        new_task(actor, patient, careplan=plan)
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    ("recurrence", "due_date", "message"),
    [
        ({"frequency": "weekly", "interval": 0, "count": 3}, TODAY, "between 1 and 52"),
        ({"frequency": "fortnightly", "count": 3}, TODAY, "how often"),
        ({"frequency": "weekly", "count": 1}, TODAY, "between 2 and 366"),
        ({"frequency": "weekly"}, TODAY, "how many times"),
        ({"frequency": "weekly", "count": 3}, None, "first due date"),
    ],
)
def test_recurrence_is_validated(actor, patient, recurrence, due_date, message):
    with pytest.raises(ValidationError, match=message):
        new_task(actor, patient, recurrence=recurrence, due_date=due_date)
    assert not Task.objects.exists()


def test_a_recurring_task_starts_a_series(actor, patient):
    task = new_task(actor, patient, recurrence={"frequency": "weekly", "count": "4"})
    assert task.recurrence == {"frequency": "weekly", "interval": 1, "count": 4}
    assert task.series is not None
    assert task.occurrence == 1


def test_the_same_dedupe_key_gives_back_the_same_task(actor, patient):
    first = new_task(actor, patient, dedupe_key="appointment:123:schedule")
    again = new_task(actor, patient, dedupe_key="appointment:123:schedule", title="A retry")
    assert again.pk == first.pk
    assert again.title == first.title
    assert Task.objects.count() == 1
    assert len(events("task.create")) == 1


def test_a_system_creator_names_the_organization(org, patient):
    task = services.task_create(
        actor=None, organization=org, patient=patient, kind="schedule", title="Book the follow-up",
        due_date=TODAY, owner_role=Role.SCHEDULER, source="scheduling", dedupe_key="feed:1",
    )  # fmt: skip
    assert task.organization == org
    assert task.created_by is None
    assert task.source == "scheduling"
    assert task.events.get().by is None
    [audit] = events("task.create")
    assert audit.user is None
    assert audit.acting_organization == org
    assert audit.patient_public_id == patient.public_id
    with pytest.raises(ValueError, match="organization"):
        services.task_create(
            actor=None, patient=patient, kind="call", title="X", due_date=None, owner_role="coordinator"
        )


def test_a_system_creator_cannot_put_another_organizations_patient_on_its_worklist(org, other_org):
    stranger = PatientFactory(organization=other_org)
    with pytest.raises(NotFoundError):
        services.task_create(
            actor=None, organization=org, patient=stranger, kind="call", title="X", due_date=TODAY,
            owner_role=Role.COORDINATOR,
        )  # fmt: skip
    assert not Task.objects.exists()


def test_auditors_and_other_organizations_cannot_create_tasks(org, patient, other_actor):
    with pytest.raises(NotFoundError):
        new_task(make_actor(org, Role.AUDITOR), patient, owner=None, owner_role="coordinator")
    with pytest.raises(NotFoundError):
        new_task(other_actor, patient)
    assert not Task.objects.exists()


# Task status ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "new"),
    [("requested", "in-progress"), ("requested", "accepted"), ("in-progress", "on-hold"), ("on-hold", "ready"),
     ("ready", "failed"), ("requested", "cancelled"), ("received", "rejected"), ("completed", "entered-in-error"),
     ("cancelled", "entered-in-error"), ("draft", "requested")],
)  # fmt: skip
def test_task_status_moves(actor, patient, start, new):
    task = TaskFactory(patient=patient, owner=actor.user, status=start)
    assert services.task_set_status(actor=actor, task=task, status=new, expected_version=1, note="n") is None
    task.refresh_from_db()
    assert (task.status, task.version) == (new, 2)
    event = task.events.get()
    assert (event.kind, event.from_status, event.to_status, event.note, event.by) == ("status", start, new, "n",
                                                                                      actor.user)  # fmt: skip
    [audit] = events("task.status")
    assert audit.detail == {"from": start, "to": new}
    assert audit.object_id == str(task.public_id)


@pytest.mark.parametrize(
    ("start", "new"),
    [("completed", "in-progress"), ("cancelled", "requested"), ("entered-in-error", "requested"),
     ("entered-in-error", "entered-in-error"), ("in-progress", "requested"), ("requested", "done")],
)  # fmt: skip
def test_task_status_refusals(actor, patient, start, new):
    task = TaskFactory(patient=patient, owner=actor.user, status=start)
    with pytest.raises(ValidationError, match="cannot become") as refused:
        services.task_set_status(actor=actor, task=task, status=new, expected_version=1, note="n")
    assert refused.value.field == "status"
    task.refresh_from_db()
    assert (task.status, task.version) == (start, 1)
    assert not task.events.exists()


def test_completing_needs_an_outcome_note(actor, patient):
    task = TaskFactory(patient=patient, owner=actor.user)
    with pytest.raises(ValidationError, match="outcome note") as refused:
        services.task_complete(actor=actor, task=task, note="   ", expected_version=1)
    assert refused.value.field == "note"
    assert Task.objects.get(pk=task.pk).status == "requested"
    services.task_complete(actor=actor, task=task, note=" Reached her; BP fine ", expected_version=1)
    task.refresh_from_db()
    assert task.status == "completed"
    assert task.outcome_note == "Reached her; BP fine"
    assert task.completed_at == NOW
    assert task.completed_by == actor.user


def test_a_stale_status_change_conflicts(actor, patient):
    task = TaskFactory(patient=patient, owner=actor.user)
    services.task_set_status(actor=actor, task=Task.objects.get(pk=task.pk), status="in-progress", expected_version=1)
    with pytest.raises(ConflictError):
        services.task_set_status(actor=actor, task=task, status="cancelled", expected_version=1)
    assert Task.objects.get(pk=task.pk).status == "in-progress"


def test_completing_a_weekly_series_creates_each_next_occurrence(actor, patient):
    first_due = dt.date(2026, 11, 23)
    one = new_task(actor, patient, due_date=first_due, recurrence={"frequency": "weekly", "count": 3})
    two = services.task_complete(actor=actor, task=one, note="Done", expected_version=one.version)
    assert (two.occurrence, two.due_date, two.series, two.status) == (2, first_due + dt.timedelta(days=7),
                                                                      one.series, "requested")  # fmt: skip
    assert (two.owner, two.title, two.recurrence) == (one.owner, one.title, one.recurrence)
    assert two.events.get().kind == "created"
    three = services.task_complete(actor=actor, task=two, note="Done", expected_version=two.version)
    assert (three.occurrence, three.due_date) == (3, first_due + dt.timedelta(days=14))
    assert services.task_complete(actor=actor, task=three, note="Done", expected_version=three.version) is None
    assert list(Task.objects.filter(series=one.series).values_list("occurrence", "status")) == [
        (1, "completed"), (2, "completed"), (3, "completed")
    ]  # fmt: skip
    assert len(events("task.create")) == 3


def test_cancelling_an_occurrence_creates_no_next_one(actor, patient):
    one = new_task(actor, patient, recurrence={"frequency": "daily", "count": 5})
    services.task_set_status(actor=actor, task=one, status="cancelled", expected_version=1)
    assert Task.objects.filter(series=one.series).count() == 1


def test_snoozing_an_occurrence_does_not_shift_the_later_ones(actor, patient):
    first_due = dt.date(2026, 11, 23)
    one = new_task(actor, patient, due_date=first_due, recurrence={"frequency": "weekly", "count": 3})
    services.task_snooze(actor=actor, task=one, until=dt.date(2026, 12, 10), reason="In hospital", expected_version=1)
    two = services.task_complete(actor=actor, task=one, note="Reached her", expected_version=one.version)
    assert two.due_date == dt.date(2026, 11, 30)
    assert two.snoozed_until is None
    assert two.snooze_reason == ""


def test_a_monthly_series_from_the_31st_stays_on_month_ends(actor, patient):
    one = new_task(actor, patient, due_date=dt.date(2027, 1, 31), recurrence={"frequency": "monthly", "count": 3})
    two = services.task_complete(actor=actor, task=one, note="ok", expected_version=1)
    three = services.task_complete(actor=actor, task=two, note="ok", expected_version=1)
    assert (two.due_date, three.due_date) == (dt.date(2027, 2, 28), dt.date(2027, 3, 31))


# Reassign, snooze, bulk -------------------------------------------------------------------------------------


def test_reassigning_an_open_task(actor, patient, org):
    colleague = make_actor(org, Role.COORDINATOR)
    task = TaskFactory(patient=patient, owner=actor.user)
    services.task_reassign(actor=actor, task=task, owner=colleague.user, expected_version=1, note="vacation")
    task.refresh_from_db()
    assert (task.owner, task.owner_role, task.version) == (colleague.user, "", 2)
    event = task.events.get()
    assert event.kind == "reassign"
    assert colleague.user.email in event.note
    assert event.note.endswith(": vacation")
    assert len(events("task.reassign", object_id=str(task.public_id))) == 1

    services.task_reassign(actor=actor, task=task, owner=None, owner_role=Role.SCHEDULER, expected_version=2)
    task.refresh_from_db()
    assert (task.owner, task.owner_role) == (None, "scheduler")


def test_only_open_tasks_go_to_members(actor, patient, other_actor):
    task = TaskFactory(patient=patient, owner=actor.user)
    with pytest.raises(ValidationError, match="not a member"):
        services.task_reassign(actor=actor, task=task, owner=other_actor.user, expected_version=1)
    with pytest.raises(ValidationError, match="owner: a person or a role"):
        services.task_reassign(actor=actor, task=task, owner=None, expected_version=1)
    done = TaskFactory(patient=patient, owner=actor.user, status="completed")
    with pytest.raises(ValidationError, match="Only an open task"):
        services.task_reassign(actor=actor, task=done, owner=actor.user, expected_version=1)
    assert Task.objects.get(pk=task.pk).owner == actor.user
    assert not TaskEvent.objects.exists()


@pytest.mark.parametrize(
    ("until", "reason", "message"),
    [
        (TODAY, "Away", "after today"),
        (TODAY - dt.timedelta(days=3), "Away", "after today"),
        (TODAY + dt.timedelta(days=91), "Away", "at most 90 days"),
        (TODAY + dt.timedelta(days=5), "   ", "why"),
    ],
)
def test_snooze_limits(actor, patient, until, reason, message):
    task = TaskFactory(patient=patient, owner=actor.user)
    with pytest.raises(ValidationError, match=message):
        services.task_snooze(actor=actor, task=task, until=until, reason=reason, expected_version=1)
    task.refresh_from_db()
    assert task.snoozed_until is None
    assert task.version == 1


def test_snoozing_keeps_the_reason(actor, patient):
    task = TaskFactory(patient=patient, owner=actor.user)
    until = TODAY + dt.timedelta(days=90)
    services.task_snooze(actor=actor, task=task, until=until, reason=" Patient travelling ", expected_version=1)
    task.refresh_from_db()
    assert (task.snoozed_until, task.snooze_reason, task.version) == (until, "Patient travelling", 2)
    assert task.events.get().note == f"until {until.isoformat()}: Patient travelling"
    assert len(events("task.snooze")) == 1
    done = TaskFactory(patient=patient, owner=actor.user, status="completed")
    with pytest.raises(ValidationError, match="Only an open task"):
        services.task_snooze(actor=actor, task=done, until=until, reason="x", expected_version=1)


def test_snooze_limits_use_the_organizations_day(actor, patient):
    # 02:00 UTC on the 27th is still the 26th in Chicago, so the 27th is a day after today there.
    task = TaskFactory(patient=patient, owner=actor.user)
    with time_machine.travel(dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC), tick=False):
        services.task_snooze(actor=actor, task=task, until=dt.date(2026, 11, 27), reason="x", expected_version=1)
    assert Task.objects.get(pk=task.pk).snoozed_until == dt.date(2026, 11, 27)


def test_bulk_reassign_is_for_supervisors(actor, supervisor, patient, org):
    colleague = make_actor(org, Role.COORDINATOR)
    tasks = [TaskFactory(patient=patient, owner=actor.user) for _ in range(3)]
    ids = [t.public_id for t in tasks]
    with pytest.raises(PermissionDeniedError, match="supervisor"):
        services.tasks_bulk_reassign(actor=actor, task_ids=ids, owner=colleague.user)
    assert services.tasks_bulk_reassign(actor=supervisor, task_ids=[*ids, ids[0]], owner=colleague.user) == 3
    assert set(Task.objects.values_list("owner", flat=True)) == {colleague.user.pk}
    assert TaskEvent.objects.filter(kind="reassign", by=supervisor.user).count() == 3
    assert len(events("task.reassign", user=supervisor.user)) == 3


def test_bulk_reassign_takes_the_ids_as_a_form_sends_them(supervisor, actor, patient, org):
    colleague = make_actor(org, Role.COORDINATOR)
    first, second = TaskFactory(patient=patient, owner=actor.user), TaskFactory(patient=patient, owner=actor.user)
    ids = [str(first.public_id), str(second.public_id).upper(), str(first.public_id)]  # one picked twice
    assert services.tasks_bulk_reassign(actor=supervisor, task_ids=ids, owner=colleague.user) == 2
    assert set(Task.objects.values_list("owner", flat=True)) == {colleague.user.pk}


@pytest.mark.parametrize("spoiler", ["other_org", "missing", "malformed", "closed", "non_member"])
def test_bulk_reassign_is_all_or_nothing(actor, supervisor, patient, org, other_org, spoiler):
    colleague = make_actor(org, Role.COORDINATOR)
    mine = [TaskFactory(patient=patient, owner=actor.user) for _ in range(2)]
    ids = [t.public_id for t in mine]
    owner = colleague.user
    if spoiler == "other_org":
        ids.append(TaskFactory(patient=PatientFactory(organization=other_org)).public_id)
    elif spoiler == "missing":
        ids.append(uuid.uuid4())
    elif spoiler == "malformed":
        ids.append("not-a-task-id")
    elif spoiler == "closed":
        ids.append(TaskFactory(patient=patient, owner=actor.user, status="completed").public_id)
    else:
        owner = UserFactory()
    expected = NotFoundError if spoiler in ("other_org", "missing", "malformed") else ValidationError
    with pytest.raises(expected):
        services.tasks_bulk_reassign(actor=supervisor, task_ids=ids, owner=owner)
    assert set(Task.objects.filter(pk__in=[t.pk for t in mine]).values_list("owner", "version")) == {(actor.user.pk, 1)}
    assert not TaskEvent.objects.exists()
    assert not events("task.reassign")


# Access and history -----------------------------------------------------------------------------------------


def test_another_organization_cannot_act_on_the_tasks(actor, patient, other_org):
    task = TaskFactory(patient=patient, owner=actor.user)
    intruder = make_actor(other_org, Role.COORDINATOR, Role.SUPERVISOR)
    attempts = [
        lambda: services.task_set_status(actor=intruder, task=task, status="cancelled", expected_version=1),
        lambda: services.task_complete(actor=intruder, task=task, note="x", expected_version=1),
        lambda: services.task_reassign(actor=intruder, task=task, owner=intruder.user, expected_version=1),
        lambda: services.task_snooze(actor=intruder, task=task, until=TODAY + dt.timedelta(days=2), reason="x",
                                     expected_version=1),
        lambda: services.tasks_bulk_reassign(actor=intruder, task_ids=[task.public_id], owner=intruder.user),
    ]  # fmt: skip
    for attempt in attempts:
        with pytest.raises(NotFoundError):
            attempt()
    task.refresh_from_db()
    assert (task.status, task.owner, task.snoozed_until, task.version) == ("requested", actor.user, None, 1)


def test_an_auditor_cannot_work_tasks(org, actor, patient):
    task = TaskFactory(patient=patient, owner=actor.user)
    with pytest.raises(NotFoundError):
        services.task_set_status(actor=make_actor(org, Role.AUDITOR), task=task, status="cancelled", expected_version=1)
    assert Task.objects.get(pk=task.pk).status == "requested"


def test_every_task_write_leaves_history_and_audit(actor, patient, org):
    colleague = make_actor(org, Role.COORDINATOR)
    task = new_task(actor, patient)
    services.task_set_status(actor=actor, task=task, status="in-progress", expected_version=task.version)
    services.task_snooze(actor=actor, task=task, until=TODAY + dt.timedelta(days=1), reason="x",
                         expected_version=task.version)  # fmt: skip
    services.task_reassign(actor=actor, task=task, owner=colleague.user, expected_version=task.version)
    services.task_complete(actor=colleague, task=task, note="Done", expected_version=task.version)
    assert list(task.events.values_list("kind", flat=True)) == ["created", "status", "snooze", "reassign", "status"]
    trail = AuditEvent.objects.filter(object_id=str(task.public_id)).order_by("id").values_list("event", "user")
    assert list(trail) == [("task.create", actor.user.pk), ("task.status", actor.user.pk),
                           ("task.snooze", actor.user.pk), ("task.reassign", actor.user.pk),
                           ("task.status", colleague.user.pk)]  # fmt: skip


def test_a_sharing_coordination_organization_works_its_own_tasks_until_the_share_ends(actor, patient):
    coordination = OrganizationFactory(kind="coordination_organization")
    helper = make_actor(coordination, Role.COORDINATOR)
    grant = share(patient, coordination, actor.user)

    task = new_task(helper, patient, title="Arrange transport")
    assert task.organization == coordination
    assert task.owner == helper.user
    assert [t.pk for t in worklist_for(helper).tasks] == [task.pk]
    assert not list(worklist_for(actor).tasks)  # the home organization's worklist is its own
    with pytest.raises(NotFoundError):
        services.task_set_status(actor=actor, task=task, status="cancelled", expected_version=1)

    grant.revoked_at = NOW
    grant.save()
    assert not list(worklist_for(helper).tasks)
    assert not list(worklist_for(helper, WorklistFilters(include_snoozed=True)).tasks)
    with pytest.raises(NotFoundError):
        services.task_set_status(actor=helper, task=task, status="in-progress", expected_version=1)
    with pytest.raises(NotFoundError):
        new_task(helper, patient, title="Another")


def test_a_sharing_organization_plans_for_the_patient_but_not_another_sharers_plan(actor, patient):
    first_org, second_org = OrganizationFactory(), OrganizationFactory()
    first, second = make_actor(first_org, Role.PROVIDER), make_actor(second_org, Role.COORDINATOR)
    share(patient, first_org, actor.user)
    share(patient, second_org, actor.user)
    their_plan = services.careplan_create(actor=first, patient=patient, data=plan_data())
    assert their_plan.organization == first_org
    with pytest.raises(NotFoundError):
        new_task(second, patient, careplan=their_plan)
    with pytest.raises(NotFoundError):
        services.goal_add(actor=second, careplan=their_plan, data={"description": "x"})
    home_plan = CarePlanFactory(patient=patient)
    assert new_task(second, patient, careplan=home_plan).careplan == home_plan  # the home plan is shared too


def test_a_partner_carries_out_the_home_plan_but_only_its_author_changes_it(actor, patient):
    partner_org = OrganizationFactory()
    partner = make_actor(partner_org, Role.COORDINATOR)
    share(patient, partner_org, actor.user)
    plan = services.careplan_create(actor=actor, patient=patient, data=plan_data())
    goal = services.goal_add(actor=actor, careplan=plan, data={"description": "A1c under 8%"})
    refused = [
        lambda: services.careplan_set_status(actor=partner, careplan=plan, status="on-hold",
                                             expected_version=plan.version),
        lambda: services.careplan_update(actor=partner, careplan=plan, data={"title": "Ours now"},
                                         expected_version=plan.version),
        lambda: services.goal_add(actor=partner, careplan=plan, data={"description": "x"}),
        lambda: services.goal_update(actor=partner, goal=goal, data={"achievement_status": "achieved"},
                                     expected_version=goal.version),
    ]  # fmt: skip
    for change in refused:
        with pytest.raises(PermissionDeniedError, match="You can add your own tasks"):
            change()
    task = new_task(partner, patient, careplan=plan)
    assert (task.careplan, task.organization) == (plan, partner_org)
    plan.refresh_from_db()
    goal.refresh_from_db()
    assert (plan.status, plan.title, plan.goals.count()) == ("draft", "Diabetes plan", 1)
    assert goal.achievement_status != "achieved"


# Templates --------------------------------------------------------------------------------------------------

START = dt.date(2026, 3, 2)


@pytest.fixture
def diabetes():
    sync_builtin_templates()
    return CarePlanTemplate.objects.get(organization=None, key="type-2-diabetes")


def put_on_care_team(patient, user, start=dt.date(2026, 1, 1), end=None) -> CareTeamMember:
    return CareTeamMember.objects.create(
        organization=patient.organization, patient=patient, role="coordinator", user=user, start_date=start,
        end_date=end,
    )  # fmt: skip


def test_applying_a_template_creates_every_goal_and_task(actor, patient, org, diabetes):
    assigned = make_actor(org, Role.COORDINATOR)
    put_on_care_team(patient, assigned.user)
    plan = services.careplan_template_apply(actor=actor, patient=patient, template=diabetes, start_date=START)

    assert plan.template == diabetes
    assert CarePlan.objects.get(pk=plan.pk).template == diabetes
    assert (plan.title, plan.category, plan.start_date, plan.status) == (diabetes.title, "chronic", START, "draft")
    template_goals = list(diabetes.goals.all())
    goals = {g.description: g for g in plan.goals.all()}
    assert len(goals) == len(template_goals) == 4
    for tgoal in template_goals:
        goal = goals[tgoal.description]
        assert goal.start_date == START
        assert goal.due_date == START + dt.timedelta(days=tgoal.due_offset_days)
        assert (goal.target_comparator, goal.target_value) == (tgoal.target_comparator, tgoal.target_value)

    template_tasks = list(diabetes.tasks.select_related("goal"))
    # Besides the template's tasks, the draft asks the providers to approve it (test_approval_task.py).
    tasks = {t.title: t for t in plan.tasks.exclude(dedupe_key__startswith=APPROVAL).select_related("goal", "owner")}
    assert len(tasks) == len(template_tasks) == 7
    assert plan.tasks.filter(dedupe_key__startswith=APPROVAL, owner_role="provider").count() == 1
    for ttask in template_tasks:
        task = tasks[ttask.title]
        assert task.due_date == START + dt.timedelta(days=ttask.offset_days), ttask.title
        assert (task.kind, task.priority, task.source, task.patient) == (ttask.kind, ttask.priority, "careplan",
                                                                         patient)  # fmt: skip
        assert (task.goal.description if task.goal else None) == (ttask.goal.description if ttask.goal else None)
        if ttask.owner_role == Role.COORDINATOR:
            assert (task.owner, task.owner_role) == (assigned.user, ""), ttask.title
        else:
            assert (task.owner, task.owner_role) == (None, ttask.owner_role), ttask.title
        if ttask.recurrence_frequency:
            assert task.series is not None
            assert task.recurrence == {
                "frequency": ttask.recurrence_frequency,
                "interval": ttask.recurrence_interval,
                "count": ttask.recurrence_count,
            }
        else:
            assert task.series is None
            assert task.recurrence == {}
    checkin = tasks["Diabetes check-in call"]
    assert checkin.recurrence == {"frequency": "weekly", "interval": 2, "count": 6}
    assert checkin.due_date == dt.date(2026, 3, 16)
    assert len(events("careplan.template_apply", object_id=str(plan.public_id))) == 1
    assert len(events("task.create")) == 7 + 1  # and the approval task


def test_without_a_care_team_coordinator_the_tasks_stay_with_the_role(actor, patient, diabetes, org, other_org):
    put_on_care_team(patient, make_actor(org).user, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))  # past
    outsider = make_actor(other_org).user  # not a member of the organization applying the template
    put_on_care_team(patient, outsider)
    plan = services.careplan_template_apply(actor=actor, patient=patient, template=diabetes, start_date=START)
    coordinator_tasks = plan.tasks.filter(owner_role=Role.COORDINATOR)
    assert coordinator_tasks.count() == 5
    assert not plan.tasks.filter(owner__isnull=False).exists()


def test_the_current_coordinator_gets_the_tasks_of_a_backdated_plan(actor, patient, diabetes, org):
    assigned = make_actor(org).user
    put_on_care_team(patient, assigned, start=dt.date(2026, 6, 1))  # joined after the plan's start, before today
    plan = services.careplan_template_apply(actor=actor, patient=patient, template=diabetes, start_date=START)
    assert plan.tasks.filter(owner=assigned).count() == 5


def test_a_providers_application_is_active(provider, patient, diabetes):
    plan = services.careplan_template_apply(actor=provider, patient=patient, template=diabetes, start_date=START)
    assert plan.status == "active"
    assert plan.approved_by == provider.user


def test_a_template_of_another_organization_is_refused(actor, patient, other_org):
    theirs = CarePlanTemplate.objects.create(organization=other_org, key="theirs", title="Theirs", category="other")
    TemplateTask.objects.create(template=theirs, title="Call", kind="call")
    with pytest.raises(NotFoundError):
        services.careplan_template_apply(actor=actor, patient=patient, template=theirs, start_date=START)
    retired = CarePlanTemplate.objects.create(
        organization=actor.organization, key="retired", title="Retired", category="other", active=False
    )
    with pytest.raises(NotFoundError):
        services.careplan_template_apply(actor=actor, patient=patient, template=retired, start_date=START)
    assert not CarePlan.objects.exists()
    assert not Task.objects.exists()


def test_an_organization_template_applies_in_its_own_organization(actor, patient):
    ours = CarePlanTemplate.objects.create(organization=actor.organization, key="ours", title="Ours",
                                           category="other")  # fmt: skip
    goal = TemplateGoal.objects.create(template=ours, description="Feels supported")
    TemplateTask.objects.create(template=ours, goal=goal, title="Call", kind="call", offset_days=3)
    plan = services.careplan_template_apply(actor=actor, patient=patient, template=ours, start_date=START)
    task = plan.tasks.exclude(dedupe_key__startswith=APPROVAL).get()
    assert task.goal.description == "Feels supported"
    assert task.due_date == dt.date(2026, 3, 5)
    assert plan.goals.get().due_date is None


def test_another_organization_cannot_apply_a_template_to_the_patient(other_actor, patient, diabetes):
    with pytest.raises(NotFoundError):
        services.careplan_template_apply(actor=other_actor, patient=patient, template=diabetes, start_date=START)
    assert not CarePlan.objects.exists()


@pytest.mark.parametrize("broken", [{"kind": "dance"}, {"owner_role": "janitor"}])
def test_applying_a_template_is_all_or_nothing(actor, patient, broken):
    ours = CarePlanTemplate.objects.create(organization=actor.organization, key="ours", title="Ours",
                                           category="other")  # fmt: skip
    TemplateGoal.objects.create(template=ours, description="Feels supported", due_offset_days=30)
    TemplateTask.objects.create(template=ours, title="Intake call", kind="call", offset_days=1)
    TemplateTask.objects.create(template=ours, title="Weekly call", kind="call", offset_days=2,
                                recurrence_frequency="weekly", recurrence_count=4)  # fmt: skip
    bad = TemplateTask.objects.create(template=ours, title="Broken", kind="call", offset_days=30)
    TemplateTask.objects.filter(pk=bad.pk).update(**broken)  # as a bad row would arrive, past model validation
    with pytest.raises(ValidationError):
        services.careplan_template_apply(actor=actor, patient=patient, template=ours, start_date=START)
    assert not CarePlan.objects.exists()
    assert not Goal.objects.exists()
    assert not Task.objects.exists()
    assert not TaskEvent.objects.exists()
    assert not CarePlanRevision.objects.exists()
    assert not AuditEvent.objects.filter(event__in=["careplan.create", "task.create"]).exists()
