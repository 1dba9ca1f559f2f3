"""
Check-ins in a real browser: from the worklist's "Check in with ..." task to the patient, a call that reaches
her, a phone check-in note with a PHQ-9, signed, and the result on the chart. The server's clock is the
worklist tests' Tuesday morning, so the due check-in is on today's worklist.
"""

import importlib
import re

import pytest
import time_machine
from django.db import connection
from playwright.sync_api import Page, expect

from carecoord.careplans.models import Task
from carecoord.checkins import services
from carecoord.checkins.models import Assessment, NoteAddendum, OutreachAttempt, ProgressNote, TimeEntry
from carecoord.core.choices import Role

from ..factories import OrganizationFactory, PatientFactory, UserFactory, make_actor
from .helpers import accept_confirmation, assert_accessible, expect_signed_in, sign_in
from .worklist_helpers import MORNING, TODAY, on_care_team_as_coordinator

# Answers giving a PHQ-9 total of 12 (moderate depression), with item 9 "Not at all".
PHQ9_ANSWERS = ["More than half the days", "More than half the days", "Several days", "Nearly every day",
                "Several days", "Several days", "More than half the days", "Not at all", "Not at all"]  # fmt: skip


@pytest.fixture
def signed_notes_removable(transactional_db):
    """
    The database refuses to delete signed notes (migration 0002); SQLite's flush after a transactional test
    deletes row by row, so the guard is lifted just to clear this test's notes (PostgreSQL truncates).
    """
    yield
    if connection.vendor != "sqlite":
        return
    guard = importlib.import_module("carecoord.checkins.migrations.0002_signed_notes_are_final")
    with connection.cursor() as cursor:
        for name in guard.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        NoteAddendum.objects.all().delete()
        Assessment.objects.all().delete()
        ProgressNote.objects.all().delete()
        for statement in guard.SQLITE_TRIGGERS.values():
            cursor.execute(statement)


@pytest.fixture
def morning():
    with time_machine.travel(MORNING, tick=True):
        yield


def _world():
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    actor = make_actor(org, Role.COORDINATOR, user=dana)
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", mrn="LC-1001")
    on_care_team_as_coordinator(rosa, dana)
    services.cadence_set(actor=actor, patient=rosa, interval_days=7, reason="High risk", first_due=TODAY)
    (task,) = services.checkin_tasks_create(organization=org)
    return dana, rosa, task


@pytest.mark.browser
def test_a_phone_checkin_from_the_worklist_to_a_signed_note_with_a_phq9(page: Page, morning, signed_notes_removable):
    dana, rosa, task = _world()
    sign_in(page, dana.email)
    expect_signed_in(page)

    # The check-in is on today's worklist; its patient link opens the chart.
    row = page.locator("#worklist-results tbody tr", has=page.get_by_role("link", name="Check in with Delgado, Rosa"))
    expect(row).to_be_visible()
    row.get_by_role("link", name="Delgado, Rosa", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delgado, Rosa")
    page.get_by_role("navigation", name="Chart sections").get_by_role("link", name="Check-ins").click()
    expect(page.get_by_role("heading", name="Check-in schedule")).to_be_visible()
    assert_accessible(page, "the Check-ins tab")

    # A call that reaches her: the attempt is listed, the cadence moves a week on, the check-in task is done.
    page.locator("summary", has_text="Log outreach").click()
    outreach = page.locator("form", has=page.get_by_role("button", name="Record attempt"))
    outreach.get_by_role("group", name="Outcome").get_by_label("Reached").check()
    outreach.get_by_label("Note").fill("Feeling better, walking daily.")
    outreach.get_by_role("button", name="Record attempt").click()
    expect(page.get_by_text("Recorded: Phone call, reached.")).to_be_visible()
    expect(page.locator("#outreach")).to_contain_text("Feeling better, walking daily.")
    expect(page.get_by_role("region", name="Check-in schedule")).to_contain_text("Next due12/01/2026")
    assert OutreachAttempt.objects.get(patient=rosa).outcome == "reached"
    assert Task.objects.get(pk=task.pk).status == "completed"

    # A phone check-in note, saved as a draft.
    page.get_by_role("link", name="Phone check-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New phone check-in note")
    assert_accessible(page, "the note form")
    page.get_by_label("The patient").check()
    page.get_by_label("Symptoms").fill("Less short of breath; sleeping poorly.")
    page.get_by_label("Medication adherence").select_option(label="Taking as prescribed")
    page.get_by_role("group", name="Barriers").get_by_label("Transportation").check()
    page.get_by_label("Note", exact=True).fill("Discussed sleep and the cardiology visit on Friday.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Phone check-in")

    # A PHQ-9 with the note: one radio group per question.
    page.get_by_role("link", name="Add a PHQ-9").click()
    assert_accessible(page, "the PHQ-9 form")
    groups = page.get_by_role("group", name=re.compile(r"^\d\. "))
    expect(groups).to_have_count(9)
    for index, answer in enumerate(PHQ9_ANSWERS):
        groups.nth(index).get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Save PHQ-9").click()
    expect(page.get_by_text("PHQ-9 saved: 12, Moderate depression.")).to_be_visible()
    expect(page.locator(".assessment-result")).to_contain_text("score 12 — Moderate depression")

    # Signing makes it final: no more editing, an addendum form instead.
    asked = accept_confirmation(page)
    page.get_by_role("button", name="Sign note").click()
    expect(page.get_by_text("Note signed.")).to_be_visible()
    assert asked == ["Sign this note? Once signed it can no longer be edited; later additions go in an addendum."]
    expect(page.get_by_role("link", name="Edit draft")).to_have_count(0)
    expect(page.get_by_role("button", name="Add addendum")).to_be_visible()
    assert_accessible(page, "the signed note")
    note = ProgressNote.objects.get(patient=rosa)
    assert note.status == "final"
    assert len(note.content_sha256) == 64
    assert Assessment.objects.get(note=note).total == 12

    # The chart's Check-ins tab shows the signed note, the score and its chart.
    page.get_by_role("link", name=re.compile("Back to .* check-ins")).click()
    expect(page.locator(".note-item")).to_contain_text("Signed")
    expect(page.get_by_role("table")).to_contain_text("Moderate depression")
    expect(page.get_by_role("img", name=re.compile(r"PHQ-9: 1 result; latest 12"))).to_be_visible()

    # The 18 minutes the call and the note took go on the month's care-management total.
    page.get_by_role("navigation", name="Chart sections").get_by_role("link", name="Progress").click()
    time_panel = page.locator("#time")
    expect(time_panel.locator(".month-facts")).to_contain_text("Clinical staff0 min")
    time_panel.locator("summary", has_text="Enter time by hand").click()
    by_hand = time_panel.locator("form", has=page.get_by_role("button", name="Add time"))
    by_hand.get_by_label("Activity").select_option(label="Call with patient or family")
    by_hand.get_by_label("Minutes").fill("18")
    by_hand.get_by_label("Date").fill(TODAY.isoformat())
    by_hand.get_by_role("button", name="Add time").click()
    expect(page.locator("#time .month-facts")).to_contain_text("Clinical staff18 min")
    assert TimeEntry.objects.get(patient=rosa).minutes == 18
