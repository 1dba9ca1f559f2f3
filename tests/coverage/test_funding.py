"""Funding applications: missing-document tasks follow the checklist; renewals reach the worklist once."""

import datetime as dt

import pytest
import time_machine

from carecoord.careplans.models import Task
from carecoord.core.errors import InvalidStateError
from carecoord.coverage import funding_services as svc
from carecoord.coverage.jobs import sync_funding_application_tasks

from ..factories import PatientFactory


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org)


def create(actor, patient, **data):
    values = {"program": "msp", "program_name": "QMB", "documents": ["Proof of income", "Bank statement"]}
    return svc.application_create(actor=actor, patient=patient, data={**values, **data})


def test_each_missing_document_is_a_task_cancelled_when_no_longer_needed(actor, patient):
    app = create(actor, patient)
    tasks = Task.objects.filter(focus_id=app.public_id).order_by("title")
    assert [t.title for t in tasks] == ["Get Bank statement for QMB", "Get Proof of income for QMB"]
    assert {t.source for t in tasks} == {"coverage"}
    svc.application_update(actor=actor, application=app, data={"documents": ["Bank statement"]},
                           expected_version=app.version)  # fmt: skip
    assert list(app.documents.values_list("name", flat=True)) == ["Bank statement"]
    assert Task.objects.get(title="Get Proof of income for QMB").status == "cancelled"
    assert Task.objects.get(title="Get Bank statement for QMB").status == "requested"
    sync_funding_application_tasks()
    assert Task.objects.filter(focus_id=app.public_id).count() == 2  # the job makes nothing twice


def test_status_rules_and_dates(actor, patient):
    app = create(actor, patient, documents=[])
    with pytest.raises(InvalidStateError, match="preparing cannot become approved"):
        svc.application_update(actor=actor, application=app, data={"status": "approved"}, expected_version=app.version)
    app.refresh_from_db()
    app = svc.application_update(
        actor=actor, application=app, data={"status": "submitted"}, expected_version=app.version
    )
    assert app.submitted_on is not None


def test_the_renewal_task_comes_once_ahead_of_the_date(actor, patient):
    with time_machine.travel(dt.datetime(2026, 1, 10, 15, tzinfo=dt.UTC)):
        app = create(actor, patient, documents=[], status="submitted", submitted_on=dt.date(2026, 1, 5))
        app = svc.application_update(actor=actor, application=app, expected_version=app.version,
                                     data={"status": "approved", "renewal_date": dt.date(2026, 12, 31)})  # fmt: skip
        sync_funding_application_tasks()
        assert not Task.objects.filter(dedupe_key__startswith="funding-renewal").exists()
    with time_machine.travel(dt.datetime(2026, 11, 5, 15, tzinfo=dt.UTC)):
        sync_funding_application_tasks()
        sync_funding_application_tasks()
    renewal = Task.objects.get(dedupe_key__startswith="funding-renewal")
    assert renewal.title == "Renew QMB by 12/31/2026"
    assert renewal.due_date == dt.date(2026, 12, 1)


def test_a_decision_date_without_a_submitted_date_asks_for_the_submitted_date(actor, patient):
    from carecoord.core.errors import ValidationError

    with pytest.raises(ValidationError, match="Enter the date it was submitted") as caught:
        create(actor, patient, documents=[], status="submitted", decided_on=dt.date(2026, 1, 5))
    assert caught.value.field == "submitted_on"
    app = create(actor, patient, documents=[], status="submitted", submitted_on=dt.date(2026, 1, 2))
    with pytest.raises(ValidationError, match="cannot come before"):
        svc.application_update(actor=actor, application=app, expected_version=app.version,
                               data={"status": "approved", "decided_on": dt.date(2026, 1, 1)})  # fmt: skip
