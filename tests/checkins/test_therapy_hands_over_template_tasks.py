"""
The post-surgical PT/OT care-plan template estimates the progress report (by the 10th visit) and the
recertification (by day 90) with dates. A therapy plan linked to that care plan counts both exactly, so linking it
completes the estimates, saying why, and leaves the rest of the template's tasks open: the worklist carries the
work once.
"""

import datetime as dt

import pytest

from carecoord.careplans.models import CarePlanTemplate
from carecoord.careplans.services import careplan_template_apply
from carecoord.checkins import therapy_services
from tests.factories import PatientFactory
from tests.scheduling.factories import clinic

pytestmark = pytest.mark.usefixtures("_frozen_clock")

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 09:00 in Chicago
TRACKED = {"therapy-progress-report", "therapy-recertify"}


@pytest.fixture
def careplan(actor, org):
    patient = PatientFactory(organization=org)
    template = CarePlanTemplate.objects.get(key="post-surgical-pt-ot", organization__isnull=True)
    return careplan_template_apply(actor=actor, patient=patient, template=template, start_date=dt.date(2026, 11, 20))


def open_keys(careplan) -> set[str]:
    return set(careplan.tasks.filter(status="requested").values_list("template_task_key", flat=True))


def link_therapy_plan(actor, plan, org, **changes):
    _, _, kind = clinic(org, given_name="Pat", family_name="Therapist")
    data = {
        "discipline": "PT",
        "certification_start": dt.date(2026, 11, 20),
        "certification_end": dt.date(2027, 2, 17),
        "visits_planned": 12,
        "progress_report_every": 10,
        "careplan": plan,
        **changes,
    }
    return therapy_services.therapy_plan_create(actor=actor, patient=plan.patient, data=data, appointment_types=[kind])


def test_the_template_estimates_both(careplan):
    assert open_keys(careplan) >= TRACKED


def test_linking_a_therapy_plan_completes_the_estimates_and_only_them(actor, careplan, org):
    from_template = careplan.tasks.filter(status="requested", template_task_key__isnull=False)
    before = from_template.count()
    link_therapy_plan(actor, careplan, org)
    assert not TRACKED & open_keys(careplan)
    assert from_template.count() == before - 2
    estimate = careplan.tasks.get(template_task_key="therapy-recertify")
    assert estimate.status == "completed"
    assert estimate.events.filter(note__contains="The physical therapy plan of care tracks this").exists()


def test_a_therapy_plan_without_a_care_plan_leaves_the_estimates(actor, careplan, org):
    link_therapy_plan(actor, careplan, org, careplan=None)
    assert open_keys(careplan) >= TRACKED
