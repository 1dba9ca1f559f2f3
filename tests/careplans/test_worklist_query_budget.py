"""
The worklist page makes a fixed number of queries whatever the number of tasks (no COUNT of its own: the pager's
total comes from the bucket counts), and its rows carry no forms: each action's form loads when opened.
Counts, not timings: timings are in bench/.
"""

import datetime as dt

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecoord.careplans.selectors import WorklistFilters, worklist_for
from carecoord.core.choices import Role

from ..factories import PatientFactory, make_actor
from .factories import CarePlanFactory, TaskFactory

TODAY = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
# Fixed cost of a signed-in page plus the worklist's own reads (bucket counts, page, upcoming visits).
WORKLIST_BUDGET = 12


def captured(client, url, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return response, ctx.captured_queries


def add_tasks(actor, n, *, start=dt.date(2026, 11, 1), **extra):
    for i in range(n):
        patient = PatientFactory(organization=actor.organization)
        TaskFactory(
            patient=patient,
            careplan=CarePlanFactory(patient=patient, author=actor.user),
            due_date=start + dt.timedelta(days=i % 50),
            **extra,
        )


@time_machine.travel(TODAY, tick=False)
def test_worklist_queries_do_not_grow_with_tasks_and_no_count_query(actor, client_for):
    client = client_for(actor)
    add_tasks(actor, 3, owner=actor.user)
    add_tasks(actor, 2, owner=None, owner_role=Role.COORDINATOR)  # the coordinator pool
    _, few = captured(client, "/worklist/")
    add_tasks(actor, 60, owner=actor.user)  # more than a page (50)
    response, many = captured(client, "/worklist/")
    assert len(many) == len(few)
    assert len(many) <= WORKLIST_BUDGET
    assert not [q for q in many if q["sql"].lstrip().upper().startswith("SELECT COUNT(*)")]
    page = response.context["page"]
    assert page.paginator.count == 65
    assert page.paginator.num_pages == 2
    assert len(page.object_list) == 50


@time_machine.travel(TODAY, tick=False)
def test_pager_total_matches_the_tasks_for_each_bucket_and_with_snoozed(actor):
    add_tasks(actor, 4, owner=actor.user, start=dt.date(2026, 11, 20))  # overdue, then today…
    add_tasks(actor, 2, owner=actor.user, start=dt.date(2026, 12, 5))  # upcoming
    add_tasks(actor, 2, owner=actor.user, snoozed_until=dt.date(2026, 12, 1))
    add_tasks(actor, 1, owner=None, owner_role=Role.COORDINATOR)
    add_tasks(actor, 1, owner=None, owner_role=Role.SCHEDULER)  # a role the coordinator does not hold
    for filters in [
        WorklistFilters(),
        WorklistFilters(include_snoozed=True),
        *(WorklistFilters(bucket=b) for b in ("overdue", "today", "upcoming", "snoozed")),
    ]:
        work = worklist_for(actor, filters)
        assert work.total == len(list(work.tasks)), filters


@time_machine.travel(TODAY, tick=False)
def test_supervisor_worklist_queries_do_not_grow_with_tasks_or_team(org, client_for):
    supervisor = make_actor(org, Role.SUPERVISOR, Role.COORDINATOR)
    client = client_for(supervisor)
    add_tasks(supervisor, 2, owner=supervisor.user)
    _, few = captured(client, "/worklist/")
    for _ in range(5):
        make_actor(org, Role.COORDINATOR)
    add_tasks(supervisor, 55, owner=supervisor.user)
    _, many = captured(client, "/worklist/")
    assert len(many) == len(few)


@time_machine.travel(TODAY, tick=False)
def test_rows_carry_no_forms_and_each_action_form_loads_when_opened(actor, client_for):
    client = client_for(actor)
    add_tasks(actor, 3, owner=actor.user)
    response, _ = captured(client, "/worklist/")
    page = response.content.decode()
    assert 'name="note"' not in page
    assert 'name="until"' not in page
    task = worklist_for(actor).tasks[0]
    url = f"/tasks/{task.public_id}/reassign/form/"
    for action, field in [("complete", 'name="note"'), ("snooze", 'name="until"'), ("reassign", 'name="owner"')]:
        assert f"{url}?action={action}" in page
        fragment, _ = captured(client, f"{url}?action={action}", HTTP_HX_REQUEST="true")
        body = fragment.content.decode()
        assert body.lstrip().startswith("<form")
        assert field in body
        full, _ = captured(client, f"{url}?action={action}")  # without JavaScript: a page with the form
        assert "<html" in full.content.decode()
        assert field in full.content.decode()
    assert client.get(f"{url}?action=delete").status_code == 404
