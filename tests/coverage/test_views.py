"""The Insurance tab and its pages through the test client."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from carecoord.careplans.models import Task
from carecoord.core import clock
from carecoord.core.models import AuditEvent
from carecoord.coverage.models import Coverage, EligibilityCheck, FundingApplication, Payer, PriorAuthorization
from carecoord.coverage.x12 import parse_270

from ..conftest import signed_in_client
from ..factories import PatientFactory
from .factories import make_coverage, make_payer, x12_sample


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Adaeze", family_name="Okafor")


@pytest.fixture
def client(actor):
    return signed_in_client(actor)


def tab(patient) -> str:
    return reverse("coverage:patient_insurance", args=[patient.public_id])


def test_the_tab_shows_coverages_in_order_and_is_audited(client, actor, patient):
    make_coverage(actor, patient, plan_name="Silver Plan")
    make_coverage(actor, patient, plan_name="Medigap F", position=1)
    response = client.get(tab(patient))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("Medigap F") < body.index("Silver Plan")
    assert "Primary" in body
    assert "Secondary" in body
    assert 'aria-current="page">Insurance' in body
    assert AuditEvent.objects.filter(event="insurance.view", patient_public_id=patient.public_id).exists()


def test_adding_a_coverage(client, actor, patient):
    payer = make_payer(actor)
    url = reverse("coverage:patient_coverage_add", args=[patient.public_id])
    data = {"coverage-position": "9", "coverage-product_type": "medicaid", "coverage-payer": str(payer.public_id),
            "coverage-member_id": "MCD1", "coverage-relationship": "self"}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302
    assert Coverage.objects.get(member_id="MCD1").order == 1
    bad = client.post(url, {**data, "coverage-member_id": ""})
    assert bad.status_code == 400
    assert "Give the member ID" in bad.content.decode()


def test_eligibility_from_270_to_271(client, actor, patient):
    coverage = make_coverage(actor, patient, make_payer(actor, payer_id="60054"))
    start = client.post(
        reverse("coverage:coverage_eligibility_start", args=[coverage.public_id]), {"start-service_types": ["30"]}
    )
    assert start.status_code == 302
    check = EligibilityCheck.objects.get()
    download = client.get(reverse("coverage:eligibility_request", args=[check.public_id]))
    assert download["Content-Disposition"].startswith("attachment;")
    assert parse_270(download.content.decode()).member_id == coverage.member_id
    upload_url = reverse("coverage:eligibility_upload", args=[check.public_id])
    broken = SimpleUploadedFile("resp.271", x12_sample("subscriber-health-benefit-check-error.271").encode())
    response = client.post(upload_url, {"file": broken})
    assert response.status_code == 400
    assert "malformed" in response.content.decode()
    good = x12_sample("subscriber-health-benefit-check.271").replace("93175-012547", check.trace_number)
    response = client.post(upload_url, {"file": SimpleUploadedFile("resp.271", good.encode())})
    assert response.status_code == 302
    page = client.get(reverse("coverage:eligibility_detail", args=[check.public_id])).content.decode()
    assert "Active coverage" in page
    assert "Out of network" in page
    assert "$30.00" in page


def test_a_portal_check_is_recorded(client, actor, patient):
    coverage = make_coverage(actor, patient)
    url = reverse("coverage:coverage_eligibility_record", args=[coverage.public_id])
    response = client.post(url, {"record-method": "portal", "record-status": "active", "record-plan_name": "Gold"})
    assert response.status_code == 302
    assert EligibilityCheck.objects.get().status == "active"


def request_form(coverage) -> dict:
    """A prior authorization request as the patient's Insurance tab posts it."""
    return {"auth-coverage": str(coverage.public_id), "auth-service": "Home health", "auth-procedure_codes": "G0151",
            "auth-diagnosis_codes": "I50.22", "auth-units_requested": "6", "auth-start_date": "2026-03-01",
            "auth-end_date": "2026-04-30"}  # fmt: skip


