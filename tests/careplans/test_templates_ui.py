"""
The organization's own care-plan templates: the services (copy, create, edit, goals, tasks; built-ins
read-only; roles; versions; validation; tenancy), the pages through the test client (with and without htmx),
and applying an edited copy to a patient.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse

from carecoord.careplans import services as careplan_services
from carecoord.careplans import template_services as ts
from carecoord.careplans.builtin import sync_builtin_templates
from carecoord.careplans.models import CarePlanTemplate, TemplateGoal, TemplateTask
from carecoord.careplans.selectors import templates_for
from carecoord.core.choices import Role
from carecoord.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import AuditEvent
from tests.factories import PatientFactory, make_actor

HTMX = {"HTTP_HX_REQUEST": "true"}
START = dt.date(2026, 3, 2)
GOAL_COPIED = (*ts.GOAL_FIELDS, "position")
TASK_COPIED = tuple(name for name in (*ts.TASK_FIELDS, "position") if name != "goal")


@pytest.fixture
def diabetes(db):
    sync_builtin_templates()
    return CarePlanTemplate.objects.get(organization=None, key="type-2-diabetes")


@pytest.fixture
def provider(org):
    return make_actor(org, Role.PROVIDER)


@pytest.fixture
def other_provider(other_org):
    return make_actor(other_org, Role.PROVIDER)


@pytest.fixture
def ours(provider):
    """One of the organization's templates with a goal and a task toward it."""
    template = ts.template_create(actor=provider, data={"title": "Falls prevention", "category": "other"})
    goal = ts.template_goal_add(
        actor=provider, template=template, data={"description": "No falls", "due_offset_days": 90}
    )
    ts.template_task_add(
        actor=provider,
        template=template,
        data={"title": "Home safety visit", "kind": "visit", "offset_days": 14, "goal": goal},
    )
    template.refresh_from_db()
    return template


def events(name: str, **filters):
    return list(AuditEvent.objects.filter(event=name, **filters))


def body(response) -> str:
    return response.content.decode()


def task_post(prefix="task", **overrides) -> dict:
    data = {
        "title": "Weekly weigh-in call",
        "kind": "call",
        "priority": "routine",
        "owner_role": "coordinator",
        "offset_days": "7",
        "goal": "",
        "recurrence_frequency": "",
        "recurrence_interval": "1",
        "recurrence_count": "",
        "description": "",
    }
    data.update(overrides)
    return {f"{prefix}-{name}": value for name, value in data.items()}


# Copy -------------------------------------------------------------------------------------------------------


def test_copying_a_builtin_keeps_every_goal_and_task(provider, diabetes, org):
    copy = ts.template_copy(actor=provider, template=diabetes)

    assert (copy.organization, copy.key, copy.title) == (org, "type-2-diabetes", "Type 2 diabetes (copy)")
    assert (copy.category, copy.description, copy.condition_codes, copy.source_note, copy.active) == (
        diabetes.category, diabetes.description, diabetes.condition_codes, diabetes.source_note, True
    )  # fmt: skip
    pairs = list(zip(diabetes.goals.all(), copy.goals.all(), strict=True))
    assert len(pairs) == 4
    for original, copied in pairs:
        assert [getattr(copied, n) for n in GOAL_COPIED] == [getattr(original, n) for n in GOAL_COPIED]
    tasks = list(zip(diabetes.tasks.select_related("goal"), copy.tasks.select_related("goal"), strict=True))
    assert len(tasks) == 7
    for original, copied in tasks:
        assert [getattr(copied, n) for n in TASK_COPIED] == [getattr(original, n) for n in TASK_COPIED]
        # The link goes to the copy's own goal, never back to the built-in's.
        assert (copied.goal.template_id if copied.goal else None) == (copy.pk if original.goal else None)
        assert (copied.goal.description if copied.goal else None) == (
            original.goal.description if original.goal else None
        )
    assert diabetes.goals.count() == 4  # the built-in is untouched
    assert [e.object_id for e in events("careplan_template.copy")] == [str(copy.public_id)]


