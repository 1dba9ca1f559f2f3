import datetime as dt
import re

import time_machine

from carecoord.careplans.models import Task

from ..factories import PatientFactory
from .factories import TaskFactory

TODAY = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


@time_machine.travel(TODAY, tick=False)
def test_worklist_buckets_and_complete_in_place(actor, client_for):
    patient = PatientFactory(organization=actor.organization)
    overdue = TaskFactory(patient=patient, owner=actor.user, due_date=dt.date(2026, 11, 20), title="Overdue call")
    TaskFactory(patient=patient, owner=actor.user, due_date=dt.date(2026, 11, 26), title="Today visit")
    TaskFactory(patient=patient, owner=actor.user, due_date=dt.date(2026, 12, 3), title="Later paperwork")
    client = client_for(actor)
    page = client.get("/worklist/").content.decode()
    assert page.index("Overdue call") < page.index("Today visit") < page.index("Later paperwork")
    assert "<strong>1</strong> overdue" in page

    response = client.post(
        f"/tasks/{overdue.public_id}/complete/",
        {"note": "Reached her, BP fine", "version": overdue.version},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"task-{overdue.public_id}",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Completed: Overdue call." in body
    assert "<strong>0</strong> overdue" in body
    assert 'hx-swap-oob="true"' in body
    overdue.refresh_from_db()
    assert overdue.status == "completed"
    assert overdue.outcome_note == "Reached her, BP fine"


@time_machine.travel(dt.datetime(2026, 12, 20, 15, 0, tzinfo=dt.UTC), tick=False)
def test_a_due_date_in_another_year_shows_its_year(actor, client_for):
    patient = PatientFactory(organization=actor.organization)
    TaskFactory(patient=patient, owner=actor.user, due_date=dt.date(2026, 12, 22), title="Before the holidays")
    TaskFactory(patient=patient, owner=actor.user, due_date=dt.date(2027, 1, 5), title="After New Year")
    page = client_for(actor).get("/worklist/").content.decode()
    assert re.search(r"\s12/22\s", page)  # this year's dates stay short
    assert "12/22/2026" not in page
    assert "01/05/2027" in page


@time_machine.travel(TODAY, tick=False)
def test_completing_without_a_note_is_refused_and_changes_nothing(actor, client_for):
    task = TaskFactory(patient=PatientFactory(organization=actor.organization), owner=actor.user)
    response = client_for(actor).post(
        f"/tasks/{task.public_id}/complete/", {"note": "  ", "version": task.version}, HTTP_HX_REQUEST="true"
    )
    assert "outcome note" in response.content.decode()
    assert Task.objects.get(pk=task.pk).status == "requested"


def _worklist_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/worklist/").status_code == 200
    return len(ctx.captured_queries)


@time_machine.travel(TODAY, tick=False)
def test_worklist_page_makes_the_same_number_of_queries_for_3_or_40_tasks(actor, client_for):
    from .factories import CarePlanFactory

    client = client_for(actor)
    patient = PatientFactory(organization=actor.organization)
    plan = CarePlanFactory(patient=patient, author=actor.user)
    for day in (20, 26, 30):
        TaskFactory(patient=patient, careplan=plan, owner=actor.user, due_date=dt.date(2026, 11, day))
    few = _worklist_queries(client)
    for n in range(37):
        other = PatientFactory(organization=actor.organization)
        TaskFactory(
            patient=other,
            careplan=CarePlanFactory(patient=other, author=actor.user),
            owner=actor.user,
            due_date=dt.date(2026, 11, 1) + dt.timedelta(days=n),
        )
    assert _worklist_queries(client) == few


@time_machine.travel(TODAY, tick=False)
def test_the_reassign_form_loads_on_demand_so_rows_do_not_carry_every_member(actor, client_for):
    from ..factories import make_actor

    colleague = make_actor(actor.organization).user
    task = TaskFactory(patient=PatientFactory(organization=actor.organization), owner=actor.user, title="Call back")
    client = client_for(actor)
    page = client.get("/worklist/").content.decode()
    assert colleague.full_name not in page
    assert f"/tasks/{task.public_id}/reassign/form/" in page

    fragment = client.get(f"/tasks/{task.public_id}/reassign/form/", HTTP_HX_REQUEST="true").content.decode()
    assert colleague.full_name in fragment
    assert "<html" not in fragment
    full_page = client.get(f"/tasks/{task.public_id}/reassign/form/").content.decode()
    assert "Reassign “Call back”" in full_page

    response = client.post(
        f"/tasks/{task.public_id}/reassign/",
        {"owner": colleague.pk, "version": task.version, "note": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert Task.objects.get(pk=task.pk).owner == colleague


@time_machine.travel(TODAY, tick=False)
def test_a_reversed_due_range_is_a_filter_error_and_the_list_leaves_only_the_dates_out(org, client_for):
    from carecoord.core.choices import Role

    from ..factories import make_actor

    supervisor = make_actor(org, Role.SUPERVISOR, Role.COORDINATOR)
    maria = make_actor(org, Role.COORDINATOR).user
    patient = PatientFactory(organization=org)
    TaskFactory(patient=patient, owner=maria, due_date=dt.date(2026, 11, 20), title="Overdue call")
    TaskFactory(patient=patient, owner=maria, due_date=dt.date(2026, 12, 3), title="Later paperwork")
    TaskFactory(patient=patient, owner=supervisor.user, due_date=dt.date(2026, 11, 20), title="Supervisor own task")
    client = client_for(supervisor)
    url = f"/worklist/?owner={maria.pk}&due_from=2026-12-10&due_to=2026-12-01"
    error = "“Due to” must be on or after “Due from”."

    page = client.get(url).content.decode()  # a reload of the URL htmx pushed
    assert error in page
    assert 'value="2026-12-10"' in page  # the dates stay as typed
    assert 'value="2026-12-01"' in page
    assert f"Worklist of {maria.full_name}" in page  # the valid filters still apply
    assert "Overdue call" in page
    assert "Later paperwork" in page
    assert "Supervisor own task" not in page
    assert "Nothing here" not in page
    assert "<strong>1</strong> overdue" in page
    assert "<strong>1</strong> upcoming" in page

    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "worklist-results"}
    fragment = client.get(url, **htmx).content.decode()
    assert "<html" not in fragment
    assert error in fragment  # the filter form is not swapped, so the error comes with the results
    assert "Overdue call" in fragment
    assert "Later paperwork" in fragment
    assert 'id="worklist-counts" hx-swap-oob="true"' in fragment
    assert "<strong>1</strong> overdue" in fragment

    one_day = client.get(f"/worklist/?owner={maria.pk}&due_from=2026-12-03&due_to=2026-12-03", **htmx)
    fragment = one_day.content.decode()
    assert error not in fragment
    assert "Later paperwork" in fragment
    assert "Overdue call" not in fragment
    assert "<strong>0</strong> overdue" in fragment  # the counts follow the filter, as on a reload
    assert "<strong>1</strong> upcoming" in fragment


@time_machine.travel(TODAY, tick=False)
def test_a_bulk_move_with_nothing_filled_in_names_what_is_missing(org, client_for):
    from django.contrib.messages import get_messages

    from carecoord.core.choices import Role

    from ..factories import make_actor

    supervisor = make_actor(org, Role.SUPERVISOR, Role.COORDINATOR)
    client = client_for(supervisor)
    response = client.post("/worklist/reassign/", {"owner": "", "note": ""})
    assert response.status_code == 302
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == "Move selected tasks to: this field is required. Choose at least one task to move."
    client.get(response.url)  # shows the message, which is then gone

    task = TaskFactory(patient=PatientFactory(organization=org), owner=supervisor.user)
    response = client.post("/worklist/reassign/", {"owner": "", "note": "x" * 201, "task": [task.public_id]})
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Move selected tasks to: this field is required. Reason: ensure this value has at")
    assert Task.objects.get(pk=task.pk).owner == supervisor.user


@time_machine.travel(TODAY, tick=False)
def test_worklist_of_offers_the_team_but_not_the_supervisor_who_is_me(org, client_for):
    from carecoord.core.choices import Role

    from ..factories import UserFactory, make_actor

    supervisor = make_actor(org, Role.SUPERVISOR, Role.COORDINATOR, user=UserFactory(full_name="Denise Washington"))
    maria = make_actor(org, Role.COORDINATOR, user=UserFactory(full_name="Maria Lopez")).user
    TaskFactory(patient=PatientFactory(organization=org), owner=supervisor.user, title="Denise own call")
    client = client_for(supervisor)
    page = client.get("/worklist/").content.decode()
    start = page.index('name="owner"')
    select = page[start : page.index("</select>", start)]
    assert ">Me</option>" in select
    assert f'value="{maria.pk}"' in select
    assert f'value="{supervisor.user.pk}"' not in select

    # An address naming the supervisor (the team page links each person's list) is their own list, no error.
    page = client.get(f"/worklist/?owner={supervisor.user.pk}").content.decode()
    assert "My worklist" in page
    assert "Denise own call" in page
    assert "Select a valid choice" not in page
    # The supervisor can still be given tasks in a bulk move.
    page = client.get(f"/worklist/?owner={maria.pk}").content.decode()
    bulk = page[page.index('id="bulk-owner"') : page.index("</select>", page.index('id="bulk-owner"'))]
    assert "Denise Washington" in bulk
