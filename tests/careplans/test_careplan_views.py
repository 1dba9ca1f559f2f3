"""The chart's care-plan tab, a plan's page and its actions, through the test client (with and without htmx)."""

import datetime as dt

import pytest
from django.urls import reverse

from carecoord.careplans import services
from carecoord.careplans.builtin import sync_builtin_templates
from carecoord.careplans.models import CarePlan, CarePlanTemplate, Goal, Task
from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from tests.factories import ConditionFactory, PatientFactory, make_actor, share_by_consent

from .factories import CarePlanFactory, GoalFactory, TaskFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 26)
HTMX = {"HTTP_HX_REQUEST": "true"}

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def provider(org):
    return make_actor(org, Role.PROVIDER)


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")


@pytest.fixture
def plan(actor, patient):
    return CarePlanFactory(patient=patient, author=actor.user, title="Heart failure plan", start_date=TODAY)


def plan_post(**overrides) -> dict:
    data = {
        "plan-title": "Diabetes plan",
        "plan-category": "chronic",
        "plan-intent": "plan",
        "plan-start_date": "2026-11-26",
        "plan-end_date": "",
        "plan-description": "",
    }
    data.update({f"plan-{k}": v for k, v in overrides.items()})
    return data


def body(response) -> str:
    return response.content.decode()


# The chart's care-plan tab ----------------------------------------------------------------------------------


def test_the_tab_lists_plans_goals_and_the_task_timeline_and_audits_one_read(actor, client_for, patient):
    plan = CarePlanFactory(patient=patient, author=actor.user, status="draft", title="Diabetes plan")
    GoalFactory(
        careplan=plan,
        description="Bring the A1C down",
        measure_display="Hemoglobin A1c",
        target_comparator="<",
        target_value=7,
        target_unit="%",
        due_date=dt.date(2027, 2, 1),
    )
    TaskFactory(patient=patient, careplan=plan, owner=actor.user, title="Late call", due_date=dt.date(2026, 11, 20))
    TaskFactory(patient=patient, careplan=plan, owner=actor.user, title="Later visit", due_date=dt.date(2026, 12, 3))
    TaskFactory(
        patient=patient,
        owner=actor.user,
        title="Intake call",
        status="completed",
        outcome_note="Reached her; prefers mornings",
        completed_at=NOW,
        completed_by=actor.user,
    )

    response = client_for(actor).get(reverse("careplans:patient_careplans", args=[patient.public_id]))

    page = body(response)
    assert response.status_code == 200
    assert "Diabetes plan" in page
    assert "Awaiting provider approval" in page
    assert "Bring the A1C down" in page
    assert "Target: Hemoglobin A1c below 7" in page
    assert page.index("Late call") < page.index("Later visit") < page.index("Intake call")
    assert "Overdue" in page
    assert "Reached her; prefers mornings" in page
    assert 'aria-current="page">Care plan<' in page
    reads = AuditEvent.objects.filter(event="careplan.list", patient_public_id=patient.public_id)
    assert reads.count() == 1


def test_a_providers_new_plan_is_active_and_addresses_the_chosen_condition(provider, client_for, patient):
    condition = ConditionFactory(patient=patient)
    url = reverse("careplans:patient_careplan_create", args=[patient.public_id])

    response = client_for(provider).post(url, plan_post(addresses=str(condition.public_id)))

    plan = CarePlan.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == plan.get_absolute_url()
    assert plan.status == "active"
    assert plan.approved_by == provider.user
    assert list(plan.addresses.all()) == [condition]