def test_copies_get_the_next_free_key_in_the_organization(provider, other_provider, diabetes, ours):
    first = ts.template_copy(actor=provider, template=diabetes)
    second = ts.template_copy(actor=provider, template=diabetes)
    again = ts.template_copy(actor=provider, template=ours)
    theirs = ts.template_copy(actor=other_provider, template=diabetes)
    assert (first.key, second.key, again.key, theirs.key) == (
        "type-2-diabetes", "type-2-diabetes-2", "falls-prevention-2", "type-2-diabetes"
    )  # fmt: skip
    assert again.tasks.get().goal == again.goals.get()


# Built-ins are read-only ------------------------------------------------------------------------------------


def every_write(actor, template):
    goal, task = template.goals.first(), template.tasks.first()
    return {
        "update": lambda: ts.template_update(actor=actor, template=template, data={"title": "x"}, expected_version=1),
        "goal_add": lambda: ts.template_goal_add(actor=actor, template=template, data={"description": "x"}),
        "goal_update": lambda: ts.template_goal_update(actor=actor, goal=goal, data={"description": "x"}),
        "goal_remove": lambda: ts.template_goal_remove(actor=actor, goal=goal),
        "task_add": lambda: ts.template_task_add(
            actor=actor, template=template, data={"title": "x", "kind": "call", "offset_days": 1}
        ),
        "task_update": lambda: ts.template_task_update(actor=actor, task=task, data={"title": "x"}),
        "task_remove": lambda: ts.template_task_remove(actor=actor, task=task),
    }


def test_builtin_templates_cannot_be_changed(org, diabetes):
    admin = make_actor(org, Role.ORG_ADMIN, Role.PROVIDER, Role.SUPERVISOR)
    version, goals, tasks = diabetes.version, diabetes.goals.count(), diabetes.tasks.count()
    for name, write in every_write(admin, diabetes).items():
        with pytest.raises(PermissionDeniedError) as caught:
            write()
        assert caught.value.message == "Built-in templates can't be changed; copy it to adapt it.", name
    diabetes.refresh_from_db()
    assert (diabetes.title, diabetes.version) == ("Type 2 diabetes", version)
    assert (diabetes.goals.count(), diabetes.tasks.count()) == (goals, tasks)
    assert not AuditEvent.objects.filter(event__startswith="careplan_template.").exists()


# Who may manage ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.SUPERVISOR, Role.ORG_ADMIN])
def test_providers_supervisors_and_admins_manage_templates(org, diabetes, role):
    manager = make_actor(org, role)
    made = ts.template_create(actor=manager, data={"title": "Asthma", "category": "chronic"})
    copy = ts.template_copy(actor=manager, template=diabetes)
    ts.template_update(actor=manager, template=made, data={"active": False}, expected_version=made.version)
    assert {made.organization, copy.organization} == {org}
    assert ts.can_manage_templates(manager)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SCHEDULER])
def test_coordinators_view_and_apply_but_do_not_manage(org, diabetes, ours, role):
    member = make_actor(org, role)
    assert ts.template_get(member, ours.public_id) == ours
    assert set(ts.templates_listed_for(member)) >= {ours, diabetes}
    assert not ts.can_manage_templates(member)
    with pytest.raises(PermissionDeniedError, match="Only providers, supervisors and organization admins"):
        ts.template_copy(actor=member, template=diabetes)
    with pytest.raises(PermissionDeniedError):
        ts.template_create(actor=member, data={"title": "Mine", "category": "other"})
    for write in every_write(member, ours).values():
        with pytest.raises(PermissionDeniedError):
            write()
    assert CarePlanTemplate.objects.filter(organization=org).count() == 1


def test_an_auditor_does_not_see_templates(org, ours):
    auditor = make_actor(org, Role.AUDITOR)
    with pytest.raises(NotFoundError):
        ts.template_get(auditor, ours.public_id)
    with pytest.raises(NotFoundError):
        ts.templates_listed_for(auditor)


# Versions and audit -----------------------------------------------------------------------------------------


