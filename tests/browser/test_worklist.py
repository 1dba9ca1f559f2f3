"""
The worklist in a real browser: a coordinator's morning (complete, snooze, open a patient, apply a template, see
the new work), and a supervisor balancing caseloads. The server's clock is pinned to one Tuesday morning so the
overdue / today / upcoming buckets are the same on every run.
"""

import re
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Page, expect

from carecoord.careplans.builtin import sync_builtin_templates
from carecoord.careplans.models import CarePlan, Task
from carecoord.core.choices import Role

from ..factories import ConditionFactory, OrganizationFactory, PatientFactory, UserFactory, make_actor
from .helpers import (
    assert_accessible,
    assert_same_document,
    expect_signed_in,
    mark_document,
    sign_in,
    sign_out,
)
from .worklist_helpers import (
    MORNING,
    builtin_template,
    counts,
    days,
    expect_counts,
    on_care_team_as_coordinator,
    open_row_action,
    results,
    row_cells,
    submit_row_action,
    task_for,
    task_row,
)

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "worklist.png"
WORKLIST_PATH = re.compile(r"/worklist/(\?.*)?$")
PLAN_PATH = re.compile(r"/careplans/[0-9a-f-]{36}/$")
EMPTY_OUTCOME_ERROR = "Say what happened: completing a task needs an outcome note."


@pytest.fixture
def morning():
    """The server's clock at 8:30 on Tuesday 11/24/2026 in Chicago, ticking (sessions and htmx need time to pass)."""
    with time_machine.travel(MORNING, tick=True):
        yield


def _coordinator_world():
    """Dana's caseload: three patients, two tasks overdue, two due today, two upcoming; Luis has his own."""
    sync_builtin_templates()  # transactional tests flush the built-in templates that `migrate` made
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    luis = UserFactory(full_name="Luis Romero", email="luis.romero@example.org")
    make_actor(org, Role.COORDINATOR, user=dana)
    make_actor(org, Role.COORDINATOR, user=luis)
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", mrn="LC-1001")
    marcus = PatientFactory(organization=org, given_name="Marcus", family_name="Webb", mrn="LC-1002")
    dolores = PatientFactory(organization=org, given_name="Dolores", family_name="Dempsey", mrn="LC-1003")
    ana = PatientFactory(organization=org, given_name="Ana", family_name="Ortiz", mrn="LC-1004")
    ConditionFactory(patient=rosa, code="E11.65", display="Type 2 diabetes mellitus with hyperglycemia")
    for patient in (rosa, marcus, dolores):
        on_care_team_as_coordinator(patient, dana)
    on_care_team_as_coordinator(ana, luis)
    tasks = {
        "ed": task_for(dana, rosa, "Follow-up call after ED visit", days(-4), priority="urgent"),
        "cardiology": task_for(dana, marcus, "Call about missed cardiology appointment", days(-1)),
        "transport": task_for(dana, dolores, "Confirm transport for Friday's visit", days(0)),
        "bp_log": task_for(dana, marcus, "Review home blood pressure log", days(0), kind="check_in"),
        "handout": task_for(dana, rosa, "Send foot-care handout", days(3), kind="education"),
        "prior_auth": task_for(dana, dolores, "Prior authorization follow-up", days(9), kind="other"),
        "luis": task_for(luis, ana, "Home safety check call", days(-2)),
    }
    return org, dana, luis, rosa, tasks


