"""
Signing a reconciliation completes the medication-review tasks it answers: the organization's open ones for the
patient due within the week (a nursing home's "Medication reconciliation with outside prescribers"), not a
review due later, another kind of task, another patient's or another organization's. Starting a comparison of
the same lists again resumes its draft instead of leaving a second one behind.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carecoord.careplans.models import Task
from carecoord.careplans.services import task_create
from carecoord.core.choices import Role
from carecoord.medications import selectors, services
from carecoord.patients.models import PatientShare

from ..factories import OrganizationFactory, PatientFactory, make_actor, share_by_consent

CHICAGO = ZoneInfo("America/Chicago")
TODAY = dt.date(2026, 3, 3)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 3, 10, 0, tzinfo=CHICAGO), tick=False):
        yield


def review_task(actor, patient, due, kind="medication_review", title="Medication reconciliation"):
    return task_create(actor=actor, patient=patient, kind=kind, title=title, due_date=due, owner=actor.user)


def sign(actor, patient, discharge, mar):
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge, other_lists=[mar])
    _, rows = selectors.reconciliation_rows(reconciliation)
    decisions = [{"row_key": row.key, "action": "continue"} for row in rows]
    services.reconciliation_decide(actor=actor, reconciliation=reconciliation, decisions=decisions)
    services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)


def test_signing_completes_the_review_tasks_due_this_week_only(actor, org, patient, discharge, mar):
    overdue = review_task(actor, patient, TODAY - dt.timedelta(days=2))
    this_week = review_task(actor, patient, TODAY + dt.timedelta(days=7))
    yearly = review_task(actor, patient, TODAY + dt.timedelta(days=8), title="Yearly medication review")
    call = review_task(actor, patient, TODAY, kind="call", title="Call the pharmacy")
    other_patient = review_task(actor, PatientFactory(organization=org), TODAY)
    partner_org = OrganizationFactory()
    share_by_consent(actor, patient, partner_org, TODAY)
    partner = make_actor(partner_org, Role.COORDINATOR)
    partners = review_task(partner, patient, TODAY)
    assert PatientShare.objects.filter(organization=partner_org).exists()

    sign(actor, patient, discharge, mar)

    status = {t.pk: t.status for t in Task.objects.all()}
    assert [status[t.pk] for t in (overdue, this_week)] == ["completed", "completed"]
    assert [status[t.pk] for t in (yearly, call, other_patient, partners)] == ["requested"] * 4
    overdue.refresh_from_db()
    assert overdue.completed_by == actor.user
    assert overdue.outcome_note == "Done: medication reconciliation signed on 03/03/2026."


def test_comparing_the_same_lists_again_resumes_the_draft(actor, patient, discharge, mar):
    first = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge, other_lists=[mar])
    again = services.reconciliation_start(actor=actor, patient=patient, base_list=mar, other_lists=[discharge])
    assert again.pk != first.pk  # another base list is another comparison
    assert services.reconciliation_start(actor=actor, patient=patient, base_list=discharge, other_lists=[mar]) == first
    services.reconciliation_discard(actor=actor, reconciliation=first)
    fresh = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge, other_lists=[mar])
    assert fresh.pk not in (first.pk, again.pk)