def test_a_stale_edit_is_a_conflict_and_every_write_bumps_the_version(provider, ours):
    start = ours.version
    ts.template_update(
        actor=provider, template=ours, data={"title": "Falls prevention at home"}, expected_version=start
    )
    assert ours.version == start + 1
    stale = CarePlanTemplate.objects.get(pk=ours.pk)
    goal = ts.template_goal_add(actor=provider, template=ours, data={"description": "Walks with a frame"})
    assert CarePlanTemplate.objects.get(pk=ours.pk).version == start + 2

    with pytest.raises(ConflictError, match="Someone else saved changes"):
        ts.template_update(actor=provider, template=stale, data={"title": "Mine wins"}, expected_version=stale.version)
    assert CarePlanTemplate.objects.get(pk=ours.pk).title == "Falls prevention at home"

    task = ours.tasks.get()
    ts.template_goal_update(actor=provider, goal=goal, data={"due_offset_days": 30})
    ts.template_task_update(actor=provider, task=task, data={"offset_days": 10})
    ts.template_task_remove(actor=provider, task=task)
    ts.template_goal_remove(actor=provider, goal=goal)
    assert CarePlanTemplate.objects.get(pk=ours.pk).version == start + 6
    audited = set(
        AuditEvent.objects.filter(object_id=str(ours.public_id)).values_list("event", flat=True)
    )  # fmt: skip
    assert audited == {
        "careplan_template.create", "careplan_template.update", "careplan_template.goal_add",
        "careplan_template.goal_update", "careplan_template.goal_remove", "careplan_template.task_add",
        "careplan_template.task_update", "careplan_template.task_remove",
    }  # fmt: skip
    update = events("careplan_template.update")[0]
    assert update.detail["fields"] == ["title"]
    assert update.acting_organization == update.tenant_organization == provider.organization


def test_removing_a_goal_keeps_its_tasks_without_a_goal(provider, ours):
    ts.template_goal_remove(actor=provider, goal=ours.goals.get())
    assert ours.tasks.get().goal is None


# Validation -------------------------------------------------------------------------------------------------

GOOD_TASK = {"title": "Call", "kind": "call", "offset_days": 3}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"offset_days": -1}, "offset_days"),
        ({"offset_days": 3651}, "offset_days"),
        ({"offset_days": "soon"}, "offset_days"),
        ({"offset_days": None}, "offset_days"),
        ({"title": "  "}, "title"),
        ({"kind": "dance"}, "kind"),
        ({"priority": "whenever"}, "priority"),
        ({"owner_role": "auditor"}, "owner_role"),
        ({"owner_role": "janitor"}, "owner_role"),
        ({"recurrence_frequency": "yearly", "recurrence_count": 3}, "recurrence_frequency"),
        ({"recurrence_frequency": "weekly", "recurrence_interval": 0, "recurrence_count": 3}, "recurrence_interval"),
        ({"recurrence_frequency": "weekly", "recurrence_interval": 53, "recurrence_count": 3}, "recurrence_interval"),
        ({"recurrence_frequency": "weekly", "recurrence_count": None}, "recurrence_count"),
        ({"recurrence_frequency": "weekly", "recurrence_count": 1}, "recurrence_count"),
        ({"recurrence_frequency": "weekly", "recurrence_count": 367}, "recurrence_count"),
    ],
)
def test_task_validation_names_the_field(provider, ours, data, field):
    with pytest.raises(ValidationError) as caught:
        ts.template_task_add(actor=provider, template=ours, data={**GOOD_TASK, **data})
    assert caught.value.field == field
    assert caught.value.message
    assert ours.tasks.count() == 1