@pytest.mark.browser
def test_coordinators_morning(page: Page, morning):
    _, dana, _, rosa, tasks = _coordinator_world()
    complete_posts: list[str] = []
    page.on("request", lambda r: complete_posts.append(r.url) if r.method == "POST" and "/complete/" in r.url else None)

    # Signing in lands on the worklist: overdue first, then today, then upcoming; someone else's work is not here.
    sign_in(page, dana.email)
    expect_signed_in(page)
    expect(page).to_have_url(WORKLIST_PATH)
    expect(page.get_by_role("heading", level=1)).to_have_text("My worklist")
    expect_counts(page, overdue=2, today=2, upcoming=2, snoozed=0)
    rows = results(page).locator("tbody tr")
    expect(rows.locator("td:nth-child(2) > a")).to_have_text(
        [
            "Follow-up call after ED visit",
            "Call about missed cardiology appointment",
            "Confirm transport for Friday's visit",
            "Review home blood pressure log",
            "Send foot-care handout",
            "Prior authorization follow-up",
        ]
    )
    ed_row = task_row(page, "Follow-up call after ED visit")
    expect(row_cells(ed_row).nth(0)).to_have_text(re.compile(r"^\s*11/20\s+Overdue\s*$"))
    expect(row_cells(ed_row).nth(1)).to_contain_text("Urgent")
    expect(row_cells(ed_row).nth(2)).to_have_text("Delgado, Rosa")
    expect(row_cells(ed_row).nth(4)).to_have_text("Dana Whitfield")
    expect(row_cells(task_row(page, "Confirm transport for Friday's visit")).nth(0)).to_contain_text("Today")
    expect(results(page)).not_to_contain_text("Home safety check call")
    # The upcoming-appointments panel arrives after the page (htmx), in place of its link.
    panel = page.locator("section.worklist-appointments")
    expect(panel).to_contain_text("No appointments for your patients in the next 7 days.")
    expect(panel.get_by_role("link", name="Show the appointments of my patients")).to_have_count(0)
    assert_accessible(page, "the worklist")

    # Completing with no outcome: the browser asks for one and sends nothing.
    mark_document(page)
    complete = open_row_action(ed_row, "Complete")
    outcome = complete.get_by_label("Outcome")
    complete.get_by_role("button", name="Mark complete").click()
    expect(outcome).to_be_focused()
    assert outcome.evaluate("el => el.validity.valueMissing"), "an empty outcome should be refused by the browser"
    assert complete_posts == []

    # An outcome of blanks gets past the browser; the server says what is missing and the task stays open.
    outcome.fill("   ")
    complete.get_by_role("button", name="Mark complete").click()
    expect(page.get_by_role("alert").filter(has_text=EMPTY_OUTCOME_ERROR)).to_be_visible()
    expect(ed_row).to_be_visible()
    expect(ed_row).not_to_contain_text("Completed:")
    expect_counts(page, overdue=2, today=2, upcoming=2, snoozed=0)
    assert Task.objects.get(pk=tasks["ed"].pk).status == "requested"
    assert len(complete_posts) == 1
    assert_same_document(page)

    # With an outcome the row turns into "Completed: …" and the overdue count drops, in place.
    complete = open_row_action(ed_row, "Complete")
    complete.get_by_label("Outcome").fill("Reached Rosa: ED follow-up booked with Dr. Okafor for Friday.")
    complete.get_by_role("button", name="Mark complete").click()
    done = results(page).get_by_role("status").filter(has_text="Completed: Follow-up call after ED visit.")
    expect(done).to_be_visible()
    expect(task_row(page, "Follow-up call after ED visit")).to_have_count(0)
    expect_counts(page, overdue=1, today=2, upcoming=2, snoozed=0)
    assert_same_document(page)
    ed = Task.objects.get(pk=tasks["ed"].pk)
    assert (ed.status, ed.outcome_note, ed.completed_by) == (
        "completed",
        "Reached Rosa: ED follow-up booked with Dr. Okafor for Friday.",
        dana,
    )

    # Snoozing a task due today: the row says until when, the counts move from "today" to "snoozed".
    transport_row = task_row(page, "Confirm transport for Friday's visit")
    snooze = open_row_action(transport_row, "Snooze")
    snooze.get_by_label("Until").fill(days(7).isoformat())
    snooze.get_by_label("Reason").fill("Her daughter confirms the ride on Monday.")
    snooze.get_by_role("button", name="Snooze", exact=True).click()
    expect(results(page).get_by_role("status").filter(has_text="Snoozed until 12/01/2026")).to_contain_text(
        "Confirm transport for Friday's visit"
    )
    expect_counts(page, overdue=1, today=1, upcoming=2, snoozed=1)
    assert_same_document(page)

    # After a reload the snoozed task is off the list, and under "Snoozed" with its date.
    page.reload()
    expect(task_row(page, "Review home blood pressure log")).to_be_visible()
    expect(task_row(page, "Confirm transport for Friday's visit")).to_have_count(0)
    expect(task_row(page, "Follow-up call after ED visit")).to_have_count(0)
    counts(page).get_by_role("link", name="1 snoozed").click()
    expect(page).to_have_url(re.compile(r"/worklist/\?bucket=snoozed$"))
    expect(results(page).locator("tbody tr")).to_have_count(1)
    expect(row_cells(task_row(page, "Confirm transport for Friday's visit")).nth(0)).to_contain_text("Snoozed to 12/01")

    # Open the patient from the worklist, then the chart's Care plan tab.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    task_row(page, "Send foot-care handout").get_by_role("link", name="Delgado, Rosa").click()
    expect(page.get_by_role("region", name="Patient").get_by_role("heading", level=1)).to_have_text("Delgado, Rosa")
    page.get_by_role("navigation", name="Chart sections").get_by_role("link", name="Care plan").click()
    expect(page.get_by_role("heading", name="Care plans")).to_be_visible()
    expect(page.get_by_text("No care plans yet.")).to_be_visible()
    tab_url = page.url
    assert_accessible(page, "the chart's Care plan tab")

    # Apply the "Type 2 diabetes" template from today.
    t2d = builtin_template("type-2-diabetes")
    assert t2d["title"] == "Type 2 diabetes"
    apply = page.locator("details", has=page.locator("summary", has_text="Apply a template"))
    apply.locator("summary").click()
    apply.get_by_label("Template").select_option(label="Type 2 diabetes")
    expect(apply.get_by_label("Start date")).to_have_value("2026-11-24")
    assert_accessible(page, "the Care plan tab with the template form open")
    apply.get_by_role("button", name="Create plan from template").click()

    # The plan's page: its goals, from the template, and the condition it addresses.
    expect(page).to_have_url(PLAN_PATH)
    expect(page.get_by_text("Care plan “Type 2 diabetes” created from the template.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Type 2 diabetes")
    goals = page.locator("#goals-panel .goal-list > li > strong")
    expect(goals).to_have_count(len(t2d["goals"]))
    for goal in t2d["goals"]:
        expect(goals.filter(has_text=goal["description"])).to_have_count(1)
    expect(page.locator("#plan-header")).to_contain_text("Type 2 diabetes mellitus with hyperglycemia (E11.65)")
    assert_accessible(page, "the plan page")
    plan = CarePlan.objects.get(patient=rosa)
    assert plan.template.key == "type-2-diabetes"

    # The chart's tab lists the plan too.
    page.goto(tab_url)
    expect(page.get_by_role("heading", level=3, name="Type 2 diabetes")).to_be_visible()

    # Back on the worklist: the template's coordinator tasks are Dana's (she is Rosa's care-team coordinator),
    # due counted from today; the provider's and the scheduler's tasks are not on her list.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    mine = [t for t in t2d["tasks"] if t.get("owner_role", "coordinator") == "coordinator"]
    others = [t for t in t2d["tasks"] if t.get("owner_role", "coordinator") != "coordinator"]
    expect_counts(page, overdue=1, today=1, upcoming=2 + len(mine), snoozed=1)
    for template_task in mine:
        row = task_row(page, template_task["title"])
        expect(row).to_have_count(1)
        due = days(template_task["offset_days"])
        expect(row_cells(row).nth(0)).to_have_text(re.compile(rf"^\s*{due:%m/%d}\s*$"))
        expect(row_cells(row).nth(2)).to_have_text("Delgado, Rosa")
        expect(row_cells(row).nth(3)).to_have_text("Type 2 diabetes")
        expect(row_cells(row).nth(4)).to_have_text("Dana Whitfield")
    for template_task in others:
        expect(task_row(page, template_task["title"])).to_have_count(0)
    # The first ones are due in the next days: the intake call on Thursday, the medication review next Tuesday.
    expect(row_cells(task_row(page, "Intake call")).nth(0)).to_contain_text("11/26")
    expect(row_cells(task_row(page, "Medication review")).nth(0)).to_contain_text("12/01")
    assert Task.objects.filter(careplan=plan, owner=dana).count() == len(mine)
    assert_accessible(page, "the worklist with the plan's tasks")

    # The picture for the README: the worklist at a desktop size.
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.reload()
    expect(task_row(page, "Intake call")).to_be_visible()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 999)  # no hover effect in the picture
    page.screenshot(path=SCREENSHOT, animations="disabled", caret="initial")


