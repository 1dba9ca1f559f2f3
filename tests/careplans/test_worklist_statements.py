"""
The worklist's reads run as statements compiled once per connection (careplans.worklist_statements): the page
must show exactly what the ORM query shows, and see every change of access on the very next page (nothing is
kept but the SQL; the clock of each page replaces the one the statement was built with).
"""

import datetime as dt

import pytest
import time_machine

from carecoord.careplans.selectors import WorklistFilters, worklist_for
from carecoord.careplans.worklist_rows import ROW_FIELDS
from carecoord.careplans.worklist_statements import ROW_SLOTS
from carecoord.patients.models import CareTeamMember

from ..factories import PatientFactory, open_break_glass
from .factories import TaskFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 09:00 in Chicago
TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _page(actor) -> list[str]:
    return [task.title for task in worklist_for(actor).tasks.only(*ROW_FIELDS)[:ROW_SLOTS]]


def _orm_titles(actor) -> list[str]:
    """The same page through the ORM alone (the iteration path compiles its queries each time)."""
    return [task.title for task in worklist_for(actor).tasks][:ROW_SLOTS]


def test_the_page_is_what_the_orm_reads(org, actor, clock):
    for day in range(60):  # more open tasks than a page, in every bucket
        TaskFactory(patient=PatientFactory(organization=org), owner=actor.user, title=f"Task {day:02}",
                    due_date=TODAY + dt.timedelta(days=day - 30))  # fmt: skip
    page = worklist_for(actor).tasks.only(*ROW_FIELDS)[:ROW_SLOTS]
    orm = list(worklist_for(actor).tasks)[:ROW_SLOTS]
    assert len(page) == ROW_SLOTS
    shown = [(t.pk, t.title, t.due_date, t.bucket, t.patient.display_name, t.owner.full_name) for t in page]
    assert shown == [(t.pk, t.title, t.due_date, t.bucket, t.patient.display_name, t.owner.full_name) for t in orm]
    assert worklist_for(actor, WorklistFilters(bucket="upcoming")).total == 29


def test_a_restricted_patient_leaves_the_page_when_the_care_team_ends(org, actor, clock):
    restricted = PatientFactory(organization=org, restricted=True)
    TaskFactory(patient=restricted, owner=actor.user, title="Restricted call")
    TaskFactory(patient=PatientFactory(organization=org), owner=actor.user, title="Open call")
    assert _page(actor) == ["Open call"]
    membership = CareTeamMember.objects.create(
        organization=org, patient=restricted, role="coordinator", user=actor.user, start_date=TODAY
    )
    assert sorted(_page(actor)) == ["Open call", "Restricted call"]
    clock.move_to(NOW + dt.timedelta(days=1))
    membership.end_date = TODAY
    membership.save()
    assert _page(actor) == ["Open call"]
    assert _page(actor) == _orm_titles(actor)


def test_a_break_glass_window_ends_on_time_within_the_day(org, actor, clock):
    restricted = PatientFactory(organization=org, restricted=True)
    TaskFactory(patient=restricted, owner=actor.user, title="Restricted call")
    assert _page(actor) == []
    open_break_glass(actor.user, restricted, NOW, NOW + dt.timedelta(minutes=60), reason="Emergency")
    assert _page(actor) == ["Restricted call"]
    clock.move_to(NOW + dt.timedelta(minutes=59))
    assert _page(actor) == ["Restricted call"]
    clock.move_to(NOW + dt.timedelta(minutes=61))  # same day, same statement: the window is over
    assert _page(actor) == []
    assert _orm_titles(actor) == []


def test_a_task_reassigned_or_deleted_patient_drops_out_at_once(org, actor, clock):
    gone = PatientFactory(organization=org)
    task = TaskFactory(patient=gone, owner=actor.user, title="Call")
    assert _page(actor) == ["Call"]
    gone.deleted_at = NOW
    gone.save()
    assert _page(actor) == []
    assert task.pk