def test_task_boundaries_and_recurrence_are_kept(provider, ours):
    first = ts.template_task_add(actor=provider, template=ours, data={**GOOD_TASK, "offset_days": 0})
    last = ts.template_task_add(
        actor=provider,
        template=ours,
        data={**GOOD_TASK, "offset_days": 3650, "recurrence_frequency": "monthly", "recurrence_count": 12},
    )
    assert (first.offset_days, first.owner_role, first.priority) == (0, "coordinator", "routine")
    assert (last.offset_days, last.recurrence_frequency, last.recurrence_interval, last.recurrence_count) == (
        3650, "monthly", 1, 12
    )  # fmt: skip
    plain = ts.template_task_update(actor=provider, task=last, data={"recurrence_frequency": ""})
    assert (plain.recurrence_frequency, plain.recurrence_interval, plain.recurrence_count) == ("", 1, None)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"description": ""}, "description"),
        ({"due_offset_days": 3651}, "due_offset_days"),
        ({"due_offset_days": -5}, "due_offset_days"),
        ({"target_comparator": "<"}, "target_value"),
        ({"target_value": 7}, "target_comparator"),
        ({"target_comparator": "between", "target_value": 7, "target_value_high": 6}, "target_value_high"),
        ({"target_comparator": "~", "target_value": 7}, "target_comparator"),
        ({"target_comparator": "<", "target_value": "seven"}, "target_value"),
        ({"measure_code": "A1C"}, "measure_code"),
    ],
)
def test_goal_validation_names_the_field(provider, ours, data, field):
    with pytest.raises(ValidationError) as caught:
        ts.template_goal_add(actor=provider, template=ours, data={"description": "Steady on feet", **data})
    assert caught.value.field == field
    assert ours.goals.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"category": "spa"}, "category"),
        ({"condition_codes": "E11.9, diabetes"}, "condition_codes"),
    ],
)
def test_template_validation_names_the_field(provider, data, field):
    with pytest.raises(ValidationError) as caught:
        ts.template_create(actor=provider, data={"title": "Asthma", "category": "chronic", **data})
    assert caught.value.field == field
    assert not CarePlanTemplate.objects.filter(organization=provider.organization).exists()


def test_condition_codes_are_cleaned(provider):
    made = ts.template_create(
        actor=provider, data={"title": "Asthma", "category": "chronic", "condition_codes": "j45.909, J45.909; J45.20"}
    )
    assert made.condition_codes == ["J45.909", "J45.20"]
    assert made.key == "asthma"


def test_a_task_cannot_point_at_another_templates_goal(provider, ours, diabetes):
    other = ts.template_create(actor=provider, data={"title": "Other", "category": "other"})
    for foreign in (ours.goals.get(), diabetes.goals.first()):
        with pytest.raises(ValidationError) as caught:
            ts.template_task_add(actor=provider, template=other, data={**GOOD_TASK, "goal": foreign})
        assert caught.value.field == "goal"
    task = ours.tasks.get()
    with pytest.raises(ValidationError):
        ts.template_task_update(actor=provider, task=task, data={"goal": diabetes.goals.first()})
    assert not other.tasks.exists()
    assert ours.tasks.get().goal == ours.goals.get()


# Tenancy ----------------------------------------------------------------------------------------------------


def test_another_organizations_template_is_not_found(other_provider, ours):
    with pytest.raises(NotFoundError):
        ts.template_get(other_provider, ours.public_id)
    assert ours not in ts.templates_listed_for(other_provider)
    with pytest.raises(NotFoundError):
        ts.template_copy(actor=other_provider, template=ours)
    for write in every_write(other_provider, ours).values():
        with pytest.raises(NotFoundError):
            write()
    with pytest.raises(NotFoundError):
        ts.template_get(other_provider, "not-a-uuid")


# Applying an edited copy ------------------------------------------------------------------------------------


