"""
"Log call" from the worklist in a real browser: the coordinator opens the call task's form, records the call,
its minutes and the task's completion in one save, and is back on the worklist with the task gone.
"""

import os
import re

import pytest
import time_machine
from playwright.sync_api import Page, expect

from carecoord.careplans.models import Task
from carecoord.checkins.models import OutreachAttempt, TimeEntry
from carecoord.core.choices import Role

from ..factories import OrganizationFactory, PatientFactory, UserFactory, make_actor
from .helpers import assert_accessible, expect_signed_in, sign_in
from .worklist_helpers import MORNING, TODAY, on_care_team_as_coordinator, task_for, task_row

WORKLIST_PATH = re.compile(r"/worklist/(\?.*)?$")
SCREENSHOT = os.environ.get("LOGCALL_SCREENSHOT", "")  # a path to save the form's picture to, when set


@pytest.fixture
def morning():
    with time_machine.travel(MORNING, tick=True):
        yield


@pytest.mark.browser
def test_log_call_from_the_worklist_records_call_minutes_and_completes_the_task(page: Page, morning):
    org = OrganizationFactory(name="Riverside Community Health Center", slug="riverside-chc")
    lucia = UserFactory(full_name="Lucia Morales", email="lucia.morales@example.org")
    make_actor(org, Role.COORDINATOR, user=lucia)
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", mrn="RC-1001")
    on_care_team_as_coordinator(rosa, lucia)
    task = task_for(lucia, rosa, "Medication adherence call at 2 weeks", TODAY, kind="call")
    task_for(lucia, rosa, "Send foot-care handout", TODAY, kind="education")
    sign_in(page, lucia.email)
    expect_signed_in(page)

    # The call task's row offers "Log call"; the handout's does not.
    expect(task_row(page, "Send foot-care handout").get_by_role("link", name="Log call")).to_have_count(0)
    if SCREENSHOT:
        page.locator("#worklist-results").screenshot(path=SCREENSHOT.replace(".png", "-worklist.png"))
    task_row(page, "Medication adherence call at 2 weeks").get_by_role("link", name="Log call").click()

    # The Check-ins tab, the outreach form open on the task, with minutes and "Complete the task" checked.
    form = page.locator("form", has=page.get_by_role("button", name="Record attempt"))
    expect(form).to_contain_text("For the task Medication adherence call at 2 weeks.")
    expect(form.get_by_label("Complete the task")).to_be_checked()
    form.get_by_role("group", name="Outcome").get_by_label("Reached").check()
    form.get_by_label("Note").fill("Taking it daily; mild nausea the first days, now gone.")
    form.get_by_label("Minutes spent").fill("12")
    assert_accessible(page, "the Log call form")
    if SCREENSHOT:
        form.screenshot(path=SCREENSHOT)
    form.get_by_role("button", name="Record attempt").click()

    # Back on the worklist, what was recorded said, the task gone from the list.
    expect(page).to_have_url(WORKLIST_PATH)
    expect(
        page.get_by_text(
            "Recorded: Phone call, reached; 12 min logged as care-management time; "
            "task “Medication adherence call at 2 weeks” completed."
        )
    ).to_be_visible()
    expect(task_row(page, "Medication adherence call at 2 weeks")).to_have_count(0)
    expect(task_row(page, "Send foot-care handout")).to_be_visible()

    task.refresh_from_db()
    assert task.status == "completed"
    assert task.outcome_note == "Phone call, reached: Taking it daily; mild nausea the first days, now gone."
    assert OutreachAttempt.objects.get(patient=rosa).task_id == task.pk
    entry = TimeEntry.objects.get(patient=rosa)
    assert (entry.minutes, entry.activity, entry.kind) == (12, "call", "staff")
    assert Task.objects.filter(patient=rosa, status="requested").count() == 1
