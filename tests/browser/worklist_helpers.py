"""What the worklist's browser tests share: the pinned morning, the world they build, and the worklist's parts."""

import datetime as dt
import re

from playwright.sync_api import Locator, Page, expect

from carecoord.careplans.builtin_content import BUILTIN_TEMPLATES
from carecoord.patients.models import CareTeamMember

from ..careplans.factories import TaskFactory

# Tuesday 11/24/2026, 8:30 in the morning in Chicago (the factories' organizations are in America/Chicago).
MORNING = dt.datetime(2026, 11, 24, 14, 30, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 24)
CARE_TEAM_SINCE = dt.date(2026, 1, 5)


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def on_care_team_as_coordinator(patient, user) -> CareTeamMember:
    """Makes `user` the patient's care-team coordinator (which is who a template's coordinator tasks go to)."""
    return CareTeamMember.objects.create(
        organization=patient.organization, patient=patient, role="coordinator", user=user, start_date=CARE_TEAM_SINCE
    )


def task_for(user, patient, title: str, due: dt.date, **extra):
    return TaskFactory(patient=patient, owner=user, title=title, due_date=due, **extra)


def builtin_template(key: str) -> dict:
    return next(t for t in BUILTIN_TEMPLATES if t["key"] == key)


# The worklist's parts ---------------------------------------------------------------------------------------


def counts(page: Page) -> Locator:
    return page.get_by_role("list", name="Tasks by due date")


def expect_counts(page: Page, *, overdue: int, today: int, upcoming: int, snoozed: int) -> None:
    """The four counts at the top of the worklist, as a person reads them."""
    expect(counts(page).get_by_role("link")).to_have_text(
        [f"{overdue} overdue", f"{today} due today", f"{upcoming} upcoming", f"{snoozed} snoozed"]
    )


def results(page: Page) -> Locator:
    return page.locator("#worklist-results")


def task_row(page: Page, title: str) -> Locator:
    """The worklist row of the task called `title` (its link's exact text)."""
    return results(page).locator("tbody tr", has=page.get_by_role("link", name=title, exact=True))


def open_row_action(row: Locator, summary: str) -> Locator:
    """Opens one of a row's <details> actions (Complete, Snooze, Reassign) and returns it."""
    details = row.locator("details", has=row.page.locator("summary", has_text=re.compile(f"^{summary}$")))
    details.locator("summary").click()
    expect(details).to_have_attribute("open", "")
    return details


def row_cells(row: Locator) -> Locator:
    return row.locator("td")


def submit_row_action(page: Page, button: Locator) -> None:
    """Clicks a row action's button and waits until htmx has sent it and swapped the answer in."""
    with page.expect_response(lambda r: r.request.method == "POST" and "/tasks/" in r.url):
        button.click()
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