def test_a_coordinators_plan_is_a_draft_until_a_provider_approves_it(actor, provider, client_for, patient):
    coordinator = client_for(actor)
    coordinator.post(reverse("careplans:patient_careplan_create", args=[patient.public_id]), plan_post())
    plan = CarePlan.objects.get(patient=patient)
    assert plan.status == "draft"
    page = body(coordinator.get(plan.get_absolute_url()))
    assert "Awaiting provider approval" in page
    assert "Approve plan" not in page

    approve = reverse("careplans:careplan_approve", args=[plan.public_id])
    refused = coordinator.post(approve, {"version": plan.version})
    assert refused.status_code == 403
    assert CarePlan.objects.get(pk=plan.pk).status == "draft"

    provider_client = client_for(provider)
    assert "Approve plan" in body(provider_client.get(plan.get_absolute_url()))
    assert provider_client.post(approve, {"version": plan.version}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "active"
    assert plan.approved_by == provider.user
    history = body(provider_client.get(plan.get_absolute_url()))
    assert "Approved" in history
    assert provider.user.full_name in history


def test_a_new_plan_with_errors_is_shown_again_with_them_inline(actor, client_for, patient):
    url = reverse("careplans:patient_careplan_create", args=[patient.public_id])
    response = client_for(actor).post(url, plan_post(title="", end_date="2026-01-01"))
    page = body(response)
    assert response.status_code == 400
    assert "This field is required." in page
    assert "The plan ends before it starts." in page
    assert not CarePlan.objects.filter(patient=patient).exists()


def test_applying_a_template_creates_its_goals_and_tasks_from_the_start_date(actor, client_for, patient):
    sync_builtin_templates()
    template = CarePlanTemplate.objects.get(key="type-2-diabetes", organization=None)
    ConditionFactory(patient=patient, code="E11.9")
    client = client_for(actor)
    url = reverse("careplans:patient_template_apply", args=[patient.public_id])

    response = client.post(url, {"apply-template": template.pk, "apply-start_date": "2026-12-01"})

    plan = CarePlan.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == plan.get_absolute_url()
    assert plan.template == template
    assert [c.code for c in plan.addresses.all()] == ["E11.9"]
    assert plan.goals.count() == template.goals.count()
    start = dt.date(2026, 12, 1)
    for ttask in template.tasks.all():
        assert plan.tasks.filter(title=ttask.title, due_date=start + dt.timedelta(days=ttask.offset_days)).exists()
    a1c = plan.goals.get(measure_display="Hemoglobin A1c")
    assert a1c.due_date == start + dt.timedelta(days=90)
    tab = body(client.get(reverse("careplans:patient_careplans", args=[patient.public_id])))
    assert "Intake call" in tab
    assert "12/03/2026" in tab
    assert a1c.description in tab


def test_applying_without_a_template_shows_the_error_inline(actor, client_for, patient):
    url = reverse("careplans:patient_template_apply", args=[patient.public_id])
    response = client_for(actor).post(url, {"apply-template": "", "apply-start_date": "2026-12-01"})
    assert response.status_code == 400
    assert "This field is required." in body(response)


# A plan's page ----------------------------------------------------------------------------------------------


def test_the_plan_page_shows_the_header_goals_tasks_and_history(actor, client_for, plan):
    GoalFactory(careplan=plan, description="Weigh every morning")
    TaskFactory(
        patient=plan.patient, careplan=plan, owner=actor.user, title="Weight check call", due_date=dt.date(2026, 11, 24)
    )
    page = body(client_for(actor).get(plan.get_absolute_url()))
    assert "Heart failure plan" in page
    assert "Chronic condition management" in page
    assert "Weigh every morning" in page
    assert "Weight check call" in page
    assert "Overdue" in page
    assert reverse("careplans:careplan_pdf", args=[plan.public_id]) in page
    assert AuditEvent.objects.filter(event="careplan.view", object_id=str(plan.public_id)).count() == 1


def test_status_changes_follow_the_plans_lifecycle_and_are_kept_in_history(actor, client_for, plan):
    client = client_for(actor)
    url = reverse("careplans:careplan_status", args=[plan.public_id])
    response = client.post(url, {"status": "on-hold", "reason": "In hospital", "version": plan.version})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "on-hold"
    page = body(client.get(plan.get_absolute_url()))
    assert "Reactivate" in page
    assert "Status active → on-hold: In hospital" in page
    assert client.post(url, {"status": "active", "version": plan.version}).status_code == 302
    assert CarePlan.objects.get(pk=plan.pk).status == "active"


@pytest.mark.parametrize(
    ("start", "move", "message"),
    [
        ("revoked", "active", "A care plan that is revoked cannot become active."),
        ("completed", "on-hold", "A care plan that is completed cannot become on hold."),
        ("draft", "active", "A draft plan becomes active when a provider approves it."),
    ],
)
def test_invalid_status_changes_are_refused_with_the_reason(actor, client_for, patient, start, move, message):
    plan = CarePlanFactory(patient=patient, author=actor.user, status=start)
    response = client_for(actor).post(
        reverse("careplans:careplan_status", args=[plan.public_id]), {"status": move, "version": plan.version}
    )
    assert response.status_code == 400
    assert message in body(response)
    assert CarePlan.objects.get(pk=plan.pk).status == start


def test_a_stale_edit_shows_a_conflict_keeps_the_input_and_changes_nothing(actor, client_for, plan):
    client = client_for(actor)
    edit = reverse("careplans:careplan_edit", args=[plan.public_id])
    assert 'value="Heart failure plan"' in body(client.get(edit))
    opened_version = plan.version
    services.careplan_update(
        actor=actor, careplan=plan, data={"title": "Someone else's title"}, expected_version=plan.version
    )

    response = client.post(
        edit,
        {
            "title": "My new title",
            "category": "chronic",
            "intent": "plan",
            "start_date": "2026-11-26",
            "version": opened_version,
        },
    )

    page = body(response)
    assert response.status_code == 409
    assert "Someone else saved changes to this record" in page
    assert 'value="My new title"' in page
    assert "Someone else&#x27;s title" in page
    assert CarePlan.objects.get(pk=plan.pk).title == "Someone else's title"


def test_an_edit_is_saved_and_the_history_says_who_changed_what(actor, client_for, plan):
    client = client_for(actor)
    response = client.post(
        reverse("careplans:careplan_edit", args=[plan.public_id]),
        {
            "title": "Heart failure plan (2027)",
            "category": "chronic",
            "intent": "plan",
            "start_date": "2026-11-26",
            "version": plan.version,
        },
    )
    assert response.status_code == 302
    page = body(client.get(plan.get_absolute_url()))
    history = page[page.index('id="history-panel"') :]
    assert actor.user.full_name in history
    assert "Edited title" in history
    assert "title: Heart failure plan → Heart failure plan (2027)" in history


def test_adding_a_goal_in_place_updates_the_panels_and_history(actor, client_for, plan):
    url = reverse("careplans:careplan_goal_add", args=[plan.public_id])
    response = client_for(actor).post(
        url,
        {
            "goal-description": "Walk 20 minutes a day",
            "goal-due_date": "2027-01-31",
            "goal-lifecycle_status": "active",
            "goal-achievement_status": "in-progress",
        },
        **HTMX,
    )
    page = body(response)
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert page.count('hx-swap-oob="true"') == 3  # header (new version), tasks (goal choices), history
    assert "Goal added: Walk 20 minutes a day" in page
    goal = plan.goals.get()
    assert goal.description == "Walk 20 minutes a day"
    assert goal.due_date == dt.date(2027, 1, 31)
    plan.refresh_from_db()
    assert f'name="version" value="{plan.version}"' in page


def test_goal_errors_are_shown_inline_and_nothing_is_added(actor, client_for, plan):
    url = reverse("careplans:careplan_goal_add", args=[plan.public_id])
    data = {
        "goal-description": "A1C goal",
        "goal-lifecycle_status": "active",
        "goal-achievement_status": "in-progress",
        "goal-target_comparator": "<",
    }
    client = client_for(actor)
    htmx = client.post(url, data, **HTMX)
    assert htmx.status_code == 200
    assert "Give the target value." in body(htmx)
    assert 'id="goals-panel"' in body(htmx)
    assert "hx-swap-oob" not in body(htmx)
    plain = client.post(url, data)
    assert plain.status_code == 400
    assert "Give the target value." in body(plain)
    assert not Goal.objects.filter(careplan=plan).exists()


def test_a_goal_target_without_its_kind_is_refused_not_thrown_away(actor, client_for, plan):
    url = reverse("careplans:careplan_goal_add", args=[plan.public_id])
    data = {
        "goal-description": "Reach a healthy weight",
        "goal-lifecycle_status": "active",
        "goal-achievement_status": "in-progress",
        "goal-measure_display": "Weight",
        "goal-target_comparator": "",
        "goal-target_value": "70",
        "goal-target_value_high": "90",
        "goal-target_unit": "kg",
    }
    response = client_for(actor).post(url, data)
    assert response.status_code == 400
    assert "Choose how the result compares with the target, or clear the target." in body(response)
    assert 'value="70"' in body(response)  # what was typed is kept for the correction
    assert not Goal.objects.filter(careplan=plan).exists()


def test_goal_progress_is_edited_in_place_and_a_stale_version_is_refused(actor, client_for, plan):
    goal = GoalFactory(careplan=plan)
    url = reverse("careplans:careplan_goal_status", args=[plan.public_id, goal.public_id])
    client = client_for(actor)
    data = {"lifecycle_status": "active", "achievement_status": "improving", "version": goal.version}
    assert client.post(url, data, **HTMX).status_code == 200
    goal.refresh_from_db()
    assert goal.achievement_status == "improving"

    stale = client.post(url, {**data, "achievement_status": "worsening"}, **HTMX)
    assert "Someone else saved changes to this record" in body(stale)
    assert Goal.objects.get(pk=goal.pk).achievement_status == "improving"
    history = body(client.get(plan.get_absolute_url()))
    assert "goal achievement status: in-progress → improving" in history


def test_adding_a_repeating_task_and_its_errors(actor, client_for, plan):
    goal = GoalFactory(careplan=plan)
    url = reverse("careplans:careplan_task_add", args=[plan.public_id])
    client = client_for(actor)
    data = {
        "task-title": "Weekly weight check",
        "task-kind": "check_in",
        "task-priority": "routine",
        "task-due_date": "2026-12-01",
        "task-goal": str(goal.public_id),
        "task-repeat": "weekly",
        "task-repeat_interval": "2",
        "task-repeat_count": "4",
    }

    missing_owner = client.post(url, data, **HTMX)
    assert "Choose a person or a role to own the task." in body(missing_owner)
    assert not Task.objects.filter(careplan=plan).exists()

    added = client.post(url, {**data, "task-owner": actor.user.pk}, **HTMX)
    assert added.status_code == 200
    assert "Task added: Weekly weight check" in body(added)
    task = Task.objects.get(careplan=plan)
    assert task.recurrence == {"frequency": "weekly", "interval": 2, "count": 4}
    assert task.goal == goal
    assert task.source == "careplan"
    assert task.owner == actor.user
    assert "Task added: Weekly weight check" in body(client.get(plan.get_absolute_url()))


def test_without_javascript_a_panel_action_redirects_to_the_plan(actor, client_for, plan):
    url = reverse("careplans:careplan_task_add", args=[plan.public_id])
    response = client_for(actor).post(
        url,
        {
            "task-title": "Call",
            "task-kind": "call",
            "task-priority": "routine",
            "task-due_date": "2026-12-01",
            "task-owner_role": "coordinator",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == plan.get_absolute_url()
    assert Task.objects.get(careplan=plan).owner_role == "coordinator"


def test_a_closed_plan_offers_no_edits(actor, client_for, patient):
    plan = CarePlanFactory(patient=patient, author=actor.user, status="revoked")
    page = body(client_for(actor).get(plan.get_absolute_url()))
    assert "Add goal" not in page
    assert "Add task" not in page
    assert "Edit plan" not in page


# The chart banner and other organizations -------------------------------------------------------------------


def test_the_chart_banner_counts_open_and_overdue_tasks(actor, client_for, patient):
    TaskFactory(patient=patient, owner=actor.user, due_date=dt.date(2026, 11, 20))
    TaskFactory(patient=patient, owner=actor.user, due_date=dt.date(2026, 11, 25))
    TaskFactory(patient=patient, owner=actor.user, due_date=dt.date(2026, 12, 20))
    TaskFactory(patient=patient, owner=actor.user, due_date=dt.date(2026, 11, 1), status="completed")
    page = body(client_for(actor).get(patient.get_absolute_url()))
    tab = reverse("careplans:patient_careplans", args=[patient.public_id])
    assert f'href="{tab}">3 open tasks · <strong>2 overdue</strong></a>' in page


def test_a_snoozed_late_task_is_snoozed_not_overdue_on_the_tab_and_the_banner(actor, client_for, patient):
    TaskFactory(
        patient=patient,
        owner=actor.user,
        title="Late call",
        due_date=dt.date(2026, 11, 20),
        snoozed_until=dt.date(2026, 11, 30),
        snooze_reason="Patient away",
    )
    TaskFactory(patient=patient, owner=actor.user, title="Later visit", due_date=dt.date(2026, 12, 3))
    page = body(client_for(actor).get(reverse("careplans:patient_careplans", args=[patient.public_id])))
    assert "Late call" in page
    assert "Snoozed until 11/30/2026" in page
    assert "Overdue</span>" not in page
    assert "is-overdue" not in page
    tab = reverse("careplans:patient_careplans", args=[patient.public_id])
    assert f'href="{tab}">2 open tasks · 0 overdue</a>' in page


def test_another_organization_gets_404_for_every_care_plan_url(other_actor, client_for, plan):
    goal = GoalFactory(careplan=plan)
    plan_id, patient_id = plan.public_id, plan.patient.public_id
    urls = [
        ("get", reverse("careplans:patient_careplans", args=[patient_id])),
        ("post", reverse("careplans:patient_careplan_create", args=[patient_id])),
        ("post", reverse("careplans:patient_template_apply", args=[patient_id])),
        ("get", reverse("careplans:detail", args=[plan_id])),
        ("get", reverse("careplans:careplan_edit", args=[plan_id])),
        ("post", reverse("careplans:careplan_edit", args=[plan_id])),
        ("post", reverse("careplans:careplan_approve", args=[plan_id])),
        ("post", reverse("careplans:careplan_status", args=[plan_id])),
        ("post", reverse("careplans:careplan_goal_add", args=[plan_id])),
        ("post", reverse("careplans:careplan_goal_status", args=[plan_id, goal.public_id])),
        ("post", reverse("careplans:careplan_task_add", args=[plan_id])),
        ("get", reverse("careplans:careplan_pdf", args=[plan_id])),
    ]
    client = client_for(other_actor)
    data = {
        "status": "revoked",
        "version": plan.version,
        "title": "Hijacked",
        "category": "chronic",
        "intent": "plan",
        "start_date": "2026-11-26",
        "plan-title": "x",
        "plan-category": "chronic",
        "plan-intent": "plan",
        "plan-start_date": "2026-11-26",
    }
    for method, url in urls:
        response = getattr(client, method)(url, data if method == "post" else {})
        assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"
        assert "Heart failure plan" not in body(response)
    plan.refresh_from_db()
    assert plan.title == "Heart failure plan"
    assert plan.status == "active"
    assert plan.goals.count() == 1
    assert CarePlan.objects.filter(patient=plan.patient).count() == 1


def test_a_partner_is_offered_tasks_on_the_home_plan_and_its_changes_are_refused(actor, other_org, client_for, plan):
    share_by_consent(actor, plan.patient, other_org, TODAY)
    partner = client_for(make_actor(other_org, Role.COORDINATOR))
    page = body(partner.get(plan.get_absolute_url()))
    assert "Heart failure plan" in page
    assert f"Written by</dt><dd>{plan.organization.name}" in page
    assert "Add task" in page
    for offer in ("Edit plan", "Add goal", "Change status", "Put on hold"):
        assert offer not in page
    response = partner.post(reverse("careplans:careplan_status", args=[plan.public_id]),
                            {"status": "on-hold", "version": plan.version})  # fmt: skip
    assert response.status_code == 400
    assert "You can add your own tasks to it." in body(response)
    plan.refresh_from_db()
    assert plan.status == "active"


def test_a_scheduler_reads_the_tab_but_is_offered_no_changes(org, client_for, plan):
    scheduler = make_actor(org, Role.SCHEDULER)
    client = client_for(scheduler)
    tab = body(client.get(reverse("careplans:patient_careplans", args=[plan.patient.public_id])))
    assert "Heart failure plan" in tab
    assert "New care plan" not in tab
    page = body(client.get(plan.get_absolute_url()))
    assert "Add goal" not in page
    assert "Change status" not in page