def test_an_edited_copy_applies_with_its_own_goals_and_tasks(provider, other_provider, org, diabetes):
    copy = ts.template_copy(actor=provider, template=diabetes)
    ts.template_update(actor=provider, template=copy, data={"title": "Diabetes, our way"}, expected_version=1)
    a1c = copy.goals.get(measure_code="4548-4")
    ts.template_goal_update(actor=provider, goal=a1c, data={"target_value": 8, "due_offset_days": 120})
    for task in copy.tasks.exclude(title="Intake call"):
        ts.template_task_remove(actor=provider, task=task)
    ts.template_task_update(actor=provider, task=copy.tasks.get(), data={"offset_days": 1, "owner_role": "provider"})
    ts.template_task_add(
        actor=provider,
        template=copy,
        data={"title": "Pharmacist review", "kind": "medication_review", "offset_days": 21, "goal": a1c,
              "recurrence_frequency": "monthly", "recurrence_count": 3},
    )  # fmt: skip
    copy.refresh_from_db()

    assert copy in templates_for(provider)
    assert copy not in templates_for(other_provider)
    assert diabetes in templates_for(other_provider)

    patient = PatientFactory(organization=org)
    plan = careplan_services.careplan_template_apply(actor=provider, patient=patient, template=copy, start_date=START)
    assert (plan.title, plan.template) == ("Diabetes, our way", copy)
    goal = plan.goals.get(measure_code="4548-4")
    assert (goal.target_value, goal.due_date) == (8, START + dt.timedelta(days=120))
    assert plan.goals.count() == 4
    tasks = {t.title: t for t in plan.tasks.select_related("goal")}
    assert set(tasks) == {"Intake call", "Pharmacist review"}
    assert (tasks["Intake call"].due_date, tasks["Intake call"].owner_role) == (dt.date(2026, 3, 3), "provider")
    review = tasks["Pharmacist review"]
    assert (review.due_date, review.goal, review.kind) == (dt.date(2026, 3, 23), goal, "medication_review")
    assert review.recurrence == {"frequency": "monthly", "interval": 1, "count": 3}

    ts.template_update(actor=provider, template=copy, data={"active": False}, expected_version=copy.version)
    assert copy not in templates_for(provider)


# Pages ------------------------------------------------------------------------------------------------------


def test_the_list_shows_builtins_and_the_organizations_own(client_for, actor, provider, diabetes, ours, other_provider):
    retired = ts.template_create(actor=provider, data={"title": "Retired pathway", "category": "other"})
    ts.template_update(actor=provider, template=retired, data={"active": False}, expected_version=retired.version)
    ts.template_create(actor=other_provider, data={"title": "Riverside secret pathway", "category": "other"})

    response = client_for(actor).get(reverse("careplans:template_list"))
    page = body(response)
    assert response.status_code == 200
    assert page.count("<h1") == 1
    for text in ("Falls prevention", "Retired pathway", "Type 2 diabetes", "Built-in", "Inactive", 'class="muted"'):
        assert text in page, text
    assert reverse("careplans:template_detail", args=[ours.public_id]) in page
    assert "Riverside secret pathway" not in page
    assert "New template" not in page  # a coordinator views and applies; managers change
    assert "New template" in body(client_for(provider).get(reverse("careplans:template_list")))


