"""The printable care plan: plain-language HTML (what the PDF is made from) and the PDF download."""

import datetime as dt
import socket

import pytest
from django.urls import reverse

from carecoord.careplans import pdf
from carecoord.core.models import AuditEvent
from carecoord.patients.models import CareTeamMember
from tests.factories import LocationFactory, PatientFactory

from .factories import CarePlanFactory, GoalFactory, TaskFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def plan(actor):
    patient = PatientFactory(
        organization=actor.organization, given_name="Rosa", family_name="Delgado", birth_date=dt.date(1948, 3, 7)
    )
    return CarePlanFactory(patient=patient, author=actor.user, title="Type 2 diabetes", start_date=dt.date(2026, 11, 2))


def test_the_print_page_speaks_plainly_about_goals_next_steps_and_who_to_call(actor, plan):
    LocationFactory(organization=actor.organization, phone="+13125550100")
    CareTeamMember.objects.create(
        organization=actor.organization,
        patient=plan.patient,
        role="coordinator",
        user=actor.user,
        start_date=dt.date(2026, 1, 1),
    )
    GoalFactory(
        careplan=plan,
        description="Lower your A1C",
        measure_code="4548-4",
        measure_display="Hemoglobin A1c",
        target_comparator="<",
        target_value=7,
        target_unit="%",
        due_date=dt.date(2027, 2, 1),
    )
    GoalFactory(careplan=plan, description="Cancelled goal", lifecycle_status="cancelled")
    TaskFactory(
        patient=plan.patient,
        careplan=plan,
        owner=actor.user,
        kind="call",
        title="Intake call",
        due_date=dt.date(2026, 12, 1),
        recurrence={"frequency": "weekly", "interval": 2, "count": 6},
    )
    TaskFactory(patient=plan.patient, careplan=plan, owner=actor.user, kind="escalation", title="Internal escalation")
    TaskFactory(
        patient=plan.patient,
        careplan=plan,
        owner=actor.user,
        kind="medication_review",
        title="Medicine review",
        due_date=dt.date(2026, 11, 20),
    )

    html = pdf.careplan_print_html(actor, plan)

    assert "Your care plan" in html
    assert "Rosa Delgado" in html
    assert "March 7, 1948" in html
    assert "Lower your A1C" in html
    assert "Your A1C (your average blood sugar over about 3 months) below 7 %" in html
    assert "Goal date: February 1, 2027" in html
    assert "We are working on this." in html
    assert "Cancelled goal" not in html
    assert "Internal escalation" not in html
    assert "Tuesday, December 1, 2026" in html
    assert '<strong>We will call you.</strong><span class="detail">Intake call</span>' in html
    assert '<td class="when">Soon</td>' in html  # the overdue review shows no date in the past
    assert "This repeats every 2 weeks, 6 times in all." in html
    assert f"<strong>{actor.user.full_name}</strong> — Care coordinator" in html
    assert "(312) 555-0100" in html
    assert f"Ask for {actor.user.full_name}, your care coordinator." in html
    assert "In an emergency, call 911." in html
    assert "Printed on November 26, 2026" in html
    assert "Language: English" in html


def test_patient_and_staff_text_is_escaped(actor, plan):
    plan.patient.given_name = "<script>alert(1)</script>"
    plan.patient.save()
    GoalFactory(careplan=plan, description='<img src="http://evil.example/x.png">')
    html = pdf.careplan_print_html(actor, plan)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html


def test_a_draft_says_it_is_not_approved_yet(actor, plan):
    plan.status = "draft"
    plan.save()
    assert "has not approved it yet" in pdf.careplan_print_html(actor, plan)


def test_the_pdf_is_made_without_fetching_anything(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the PDF tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    document = pdf.html_to_pdf(
        '<html><head><link rel="stylesheet" href="https://cdn.example/x.css"></head>'
        '<body><img src="https://cdn.example/logo.png"><p>Hello</p></body></html>'
    )
    assert document.startswith(b"%PDF")


def test_the_pdf_downloads_as_an_attachment_and_is_audited(actor, client_for, plan):
    response = client_for(actor).get(reverse("careplans:careplan_pdf", args=[plan.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="care-plan.pdf"'
    assert response.content.startswith(b"%PDF")
    printed = AuditEvent.objects.get(event="careplan.print")
    assert printed.object_id == str(plan.public_id)
    assert printed.patient_public_id == plan.patient.public_id


def test_another_organization_cannot_print_the_plan(other_actor, client_for, plan):
    response = client_for(other_actor).get(reverse("careplans:careplan_pdf", args=[plan.public_id]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(event="careplan.print").exists()