def requested(client, actor, patient) -> PriorAuthorization:
    """A draft request for the patient's new coverage, made from the page."""
    coverage = make_coverage(actor, patient)
    client.post(reverse("coverage:patient_priorauth_add", args=[patient.public_id]), request_form(coverage))
    return PriorAuthorization.objects.get()


def test_a_future_submission_is_refused_and_only_the_next_statuses_are_offered(client, actor, patient):
    auth = requested(client, actor, patient)
    status_url = reverse("coverage:priorauth_status", args=[auth.public_id])
    later = (clock.today_in(actor.organization.tz) + dt.timedelta(days=60)).isoformat()
    refused = client.post(status_url, {"status": "submitted", "on": later, "version": 1})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "The request cannot be submitted on a future date." in body
    assert re.findall(r'<option value="([^"]+)"', body) == ["submitted"]
    auth.refresh_from_db()
    assert (auth.status, auth.submitted_on) == ("draft", None)
    assert client.post(status_url, {"status": "submitted", "on": "2026-02-20", "version": 1}).status_code == 302
    refused = client.post(status_url, {"status": "approved", "on": later, "version": 2})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "The request cannot be decided on a future date." in body
    assert re.findall(r'<option value="([^"]+)"', body) == ["pended", "approved", "partially_approved", "denied"]


def test_prior_auth_pages(client, actor, patient):
    coverage = make_coverage(actor, patient)
    url = reverse("coverage:patient_priorauth_add", args=[patient.public_id])
    data = request_form(coverage)
    assert client.post(url, {**data, "auth-procedure_codes": "G01"}).status_code == 400
    response = client.post(url, data)
    auth = PriorAuthorization.objects.get()
    assert response["Location"] == auth.get_absolute_url()
    status_url = reverse("coverage:priorauth_status", args=[auth.public_id])
    assert client.post(status_url, {"status": "submitted", "on": "2026-02-20", "version": 1}).status_code == 302
    denied = client.post(status_url, {"status": "denied", "on": "2026-02-27", "version": 2})
    assert denied.status_code == 400
    assert "reason" in denied.content.decode()
    assert client.post(status_url, {"status": "denied", "on": "2026-02-27", "version": 2,
                                    "denial_reason": "Not homebound"}).status_code == 302  # fmt: skip
    client.post(reverse("coverage:priorauth_appeal_add", args=[auth.public_id]))
    appeal = auth.appeals.get()
    upload = SimpleUploadedFile("letter.pdf", b"%PDF-1.4\nhello\n%%EOF", content_type="application/pdf")
    doc_url = reverse("coverage:appeal_document_add", args=[appeal.public_id])
    assert client.post(doc_url, {"title": "Physician letter", "file": upload}).status_code == 302
    fake = SimpleUploadedFile("x.pdf", b"<script>", content_type="application/pdf")
    refused = client.post(doc_url, {"file": fake})
    assert refused.status_code == 400
    assert "PDF, PNG or JPEG" in refused.content.decode()
    page = client.get(auth.get_absolute_url()).content.decode()
    assert "Physician letter" in page
    assert "04/28/2026" in page  # 60 days after the denial by default
    document = appeal.documents.get()
    download = client.get(reverse("coverage:document_download", args=[document.public_id]))
    assert download.content.startswith(b"%PDF")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_application_pages(client, actor, patient):
    url = reverse("coverage:patient_application_add", args=[patient.public_id])
    data = {"application-program": "extra_help", "application-status": "preparing",
            "application-documents": "Proof of income\nMedicare card"}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == tab(patient) + "#applications"  # added from the tab's funding section
    app = FundingApplication.objects.get()
    assert app.program_name == "Extra Help (Part D LIS)"
    assert Task.objects.filter(focus_id=app.public_id).count() == 2
    form = {
        "program": "extra_help",
        "status": "submitted",
        "documents": "Medicare card",
        "version": app.version,
    }
    edit = client.post(app.get_absolute_url(), form)
    assert edit.status_code == 302
    assert edit["Location"] == app.get_absolute_url()  # back to the application, not the Insurance tab
    app.refresh_from_db()
    assert app.status == "submitted"
    assert app.submitted_on is not None
    assert Task.objects.get(title__startswith="Get Proof of income").status == "cancelled"
    assert "Application saved." in client.get(edit["Location"]).content.decode()