def test_the_list_costs_the_same_queries_for_more_templates(client_for, provider, ours):
    client = client_for(provider)
    url = reverse("careplans:template_list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(5):
        ts.template_copy(actor=provider, template=ours)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_a_builtins_page_is_read_only_with_copy_to_adapt(client_for, actor, provider, diabetes):
    url = reverse("careplans:template_detail", args=[diabetes.public_id])
    page = body(client_for(provider).get(url))
    assert "Copy to adapt" in page
    assert "Day 2" in page  # the intake call
    assert "Every 2 weeks, 6 times" in page  # the check-in call's recurrence in words
    assert "Add task" not in page
    assert "Edit details" not in page
    coordinator_page = body(client_for(actor).get(url))
    assert "Copy to adapt" not in coordinator_page
    assert client_for(actor).post(reverse("careplans:template_copy", args=[diabetes.public_id])).status_code == 403
    edit = reverse("careplans:template_task_add", args=[diabetes.public_id])
    assert client_for(provider).post(edit, task_post()).status_code == 403
    assert diabetes.tasks.count() == 7


def test_copy_redirects_to_the_copy(client_for, provider, diabetes):
    client = client_for(provider)
    response = client.post(reverse("careplans:template_copy", args=[diabetes.public_id]))
    copy = CarePlanTemplate.objects.get(organization=provider.organization)
    assert response.status_code == 302
    assert response["Location"] == reverse("careplans:template_detail", args=[copy.public_id])
    page = body(client.get(response["Location"]))
    assert "Type 2 diabetes (copy)" in page
    assert "adapt it here" in page
    assert "Add task" in page
    assert "Deactivate" in page
    add_goal = reverse("careplans:template_goal_add", args=[copy.public_id])
    data = {"goal-description": "Weight down 5 %", "goal-measure_display": "Body weight",
            "goal-target_comparator": "<=", "goal-target_value": "95", "goal-target_unit": "kg"}  # fmt: skip
    fragment = body(client.post(add_goal, data, **HTMX))
    assert "Goal added: Weight down 5 %" in fragment
    assert "Hemoglobin A1c below 7 %" in fragment  # the targets, shown in words in the swapped content
    assert 'value="7"' in fragment  # and editable without the stored decimals


def test_adding_a_task_with_a_bad_offset_shows_the_error_inline(client_for, provider, ours):
    client = client_for(provider)
    url = reverse("careplans:template_task_add", args=[ours.public_id])

    response = client.post(url, task_post(offset_days="4000"))
    assert response.status_code == 400
    page = body(response)
    assert "Give a number of days from 0 (the start day) to 3650." in page
    assert 'id="id_task-offset_days_error"' in page
    assert "<details open>" in page

    response = client.post(url, task_post(offset_days="-1"), **HTMX)
    assert response.status_code == 200
    fragment = body(response)
    assert "<html" not in fragment
    assert fragment.lstrip().startswith('<div id="template-content">')
    assert "Give a number of days from 0 (the start day) to 3650." in fragment
    assert response["Vary"].count("HX-Request") == 1
    assert ours.tasks.count() == 1


def test_a_service_error_shows_on_its_field(client_for, provider, ours):
    url = reverse("careplans:template_task_add", args=[ours.public_id])
    response = client_for(provider).post(
        url, task_post(recurrence_frequency="weekly", recurrence_interval="", recurrence_count="3")
    )
    assert response.status_code == 302  # an empty interval means every week
    response = client_for(provider).post(url, task_post(recurrence_frequency="weekly", recurrence_count=""))
    assert response.status_code == 400
    assert "Say how many times it repeats." in body(response)


def test_goals_and_tasks_are_added_edited_and_removed_in_place(client_for, provider, ours):
    client = client_for(provider)
    add_goal = reverse("careplans:template_goal_add", args=[ours.public_id])
    response = client.post(add_goal, {"goal-description": "Steady on stairs", "goal-due_offset_days": "60"}, **HTMX)
    assert response.status_code == 200
    assert "Goal added: Steady on stairs" in body(response)
    goal = ours.goals.get(description="Steady on stairs")

    add_task = reverse("careplans:template_task_add", args=[ours.public_id])
    data = task_post(title="Balance class referral", kind="referral", offset_days="10", goal=str(goal.pk))
    response = client.post(add_task, data, **HTMX)
    assert "Task added: Balance class referral" in body(response)
    task = ours.tasks.get(title="Balance class referral")
    assert task.goal == goal

    edit_task = reverse("careplans:template_task_edit", args=[ours.public_id, task.pk])
    data = task_post(prefix=f"task-{task.pk}", title="Balance class referral", kind="referral", offset_days="5000")
    response = client.post(edit_task, data, **HTMX)
    assert "Give a number of days from 0 (the start day) to 3650." in body(response)
    data[f"task-{task.pk}-offset_days"] = "12"
    data[f"task-{task.pk}-recurrence_frequency"] = "weekly"
    data[f"task-{task.pk}-recurrence_interval"] = "2"
    data[f"task-{task.pk}-recurrence_count"] = "4"
    response = client.post(edit_task, data)
    assert response.status_code == 302
    page = body(client.get(response["Location"]))
    assert "Day 12" in page
    assert "Every 2 weeks, 4 times" in page

    edit_goal = reverse("careplans:template_goal_edit", args=[ours.public_id, goal.pk])
    response = client.post(
        edit_goal, {f"goal-{goal.pk}-description": "Climbs stairs", f"goal-{goal.pk}-due_offset_days": ""}
    )
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.description, goal.due_offset_days) == ("Climbs stairs", None)

    remove_task = reverse("careplans:template_task_remove", args=[ours.public_id, task.pk])
    assert "Task removed" in body(client.post(remove_task, **HTMX))
    remove_goal = reverse("careplans:template_goal_remove", args=[ours.public_id, goal.pk])
    assert client.post(remove_goal).status_code == 302
    assert not TemplateTask.objects.filter(pk=task.pk).exists()
    assert not TemplateGoal.objects.filter(pk=goal.pk).exists()
    other = ts.template_create(actor=provider, data={"title": "Other", "category": "other"})
    foreign = reverse("careplans:template_goal_remove", args=[other.public_id, ours.goals.get().pk])
    assert client.post(foreign).status_code == 404  # a goal is found only within its own template


