"""
Transitions in a real browser: a hospital's A03 discharge arrives over a real MLLP socket (the listener runs in a
thread, as `carecoord adt-listen` runs it), the episode shows on the Transitions dashboard and its tasks on the
coordinator's worklist, the coordinator records the interactive contact, and the contact deadline turns green.
The server's clock is the worklist tests' Tuesday morning (11/24/2026, Chicago).
"""

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import Page, expect

from carecoord.careplans.models import Task
from carecoord.core.choices import Role
from carecoord.interop.hl7v2.handler import handle_message
from carecoord.interop.hl7v2.mllp import MllpServer, send
from carecoord.interop.hl7v2.models import InboundMessage
from carecoord.transitions.models import TransitionEpisode

from ..factories import OrganizationFactory, PatientFactory, UserFactory, make_actor
from ..interop.hl7v2.messages import adt
from .helpers import assert_accessible, expect_signed_in, sign_in
from .worklist_helpers import MORNING, on_care_team_as_coordinator, results

CONTACT_TASK = "Interactive contact after discharge, by November 25, 2026"


@pytest.fixture
def morning():
    with time_machine.travel(MORNING, tick=True):
        yield


@pytest.fixture
def world(transactional_db):
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    make_actor(org, Role.COORDINATOR, user=dana)
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", mrn="LC-1001",
                          birth_date=dt.date(1948, 3, 7))  # fmt: skip
    on_care_team_as_coordinator(rosa, dana)
    return org, dana, rosa


@pytest.fixture
def listener(world):
    org = world[0]
    server = MllpServer(("127.0.0.1", 0), lambda raw, peer: handle_message(raw, organization=org, peer=peer).ack,
                        idle_timeout=10)  # fmt: skip
    server.start()
    yield server
    server.stop()


@pytest.mark.browser
def test_a_discharge_over_mllp_to_a_recorded_contact(page: Page, morning, world, listener):
    _org, dana, rosa = world
    # Monday 11/23 discharge home, sent by the hospital with our MRN (assigning authority: our slug).
    message = adt("A03", control_id="LGH-A03-1", mrn="LC-1001", authority="lakeside", family="DELGADO", given="ROSA",
                  admitted="20261120080000", discharged="20261123100000", disposition="01")  # fmt: skip
    ack = send("127.0.0.1", listener.port, message)
    assert "MSA|AA|LGH-A03-1" in ack
    assert InboundMessage.objects.get().status == "processed"
    episode = TransitionEpisode.objects.get(patient=rosa)

    sign_in(page, dana.email)
    expect_signed_in(page)

    # The dashboard: Rosa's episode, contact due tomorrow (Wednesday: two business days after Monday).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transitions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transitions of care")
    row = page.locator("table.tx-dashboard tbody tr", has=page.get_by_role("link", name="Delgado, Rosa"))
    expect(row).to_be_visible()
    contact = row.locator("td").nth(2)
    expect(contact).to_contain_text("Due in 1 day")
    expect(contact.locator(".deadline")).not_to_have_class(re.compile("deadline-done"))
    expect(row).to_contain_text("LAKESIDE GENERAL")  # the facility as MSH-4 names it
    expect(row).to_contain_text("Home or self-care")
    assert_accessible(page, "the Transitions dashboard")

    # The worklist has the episode's tasks, the contact first among them.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    expect(results(page).get_by_role("link", name=CONTACT_TASK, exact=True)).to_be_visible()
    expect(results(page).get_by_role("link", name=re.compile(r"^Medication reconciliation, by"))).to_be_visible()
    expect(results(page).get_by_role("link", name=re.compile(r"^Face-to-face visit within 14 days"))).to_be_visible()

    # The episode's page: record the contact.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transitions").click()
    page.get_by_role("link", name="Delgado, Rosa").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Transition after discharge on 11/23/2026")
    expect(page.locator("#deadline-contact")).to_contain_text("Due in 1 day")
    assert_accessible(page, "the episode page")
    page.locator("#deadline-contact summary", has_text="Record contact").click()
    form = page.locator("#deadline-contact form")
    form.get_by_label("What happened").fill("Reached Rosa: home, breathing easier, has her medicines.")
    form.get_by_role("button", name="Record contact").click()
    expect(page.get_by_text("Interactive contact recorded.")).to_be_visible()
    expect(page.locator("#deadline-contact .deadline")).to_have_text("Done")
    expect(page.locator("#deadline-contact .deadline")).to_have_class(re.compile(r"\bdeadline-done\b"))
    expect(page.locator("#deadline-contact")).to_contain_text("by Dana Whitfield")

    # Green on the dashboard too, and the contact task is done (off the worklist).
    page.get_by_role("link", name="Transitions", exact=True).first.click()
    done = page.locator("table.tx-dashboard tbody tr", has=page.get_by_role("link", name="Delgado, Rosa"))
    expect(done.locator("td").nth(2).locator(".deadline")).to_have_class(re.compile(r"\bdeadline-done\b"))
    # --ok, the green; to_have_css waits for the stylesheet (a computed style read at once raced it once).
    expect(done.locator("td").nth(2).locator(".deadline")).to_have_css("color", "rgb(29, 107, 58)")
    task = Task.objects.get(focus_id=episode.public_id, dedupe_key__endswith=":contact")
    assert task.status == "completed"
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    expect(results(page).get_by_role("link", name=re.compile(r"^Medication reconciliation, by"))).to_be_visible()
    expect(results(page).get_by_role("link", name=CONTACT_TASK, exact=True)).to_have_count(0)