def test_payer_directory(client, actor):
    response = client.post(reverse("coverage:payer_list"), {"name": "Humana", "payer_id": "61101",
                                                            "appeal_deadline_days": "65"})  # fmt: skip
    assert response.status_code == 302
    payer = Payer.objects.get()
    assert payer.appeal_deadline_days == 65
    page = client.get(reverse("coverage:payer_edit", args=[payer.public_id]))
    assert page.status_code == 200
    assert "61101" in page.content.decode()


def test_another_organization_gets_404(other_actor, actor, patient):
    coverage = make_coverage(actor, patient)
    other = signed_in_client(other_actor)
    assert other.get(tab(patient)).status_code == 404
    assert other.post(reverse("coverage:coverage_end", args=[coverage.public_id]), {"version": 1}).status_code == 404
    coverage.refresh_from_db()
    assert coverage.status == "active"


def _appeal_form_fields(page: str, action: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The hidden inputs (name, value) and the status options of the appeal form the page shows."""
    form = page[page.index(f'action="{action}"') :]
    form = form[: form.index("</form>")]
    hidden = re.findall(r'<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?', form)
    return hidden, re.findall(r'<option value="([^"]+)"', form)


def denied_and_appealed(client, actor, patient):
    """A request submitted and denied from its page, and an appeal started: (authorization, appeal, its form's URL)."""
    auth = requested(client, actor, patient)
    status_url = reverse("coverage:priorauth_status", args=[auth.public_id])
    client.post(status_url, {"status": "submitted", "on": "2026-02-20", "version": 1})
    client.post(status_url, {"status": "denied", "on": "2026-02-27", "version": 2, "denial_reason": "Not homebound"})
    client.post(reverse("coverage:priorauth_appeal_add", args=[auth.public_id]))
    appeal = auth.appeals.get()
    return auth, appeal, reverse("coverage:appeal_status", args=[appeal.public_id])


def test_an_appeal_is_filed_and_decided_from_its_page(client, actor, patient):
    auth, appeal, action = denied_and_appealed(client, actor, patient)

    hidden, statuses = _appeal_form_fields(client.get(auth.get_absolute_url()).content.decode(), action)
    assert [name for name, _ in hidden if name != "csrfmiddlewaretoken"] == ["version"]  # one version, the appeal's
    assert statuses == ["filed", "withdrawn"]
    posted = {name: [v for n, v in hidden if n == name] for name, _ in hidden if name != "csrfmiddlewaretoken"}
    assert client.post(action, {**posted, "status": "filed", "on": "2026-03-05"}).status_code == 302

    hidden, statuses = _appeal_form_fields(client.get(auth.get_absolute_url()).content.decode(), action)
    assert statuses == ["filed", "upheld", "overturned", "partially_overturned", "withdrawn"]  # filed: stays filed
    posted = {name: [v for n, v in hidden if n == name] for name, _ in hidden if name != "csrfmiddlewaretoken"}
    outcome = {**posted, "status": "partially_overturned", "on": "2026-03-20", "units_approved": "4", "note": "4 of 6"}
    assert client.post(action, outcome).status_code == 302
    auth.refresh_from_db()
    appeal.refresh_from_db()
    assert (appeal.status, auth.status, auth.units_approved) == ("partially_overturned", "partially_approved", 4)


def test_the_payers_decision_date_is_entered_when_filing_and_shown_on_the_page(client, actor, patient):
    auth, appeal, action = denied_and_appealed(client, actor, patient)
    assert 'name="decision_due"' in client.get(auth.get_absolute_url()).content.decode()

    filing = {"status": "filed", "on": "2026-03-05", "version": appeal.version}
    refused = client.post(action, {**filing, "decision_due": "2026-03-04"})
    assert refused.status_code == 400
    assert (
        "The payer&#x27;s decision cannot be due before the appeal was filed (03/05/2026)." in refused.content.decode()
    )
    appeal.refresh_from_db()
    assert (appeal.status, appeal.filed_on, appeal.decision_due) == ("preparing", None, None)

    assert client.post(action, {**filing, "decision_due": "2026-04-06"}).status_code == 302
    appeal.refresh_from_db()
    assert (appeal.status, appeal.filed_on, appeal.decision_due) == ("filed", dt.date(2026, 3, 5), dt.date(2026, 4, 6))
    page = client.get(auth.get_absolute_url()).content.decode()
    assert "<dt>Decision due</dt><dd>04/06/2026</dd>" in page
    event = AuditEvent.objects.filter(event="appeal.status").latest("pk")
    assert event.detail == {"status": "filed", "decision_due": "2026-04-06"}


def test_the_decision_date_is_recorded_on_a_filed_appeal_when_the_payers_letter_comes(client, actor, patient):
    auth, appeal, action = denied_and_appealed(client, actor, patient)
    client.post(action, {"status": "filed", "on": "2026-03-05", "version": appeal.version})
    appeal.refresh_from_db()
    assert "Still filed: record the payer&#x27;s decision date" in client.get(auth.get_absolute_url()).content.decode()

    staying = {"status": "filed", "version": appeal.version}
    refused = client.post(action, staying)
    assert refused.status_code == 400
    assert "Enter the date the payer must decide by." in refused.content.decode()
    assert client.post(action, {**staying, "decision_due": "2026-04-06"}).status_code == 302
    appeal.refresh_from_db()
    assert (appeal.status, appeal.filed_on, appeal.decision_due) == ("filed", dt.date(2026, 3, 5), dt.date(2026, 4, 6))


def test_the_request_form_picks_the_only_coverage_and_shows_every_problem_at_once(client, actor, patient):
    coverage = make_coverage(actor, patient)
    page = client.get(tab(patient)).content.decode()
    assert f'<option value="{coverage.public_id}" selected>' in page
    data = {"auth-service": "Home health", "auth-procedure_codes": "G0151", "auth-units_requested": "6",
            "auth-start_date": "2026-03-01", "auth-end_date": "2026-02-01"}  # fmt: skip
    refused = client.post(reverse("coverage:patient_priorauth_add", args=[patient.public_id]), data)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "This field is required." in body  # the coverage left blank
    assert "The authorization ends before it starts." in body  # in the same answer
    assert not PriorAuthorization.objects.exists()


def test_a_denial_shows_the_day_to_appeal_by_and_the_days_left(client, actor, patient):
    auth = requested(client, actor, patient)
    draft = client.get(auth.get_absolute_url()).content.decode()
    assert "Appeal by" not in draft
    assert "Days to appeal a denial" in draft
    status_url = reverse("coverage:priorauth_status", args=[auth.public_id])
    client.post(status_url, {"status": "submitted", "on": "2026-02-20", "version": 1})
    denied_on = clock.today_in(actor.organization.tz) - dt.timedelta(days=10)
    client.post(status_url, {"status": "denied", "on": denied_on.isoformat(), "version": 2, "denial_reason": "No"})
    auth.refresh_from_db()
    deadline = denied_on + dt.timedelta(days=auth.appeal_deadline_days)
    page = client.get(auth.get_absolute_url()).content.decode()
    assert f"{deadline:%m/%d/%Y} ({auth.appeal_deadline_days - 10} days left;" in page


def test_the_first_coverage_is_offered_as_primary_and_order_appears_with_two(client, actor, patient):
    page = client.get(tab(patient)).content.decode()
    assert re.search(r'<option value="1" selected>Primary</option>', page)
    first = make_coverage(actor, patient, member_id="M1")
    page = client.get(tab(patient)).content.decode()
    assert re.search(r'<option value="9" selected>After the others</option>', page)
    assert reverse("coverage:coverage_order", args=[first.public_id]) not in page  # nothing to reorder
    second = make_coverage(actor, patient, member_id="M2")
    page = client.get(tab(patient)).content.decode()
    assert reverse("coverage:coverage_order", args=[first.public_id]) in page
    assert reverse("coverage:coverage_order", args=[second.public_id]) in page
