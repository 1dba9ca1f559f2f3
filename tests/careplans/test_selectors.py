"""The worklist and the team's load, read through the selectors against the real database."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecoord.careplans.selectors import WorklistFilters, team_load, worklist_for
from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError
from carecoord.core.models import Membership
from carecoord.patients.models import CareTeamMember

from ..factories import PatientFactory, UserFactory, make_actor
from .factories import CarePlanFactory, TaskFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 09:00 in Chicago
TODAY = dt.date(2026, 11, 26)
DAY = dt.timedelta(days=1)

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org)


def titles(worklist) -> list[str]:
    return [t.title for t in worklist.tasks]


def test_the_worklist_holds_my_open_tasks_and_the_unassigned_ones_of_my_roles(actor, patient, org):
    colleague = make_actor(org, Role.COORDINATOR)
    TaskFactory(patient=patient, owner=actor.user, title="mine")
    TaskFactory(patient=patient, owner=None, owner_role=Role.COORDINATOR, title="for any coordinator")
    TaskFactory(patient=patient, owner=None, owner_role=Role.SCHEDULER, title="for schedulers")
    TaskFactory(patient=patient, owner=colleague.user, title="colleague's")
    TaskFactory(patient=patient, owner=colleague.user, owner_role=Role.COORDINATOR, title="colleague's, role too")
    for status in ("draft", "completed", "cancelled", "failed", "rejected", "entered-in-error"):
        TaskFactory(patient=patient, owner=actor.user, status=status, title=f"mine {status}")
    for status in ("received", "accepted", "ready", "in-progress", "on-hold"):
        TaskFactory(patient=patient, owner=actor.user, status=status, title=f"mine {status}")
    assert sorted(titles(worklist_for(actor))) == sorted(
        ["mine", "for any coordinator", "mine received", "mine accepted", "mine ready", "mine in-progress",
         "mine on-hold"]
    )  # fmt: skip


def test_the_worklist_shows_nothing_of_another_organization(actor, other_actor, other_org):
    TaskFactory(patient=PatientFactory(organization=other_org), owner=None, owner_role=Role.COORDINATOR)
    TaskFactory(patient=PatientFactory(organization=other_org), owner=other_actor.user)
    assert titles(worklist_for(actor)) == []
    assert worklist_for(actor).counts == {"overdue": 0, "today": 0, "upcoming": 0, "snoozed": 0}


def test_the_worklist_order_and_counts(actor, patient):
    make = lambda title, due, **kw: TaskFactory(patient=patient, owner=actor.user, title=title, due_date=due, **kw)  # noqa: E731
    make("upcoming undated", None)
    make("upcoming later", TODAY + 9 * DAY)
    make("upcoming soon", TODAY + DAY)
    make("today routine", TODAY)
    make("today stat", TODAY, priority="stat")
    make("today urgent", TODAY, priority="urgent")
    make("today asap", TODAY, priority="asap")
    make("overdue a week", TODAY - 7 * DAY)
    make("overdue a day", TODAY - DAY)
    make("snoozed", TODAY - 3 * DAY, snoozed_until=TODAY + 2 * DAY, snooze_reason="away")
    make("snooze over", TODAY - 2 * DAY, snoozed_until=TODAY, snooze_reason="away")

    work = worklist_for(actor)
    assert titles(work) == [
        "overdue a week", "snooze over", "overdue a day",
        "today stat", "today asap", "today urgent", "today routine",
        "upcoming soon", "upcoming later", "upcoming undated",
    ]  # fmt: skip
    assert work.counts == {"overdue": 3, "today": 4, "upcoming": 3, "snoozed": 1}
    assert [t.bucket_name for t in work.tasks][:4] == ["overdue", "overdue", "overdue", "today"]
    assert work.today == TODAY
    assert work.owner == actor.user


def test_snoozed_tasks_show_only_when_asked(actor, patient):
    TaskFactory(patient=patient, owner=actor.user, title="due", due_date=TODAY)
    TaskFactory(patient=patient, owner=actor.user, title="snoozed", snoozed_until=TODAY + DAY, snooze_reason="x")
    assert titles(worklist_for(actor)) == ["due"]
    only_snoozed = worklist_for(actor, WorklistFilters(bucket="snoozed"))
    assert titles(only_snoozed) == ["snoozed"]
    assert only_snoozed.tasks[0].bucket_name == "snoozed"
    assert only_snoozed.counts == {"overdue": 0, "today": 1, "upcoming": 0, "snoozed": 1}
    assert titles(worklist_for(actor, WorklistFilters(include_snoozed=True))) == ["due", "snoozed"]
    assert titles(worklist_for(actor, WorklistFilters(bucket="today"))) == ["due"]


def test_today_is_the_organizations_day(actor, patient):
    TaskFactory(patient=patient, owner=actor.user, title="due on the 26th", due_date=TODAY)
    with time_machine.travel(dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC), tick=False):  # 21:00 on the 26th
        work = worklist_for(actor)
    assert work.today == TODAY
    assert work.counts["today"] == 1
    assert work.counts["overdue"] == 0


def test_worklist_filters(actor, patient, org):
    other_patient = PatientFactory(organization=org)
    rehab = CarePlanFactory(patient=patient, category="rehabilitation")
    make = lambda title, **kw: TaskFactory(owner=actor.user, title=title, **{"patient": patient, **kw})  # noqa: E731
    make("call", kind="call", due_date=TODAY - 2 * DAY)
    make("visit", kind="visit", due_date=TODAY)
    make("rehab call", kind="call", careplan=rehab, due_date=TODAY + DAY)
    make("urgent paperwork", kind="paperwork", priority="urgent", due_date=TODAY + 5 * DAY)
    make("other patient's call", patient=other_patient, kind="call", due_date=TODAY + 3 * DAY)

    def only(**filters):
        return sorted(titles(worklist_for(actor, WorklistFilters(**filters))))

    assert only(patient=other_patient.public_id) == ["other patient's call"]
    assert only(kind="call") == ["call", "other patient's call", "rehab call"]
    assert only(category="rehabilitation") == ["rehab call"]
    assert only(priority="urgent") == ["urgent paperwork"]
    assert only(due_from=TODAY, due_to=TODAY + 3 * DAY) == ["other patient's call", "rehab call", "visit"]
    assert only(due_to=TODAY) == ["call", "visit"]
    assert only(kind="call", due_from=TODAY) == ["other patient's call", "rehab call"]
    counts = worklist_for(actor, WorklistFilters(kind="call")).counts
    assert counts == {"overdue": 1, "today": 0, "upcoming": 2, "snoozed": 0}


def test_a_supervisor_opens_a_coordinators_worklist(actor, patient, org):
    supervisor = make_actor(org, Role.SUPERVISOR)
    TaskFactory(patient=patient, owner=actor.user, title="coordinator's")
    TaskFactory(patient=patient, owner=None, owner_role=Role.COORDINATOR, title="any coordinator")
    TaskFactory(patient=patient, owner=None, owner_role=Role.SUPERVISOR, title="any supervisor")
    TaskFactory(patient=patient, owner=supervisor.user, title="supervisor's")

    theirs = worklist_for(supervisor, WorklistFilters(owner=actor.user))
    assert sorted(titles(theirs)) == ["any coordinator", "coordinator's"]
    assert theirs.owner == actor.user
    assert sorted(titles(worklist_for(supervisor))) == ["any supervisor", "supervisor's"]


def test_a_coordinator_cannot_open_someone_elses_worklist(actor, org, other_actor):
    colleague = make_actor(org, Role.COORDINATOR)
    with pytest.raises(NotFoundError):
        worklist_for(actor, WorklistFilters(owner=colleague.user))
    supervisor = make_actor(org, Role.SUPERVISOR)
    with pytest.raises(NotFoundError):
        worklist_for(supervisor, WorklistFilters(owner=other_actor.user))  # not a member here
    Membership.objects.filter(user=colleague.user).update(active=False)
    with pytest.raises(NotFoundError):
        worklist_for(supervisor, WorklistFilters(owner=colleague.user))
    assert worklist_for(actor, WorklistFilters(owner=actor.user)).owner == actor.user


def _worklist_queries(actor, patient, n: int) -> int:
    plan = CarePlanFactory(patient=patient)
    for i in range(n):
        owner = actor.user if i % 2 else None
        TaskFactory(patient=patient, careplan=plan if i % 3 else None, owner=owner, owner_role=Role.COORDINATOR,
                    due_date=TODAY + (i - n // 2) * DAY)  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        work = worklist_for(actor)
        shown = [(t.patient.family_name, t.careplan.title if t.careplan else "", t.owner) for t in work.tasks]
        assert sum(work.counts.values()) == n
    assert len(shown) == n
    return len(queries)


@pytest.mark.parametrize("n", [3, 30])
def test_the_worklist_takes_a_fixed_number_of_queries(actor, org, n):
    # The baseline: counts (1) + the tasks with patient, plan and owner joined (1).
    assert _worklist_queries(actor, PatientFactory(organization=org), n) == 2


def _team(org, size: int):
    coordinators = [make_actor(org, Role.COORDINATOR) for _ in range(size)]
    for i, member in enumerate(coordinators):
        patient = PatientFactory(organization=org)
        CareTeamMember.objects.create(organization=org, patient=patient, role="coordinator", user=member.user,
                                      start_date=dt.date(2026, 1, 1))  # fmt: skip
        TaskFactory(patient=patient, owner=member.user, due_date=TODAY - DAY * (i % 2))
    return coordinators


def test_team_load_per_coordinator(actor, org, other_org):
    supervisor = make_actor(org, Role.SUPERVISOR)
    busy = make_actor(org, Role.COORDINATOR, user=UserFactory(full_name="Aa Busy"))
    idle = make_actor(org, Role.COORDINATOR, user=UserFactory(full_name="Zoe Idle"))
    make_actor(org, Role.SCHEDULER)  # not a coordinator: not on the board
    gone = make_actor(org, Role.COORDINATOR)
    Membership.objects.filter(user=gone.user).update(active=False)

    def on_team(patient, user, start=dt.date(2026, 1, 1), end=None, role="coordinator"):
        CareTeamMember.objects.create(organization=patient.organization, patient=patient, role=role, user=user,
                                      start_date=start, end_date=end)  # fmt: skip

    first, second, third, ended, future, nursing = (PatientFactory(organization=org) for _ in range(6))
    on_team(first, busy.user)
    on_team(second, busy.user)
    on_team(second, busy.user, start=dt.date(2026, 6, 1))  # the same patient twice counts once
    on_team(third, busy.user, end=TODAY)  # ends today: still current
    on_team(ended, busy.user, end=TODAY - DAY)
    on_team(future, busy.user, start=TODAY + DAY)
    on_team(nursing, busy.user, role="nurse")
    on_team(PatientFactory(organization=other_org), busy.user)  # a patient this organization cannot see

    TaskFactory(patient=first, owner=busy.user, due_date=TODAY - DAY)
    TaskFactory(patient=first, owner=busy.user, due_date=TODAY)
    TaskFactory(patient=first, owner=busy.user, due_date=None)
    TaskFactory(patient=first, owner=busy.user, due_date=TODAY - DAY, status="completed")
    TaskFactory(patient=first, owner=None, owner_role=Role.COORDINATOR, due_date=TODAY - DAY)

    loads = {load.user: load for load in team_load(supervisor)}
    assert set(loads) == {actor.user, busy.user, idle.user}
    assert (loads[busy.user].caseload, loads[busy.user].open_tasks, loads[busy.user].overdue) == (3, 3, 1)
    assert (loads[idle.user].caseload, loads[idle.user].open_tasks, loads[idle.user].overdue) == (0, 0, 0)
    assert next(load.user for load in team_load(supervisor)) == busy.user  # by name


def test_team_load_counts_overdue_as_the_worklist_does_leaving_snoozed_tasks_out(org, patient):
    supervisor = make_actor(org, Role.SUPERVISOR)
    maria = make_actor(org, Role.COORDINATOR)
    TaskFactory(patient=patient, owner=maria.user, due_date=TODAY - 3 * DAY)
    TaskFactory(patient=patient, owner=maria.user, due_date=TODAY - 3 * DAY, snoozed_until=TODAY + 2 * DAY)
    TaskFactory(patient=patient, owner=maria.user, due_date=TODAY - 2 * DAY, snoozed_until=TODAY)  # snooze over
    TaskFactory(patient=patient, owner=maria.user, due_date=TODAY + DAY, snoozed_until=TODAY + 2 * DAY)

    load = next(load for load in team_load(supervisor) if load.user == maria.user)
    counts = worklist_for(supervisor, WorklistFilters(owner=maria.user)).counts
    assert counts == {"overdue": 2, "today": 0, "upcoming": 0, "snoozed": 2}
    assert load.overdue == counts["overdue"]
    assert load.open_tasks == 4  # snoozed tasks are still open


@pytest.mark.parametrize("size", [2, 12])
def test_team_load_takes_a_few_queries_whatever_the_team_size(org, size):
    supervisor = make_actor(org, Role.SUPERVISOR)
    _team(org, size)
    with CaptureQueriesContext(connection) as queries:
        loads = team_load(supervisor)
    assert len(loads) == size
    assert sum(load.caseload for load in loads) == size
    assert sum(load.overdue for load in loads) == size // 2
    assert len(queries) <= 4


def test_team_load_is_for_supervisors(actor):
    with pytest.raises(NotFoundError):
        team_load(actor)
