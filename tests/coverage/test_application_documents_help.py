"""The funding application page: the document checklist with its Received / Not received buttons."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from carecoord.core.models import AuditEvent
from carecoord.coverage.models import FundingApplication

from ..conftest import signed_in_client
from ..factories import PatientFactory, make_actor


@pytest.fixture
def app(actor):
    patient = PatientFactory(organization=actor.organization)
    client = signed_in_client(actor)
    url = reverse("coverage:patient_application_add", args=[patient.public_id])
    data = {"application-program": "extra_help", "application-status": "preparing",
            "application-documents": "Proof of income\nPhoto ID"}  # fmt: skip
    assert client.post(url, data).status_code == 302
    return FundingApplication.objects.get()


def mark_url(app) -> str:
    return reverse("coverage:application_document_mark", args=[app.public_id])


def post_mark(client, app, name, received):
    app.refresh_from_db()
    document = app.documents.get(name=name)
    data = {"document": document.public_id, "received": "1" if received else "0", "version": app.version}
    return client.post(mark_url(app), data)


def test_the_page_lists_each_document_with_a_received_button_and_what_is_missing(actor, app):
    page = signed_in_client(actor).get(app.get_absolute_url()).content.decode()
    assert "2 of 2 still missing:</strong> Proof of income, Photo ID." in page
    assert page.count('aria-label="Mark Proof of income received"') == 1
    assert 'aria-label="Mark Photo ID received"' in page


def test_received_shows_who_and_when_in_the_organizations_time_and_the_tab_counts_the_missing(actor, app):
    client = signed_in_client(actor)
    # 15:30 UTC on March 2, 2026 is 9:30 AM in Chicago (CST), the test organization's time zone.
    with time_machine.travel(dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC), tick=False):
        response = post_mark(client, app, "Photo ID", received=True)
    assert response.status_code == 302
    assert response["Location"] == app.get_absolute_url() + "#documents"
    page = client.get(response["Location"]).content.decode()
    assert "Photo ID marked received." in page
    assert "1 of 2 still missing:</strong> Proof of income." in page
    assert "03/02/2026 9:30 AM" in page
    assert actor.user.full_name in page
    assert 'aria-label="Mark Photo ID not received"' in page
    tab = client.get(reverse("coverage:patient_insurance", args=[app.patient.public_id])).content.decode()
    assert "<strong>1 of 2</strong>" in tab
    assert AuditEvent.objects.filter(event="funding.document_received").count() == 1


def test_not_received_undoes_the_mark(actor, app):
    client = signed_in_client(actor)
    post_mark(client, app, "Photo ID", received=True)
    assert post_mark(client, app, "Photo ID", received=False).status_code == 302
    assert app.documents.get(name="Photo ID").received_at is None
    page = client.get(app.get_absolute_url()).content.decode()
    assert "2 of 2 still missing" in page


def test_a_stale_page_is_refused_with_a_message_and_nothing_changes(actor, app):
    client = signed_in_client(actor)
    document = app.documents.get(name="Photo ID")
    stale = {"document": document.public_id, "received": "1", "version": app.version}
    post_mark(client, app, "Proof of income", received=True)
    response = client.post(mark_url(app), stale)
    assert response.status_code == 400
    assert "Someone else saved changes" in response.content.decode()
    assert app.documents.get(name="Photo ID").received_at is None


def test_a_document_of_another_application_is_not_found(actor, app):
    other = FundingApplication.objects.create(organization=app.organization, patient=app.patient, program="msp",
                                              program_name="QMB", created_by=actor.user)  # fmt: skip
    document = app.documents.get(name="Photo ID")
    data = {"document": document.public_id, "received": "1", "version": other.version}
    assert signed_in_client(actor).post(mark_url(other), data).status_code == 404
    assert app.documents.get(name="Photo ID").received_at is None


def test_a_scheduler_and_another_organization_cannot_mark(actor, other_actor, app):
    scheduler = make_actor(actor.organization, "scheduler")
    for who in (scheduler, other_actor):
        response = post_mark(signed_in_client(who), app, "Photo ID", received=True)
        assert response.status_code in (403, 404)
    assert app.documents.get(name="Photo ID").received_at is None
    assert post_mark(signed_in_client(other_actor), app, "Photo ID", received=True).status_code == 404