def test_the_edit_page_saves_and_reports_a_conflict(client_for, provider, ours):
    client = client_for(provider)
    url = reverse("careplans:template_edit", args=[ours.public_id])
    assert 'value="Falls prevention"' in body(client.get(url))
    data = {"title": "Falls prevention", "category": "other", "condition_codes": "falls", "description": "",
            "active": "on", "version": str(ours.version)}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 400
    assert "is not an ICD-10-CM code" in body(response)
    data["condition_codes"] = "w19.xxxa, R29.6"
    assert client.post(url, data).status_code == 302
    ours.refresh_from_db()
    assert ours.condition_codes == ["W19.XXXA", "R29.6"]
    response = client.post(url, {**data, "title": "Stale title"})  # the version this form saw is gone
    assert response.status_code == 409
    assert "Someone else saved changes" in body(response)
    assert CarePlanTemplate.objects.get(pk=ours.pk).title == "Falls prevention"


def test_deactivating_hides_the_template_from_the_chart(client_for, provider, ours, org):
    client = client_for(provider)
    url = reverse("careplans:template_active", args=[ours.public_id])
    assert client.post(url, {"active": "0", "version": str(ours.version)}).status_code == 302
    ours.refresh_from_db()
    assert not ours.active
    patient = PatientFactory(organization=org)
    tab = body(client.get(reverse("careplans:patient_careplans", args=[patient.public_id])))
    assert "Falls prevention" not in tab
    assert "Manage templates" in tab
    stale = client.post(url, {"active": "1", "version": "1"})
    assert stale.status_code == 409
    assert "Someone else saved changes" in body(stale)
    assert client.post(url, {"active": "1", "version": str(ours.version)}).status_code == 302
    assert "Falls prevention" in body(client.get(reverse("careplans:patient_careplans", args=[patient.public_id])))


def test_only_managers_see_the_manage_templates_link(client_for, actor, org):
    patient = PatientFactory(organization=org)
    tab = body(client_for(actor).get(reverse("careplans:patient_careplans", args=[patient.public_id])))
    assert "Apply a template" in tab
    assert "Manage templates" not in tab


def template_urls(template) -> dict[str, str]:
    """Every template URL that takes an id, by name, for `template` (and its first goal and task)."""
    goal, task = template.goals.get(), template.tasks.get()
    ids = {"public_id": template.public_id, "template_goal_id": goal.pk, "template_task_id": task.pk}
    urls = {}
    for pattern in get_resolver().namespace_dict["careplans"][1].url_patterns:
        params = list(pattern.pattern.converters)
        if pattern.name.startswith("template_") and params:
            urls[pattern.name] = reverse(f"careplans:{pattern.name}", kwargs={p: ids[p] for p in params})
    return urls


def test_another_organization_gets_404_on_every_template_url(client_for, ours, other_org):
    urls = template_urls(ours)
    assert {"template_detail", "template_copy", "template_edit", "template_goal_add", "template_goal_remove",
            "template_task_add", "template_task_remove"} <= set(urls)  # fmt: skip
    snapshot = (ours.version, list(ours.goals.values()), list(ours.tasks.values()))
    for role in (Role.PROVIDER, Role.ORG_ADMIN, Role.COORDINATOR):
        client = client_for(make_actor(other_org, role))
        for name, url in urls.items():
            assert client.get(url).status_code in (404, 405), name
            assert client.post(url, {"active": "0", "version": "1", **task_post()}, **HTMX).status_code in (404, 405)
            response = client.post(url, {"active": "0", "version": "1"})
            assert response.status_code in (404, 405), name
            assert "Falls prevention" not in body(response)
    ours.refresh_from_db()
    assert (ours.version, list(ours.goals.values()), list(ours.tasks.values())) == snapshot
    assert not CarePlanTemplate.objects.filter(organization=other_org).exists()
    assert "Falls prevention" not in body(client.get(reverse("careplans:template_list")))
