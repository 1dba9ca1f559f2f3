"""
Patient education in a real browser: a Spanish-speaking patient with type 2 diabetes, the Spanish diabetes
handout suggested first on her Education tab, given in person with teach-back "needs reinforcement", and the
follow-up task that puts on the coordinator's worklist.
"""

import pytest
import time_machine
from playwright.sync_api import Page, expect

from carecoord.careplans.models import Task
from carecoord.core.choices import Role
from carecoord.education.models import Delivery

from ..factories import ConditionFactory, OrganizationFactory, PatientFactory, UserFactory, make_actor
from .helpers import assert_accessible, expect_signed_in, sign_in
from .worklist_helpers import MORNING, on_care_team_as_coordinator


@pytest.fixture
def morning():
    with time_machine.travel(MORNING, tick=True):
        yield


def _world():
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    make_actor(org, Role.COORDINATOR, user=dana)
    rosa = PatientFactory(
        organization=org, given_name="Rosa", family_name="Delgado", mrn="LC-1001", preferred_language="es"
    )
    ConditionFactory(patient=rosa, code="E11.9", display="Type 2 diabetes mellitus without complications")
    on_care_team_as_coordinator(rosa, dana)
    return dana, rosa


@pytest.mark.browser
def test_spanish_diabetes_handout_given_in_person_needing_reinforcement_lands_on_the_worklist(page: Page, morning):
    dana, rosa = _world()
    sign_in(page, dana.email)
    expect_signed_in(page)

    page.goto(f"/patients/{rosa.public_id}/")
    page.get_by_role("navigation", name="Chart sections").get_by_role("link", name="Education").click()
    expect(page.get_by_role("heading", name="Suggested materials")).to_be_visible()
    assert_accessible(page, "the Education tab")

    # The Spanish version comes first, and the delivery form has it chosen.
    first = page.locator("ol.suggestions > li").first
    expect(first.get_by_role("link")).to_have_text("Vivir con diabetes")
    expect(first).to_contain_text("Spanish")
    form = page.locator("form", has=page.get_by_role("button", name="Record", exact=True))
    expect(form.get_by_role("combobox", name="Material")).to_have_value(str(_material_id("diabetes-basics", "es")))

    # Given in person; teach-back shows she needs it again.
    form.get_by_role("group", name="How").get_by_label("Shown in person").check()
    form.get_by_role("combobox", name="Teach-back").select_option(label="Needs reinforcement")
    form.get_by_label("What they said or missed").fill("No recuerda cuándo medir el azúcar")
    form.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_text("A follow-up task is on your worklist.")).to_be_visible()
    deliveries = page.get_by_role("region", name="Materials given")
    expect(deliveries).to_contain_text("Vivir con diabetes")
    expect(deliveries).to_contain_text("Needs reinforcement")
    delivery = Delivery.objects.get(patient=rosa)
    assert (delivery.method, delivery.language, delivery.teach_back) == ("in_person", "es", "needs_reinforcement")

    # The follow-up task is on Dana's worklist.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    row = page.locator("#worklist-results tbody tr", has=page.get_by_text("Teach again: Vivir con diabetes"))
    expect(row).to_be_visible()
    expect(row).to_contain_text("Delgado, Rosa")
    task = Task.objects.get(pk=delivery.follow_up_task_id)
    assert (task.source, task.owner, task.status) == ("education", dana, "requested")


def _material_id(topic: str, language: str):
    from carecoord.education.models import Material

    return Material.objects.get(organization__isnull=True, topic=topic, language=language).public_id