def _team_world():
    """A supervisor, Dana (3 patients, 5 open tasks, 3 overdue), Luis (1 patient, 2 open, 1 overdue), Priya (new)."""
    org, dana, luis, _, tasks = _coordinator_world()
    supervisor = UserFactory(full_name="Helen Marsh", email="helen.marsh@example.org")
    make_actor(org, Role.SUPERVISOR, user=supervisor)
    priya = UserFactory(full_name="Priya Natarajan", email="priya.natarajan@example.org")
    make_actor(org, Role.COORDINATOR, user=priya)
    Task.objects.filter(pk=tasks["prior_auth"].pk).update(due_date=days(-6))
    ana = tasks["luis"].patient
    task_for(luis, ana, "Mail the benefits application", days(5), kind="other")
    return org, supervisor, dana, luis, tasks


def _caseload_row(page: Page, name: str):
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=name, exact=True))


@pytest.mark.browser
def test_supervisor_moves_tasks_between_coordinators(page: Page, morning):
    _, supervisor, _, luis, tasks = _team_world()

    sign_in(page, supervisor.email)
    expect_signed_in(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("My worklist")
    page.get_by_role("link", name="Team caseloads").click()

    # The caseloads side by side: patients, open tasks, overdue.
    expect(page.get_by_role("heading", level=1)).to_have_text("Team caseloads")
    expect(_caseload_row(page, "Dana Whitfield").get_by_role("cell")).to_have_text(
        ["Dana Whitfield", "3", "6", "3", "Open worklist of Dana Whitfield"]
    )
    expect(_caseload_row(page, "Luis Romero").get_by_role("cell")).to_have_text(
        ["Luis Romero", "1", "2", "1", "Open worklist of Luis Romero"]
    )
    expect(_caseload_row(page, "Priya Natarajan").get_by_role("cell")).to_have_text(
        ["Priya Natarajan", "0", "0", "0", "Open worklist of Priya Natarajan"]
    )
    assert_accessible(page, "the team caseloads page")

    # Dana's worklist, as the supervisor sees it.
    _caseload_row(page, "Dana Whitfield").get_by_role("link", name="Open worklist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Worklist of Dana Whitfield")
    expect_counts(page, overdue=3, today=2, upcoming=1, snoozed=0)
    expect(results(page).locator("tbody tr")).to_have_count(6)
    assert_accessible(page, "a coordinator's worklist seen by the supervisor")

    # Tick two overdue tasks and move them to Luis.
    moving = ["Follow-up call after ED visit", "Prior authorization follow-up"]
    for title in moving:
        page.get_by_role("checkbox", name=f"Select {title}").check()
    bulk = page.locator("#bulk-form")
    bulk.get_by_label("Move selected tasks to").select_option(label="Luis Romero")
    bulk.get_by_label("Reason").fill("Balancing caseloads while Dana is at training.")
    bulk.get_by_role("button", name="Move", exact=True).click()

    expect(page.get_by_text("Moved 2 tasks to Luis Romero.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Worklist of Dana Whitfield")
    expect_counts(page, overdue=1, today=2, upcoming=1, snoozed=0)
    for title in moving:
        expect(task_row(page, title)).to_have_count(0)
    expect(task_row(page, "Call about missed cardiology appointment")).to_be_visible()
    for key in ("ed", "prior_auth"):
        assert Task.objects.get(pk=tasks[key].pk).owner == luis

    # The caseloads follow.
    page.get_by_role("link", name="Team caseloads").click()
    expect(_caseload_row(page, "Dana Whitfield").get_by_role("cell")).to_have_text(
        ["Dana Whitfield", "3", "4", "1", "Open worklist of Dana Whitfield"]
    )
    expect(_caseload_row(page, "Luis Romero").get_by_role("cell")).to_have_text(
        ["Luis Romero", "1", "4", "3", "Open worklist of Luis Romero"]
    )

    # Luis's worklist, opened by the supervisor, has them, owned by Luis.
    _caseload_row(page, "Luis Romero").get_by_role("link", name="Open worklist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Worklist of Luis Romero")
    expect_counts(page, overdue=3, today=0, upcoming=1, snoozed=0)
    for title in moving:
        expect(row_cells(task_row(page, title)).nth(5)).to_have_text("Luis Romero")

    # And Luis, signing in, finds them on his own list.
    sign_out(page)
    sign_in(page, luis.email)
    expect_signed_in(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("My worklist")
    expect_counts(page, overdue=3, today=0, upcoming=1, snoozed=0)
    expect(results(page).locator("tbody tr td:nth-child(2) > a")).to_have_text(
        ["Prior authorization follow-up", "Follow-up call after ED visit", "Home safety check call",
         "Mail the benefits application"]
    )  # fmt: skip
    expect(page.get_by_role("checkbox")).to_have_count(0)  # no bulk moves for a coordinator


# What the flows above found. Each test is one bug, as a person meets it; see the notes for the fix.


@pytest.mark.browser
def test_a_corrected_completion_leaves_no_stale_error(page: Page, morning):
    """Two blank outcomes, then a real one: one error at a time, and none once the task is completed."""
    _, dana, _, _, _ = _coordinator_world()
    sign_in(page, dana.email)
    expect_signed_in(page)
    row = task_row(page, "Follow-up call after ED visit")
    error = page.get_by_role("alert").filter(has_text=EMPTY_OUTCOME_ERROR)
    for _ in range(2):
        complete = open_row_action(row, "Complete")
        complete.get_by_label("Outcome").fill("  ")
        submit_row_action(page, complete.get_by_role("button", name="Mark complete"))
        expect(error.first).to_be_visible()
    expect(error).to_have_count(1)

    complete = open_row_action(row, "Complete")
    complete.get_by_label("Outcome").fill("Reached Rosa.")
    complete.get_by_role("button", name="Mark complete").click()
    expect(results(page).get_by_role("status")).to_have_text("Completed: Follow-up call after ED visit.")
    expect(error).to_have_count(0)


def _supervisor_on_danas_worklist(page: Page):
    _, supervisor, dana, _, tasks = _team_world()
    sign_in(page, supervisor.email)
    expect_signed_in(page)
    page.get_by_role("link", name="Team caseloads").click()
    _caseload_row(page, "Dana Whitfield").get_by_role("link", name="Open worklist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Worklist of Dana Whitfield")
    expect_counts(page, overdue=3, today=2, upcoming=1, snoozed=0)
    return dana, tasks


@pytest.mark.browser
def test_supervisor_follows_a_count_on_a_coordinators_worklist(page: Page, morning):
    """Clicking "3 overdue" on Dana's worklist shows Dana's three overdue tasks, not the supervisor's own."""
    _supervisor_on_danas_worklist(page)
    counts(page).get_by_role("link", name="3 overdue").click()
    expect(page).to_have_url(re.compile(r"bucket=overdue"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Worklist of Dana Whitfield")
    expect(results(page).locator("tbody tr")).to_have_count(3)


@pytest.mark.browser
def test_supervisor_row_actions_on_a_coordinators_worklist(page: Page, morning):
    """A row action on Dana's worklist keeps the row's checkbox, and the counts stay Dana's."""
    _supervisor_on_danas_worklist(page)
    mark_document(page)
    row = task_row(page, "Follow-up call after ED visit")

    complete = open_row_action(row, "Complete")
    complete.get_by_label("Outcome").fill("  ")
    complete.get_by_role("button", name="Mark complete").click()
    expect(page.get_by_role("alert").filter(has_text=EMPTY_OUTCOME_ERROR)).to_be_visible()
    expect(row.get_by_role("checkbox", name="Select Follow-up call after ED visit")).to_be_visible()
    expect(row_cells(row)).to_have_count(7)  # the same columns as the table's head
    expect_counts(page, overdue=3, today=2, upcoming=1, snoozed=0)

    complete = open_row_action(row, "Complete")
    complete.get_by_label("Outcome").fill("Dana asked me to close it: Rosa was reached by the ED nurse.")
    complete.get_by_role("button", name="Mark complete").click()
    expect(
        results(page).get_by_role("status").filter(has_text="Completed: Follow-up call after ED visit.")
    ).to_be_visible()
    expect_counts(page, overdue=2, today=2, upcoming=1, snoozed=0)
    assert_same_document(page)
