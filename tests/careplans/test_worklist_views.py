import datetime as dt

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
    TaskFactory(patient=patient, owner=supervisor.user, due_date=dt.date(2026, 11, 20), title="Supervisor's own")
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
    assert "Supervisor's own" not in page
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
