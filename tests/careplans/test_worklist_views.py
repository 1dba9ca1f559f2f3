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
