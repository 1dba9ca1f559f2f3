"""Prior authorizations: lifecycle, units used, appeals with deadlines and documents, and the expiry job."""

import datetime as dt

import pytest
import time_machine

from carecoord.careplans.models import Task
from carecoord.core.errors import InvalidStateError, ValidationError
from carecoord.coverage import priorauth_services as svc
from carecoord.coverage.jobs import alert_expiring_prior_auths
from carecoord.coverage.models import PriorAuthorization

from ..factories import PatientFactory
from .factories import make_coverage, make_payer

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org)


@pytest.fixture
def auth(actor, patient):
    coverage = make_coverage(actor, patient, make_payer(actor, appeal_deadline_days=45))
    data = {
        "coverage": coverage,
        "service": "Outpatient physical therapy",
        "procedure_codes": ["97110", "97530"],
        "diagnosis_codes": ["M17.11"],
        "units_requested": 12,
        "start_date": dt.date(2026, 3, 1),
        "end_date": dt.date(2026, 5, 31),
    }
    return svc.prior_auth_create(actor=actor, patient=patient, data=data)


def move(actor, auth, status, **kwargs):
    auth.refresh_from_db()
    return svc.prior_auth_set_status(actor=actor, auth=auth, status=status, expected_version=auth.version, **kwargs)


def test_the_payer_appeal_days_are_copied(auth):
    assert auth.appeal_deadline_days == 45
    assert auth.status == "draft"


def test_lifecycle_and_units(actor, auth):
    move(actor, auth, "submitted", on=dt.date(2026, 2, 20))
    move(actor, auth, "pended", on=dt.date(2026, 2, 22))
    with pytest.raises(ValidationError, match="from 1 to 11 units"):
        move(actor, auth, "partially_approved", on=dt.date(2026, 2, 25), units_approved=12)
    auth = move(actor, auth, "partially_approved", on=dt.date(2026, 2, 25), units_approved=8, reference_number="A-1")
    assert (auth.units_approved, auth.decided_on, auth.reference_number) == (8, dt.date(2026, 2, 25), "A-1")
    svc.prior_auth_visit_record(actor=actor, auth=auth, service_date=dt.date(2026, 3, 2), units=3)
    visit = svc.prior_auth_visit_record(actor=actor, auth=auth, service_date=dt.date(2026, 3, 9), units=4)
    auth.refresh_from_db()
    assert auth.units_used == 7
    with pytest.raises(ValidationError, match="Only 1 unit left"):
        svc.prior_auth_visit_record(actor=actor, auth=auth, service_date=dt.date(2026, 3, 16), units=2)
    with pytest.raises(ValidationError, match="outside the authorized dates"):
        svc.prior_auth_visit_record(actor=actor, auth=auth, service_date=dt.date(2026, 6, 1))
    svc.prior_auth_visit_void(actor=actor, visit=visit)
    auth.refresh_from_db()
    assert auth.units_used == 3


def test_refused_transitions(actor, auth):
    with pytest.raises(InvalidStateError, match="draft cannot become approved"):
        move(actor, auth, "approved")
    with pytest.raises(InvalidStateError, match="approved authorization only"):
        svc.prior_auth_visit_record(actor=actor, auth=auth, service_date=dt.date(2026, 3, 2))


def test_dates_in_the_future_are_refused(actor, auth):
    with time_machine.travel(dt.datetime(2026, 2, 20, 18, 0, tzinfo=dt.UTC), tick=False):
        with pytest.raises(ValidationError, match="cannot be submitted on a future date"):
            move(actor, auth, "submitted", on=dt.date(2026, 4, 20))
        move(actor, auth, "submitted", on=dt.date(2026, 2, 20))
        for status in ("approved", "partially_approved", "denied"):
            with pytest.raises(ValidationError, match="cannot be decided on a future date"):
                move(actor, auth, status, on=dt.date(2026, 2, 21), units_approved=6, denial_reason="No")
        auth = move(actor, auth, "denied", on=dt.date(2026, 2, 20), denial_reason="Not medically necessary")
        appeal = svc.appeal_create(actor=actor, auth=auth)
        with pytest.raises(ValidationError, match="appeal cannot be filed or decided on a future date"):
            svc.appeal_set_status(
                actor=actor, appeal=appeal, status="filed", expected_version=appeal.version, on=dt.date(2026, 2, 21)
            )
    assert auth.submitted_on == dt.date(2026, 2, 20)


def test_a_denial_needs_a_reason_and_puts_the_appeal_on_the_worklist(actor, auth):
    move(actor, auth, "submitted", on=dt.date(2026, 2, 20))
    with pytest.raises(ValidationError, match="reason"):
        move(actor, auth, "denied", on=dt.date(2026, 3, 1))
    move(actor, auth, "denied", on=dt.date(2026, 3, 1), denial_reason="Not medically necessary")
    task = Task.objects.get(focus_id=auth.public_id)
    assert task.due_date == dt.date(2026, 4, 15)  # 45 days, this payer's deadline
    assert task.source == "coverage"
    assert "by 04/15/2026" in task.title


def test_appeal_levels_documents_and_overturn(actor, auth):
    move(actor, auth, "submitted", on=dt.date(2026, 2, 20))
    move(actor, auth, "denied", on=dt.date(2026, 3, 1), denial_reason="Not medically necessary")
    auth.refresh_from_db()
    first = svc.appeal_create(actor=actor, auth=auth)
    assert (first.level, first.filing_deadline) == (1, dt.date(2026, 4, 15))
    with pytest.raises(InvalidStateError, match="after the previous level upheld"):
        svc.appeal_create(actor=actor, auth=auth)
    document = svc.appeal_document_add(actor=actor, appeal=first, title="Letter", file_name="letter.pdf", content=PDF)
    assert document.content_type == "application/pdf"
    assert document.size == len(PDF)
    with pytest.raises(ValidationError, match="PDF, PNG or JPEG"):
        svc.appeal_document_add(actor=actor, appeal=first, title="x", file_name="evil.pdf", content=b"MZ\x90\x00")
    with pytest.raises(ValidationError, match="empty"):
        svc.appeal_document_add(actor=actor, appeal=first, title="x", file_name="e.pdf", content=b"")
    file_first = Task.objects.get(focus_id=auth.public_id)
    assert file_first.status == "requested"
    first = svc.appeal_set_status(actor=actor, appeal=first, status="filed", expected_version=first.version,
                                  on=dt.date(2026, 3, 10))  # fmt: skip
    file_first.refresh_from_db()
    assert (file_first.status, file_first.outcome_note) == ("completed", "Appeal filed on 03/10/2026.")
    first = svc.appeal_set_status(actor=actor, appeal=first, status="upheld", expected_version=first.version,
                                  on=dt.date(2026, 4, 1))  # fmt: skip
    second = svc.appeal_create(actor=actor, auth=auth)
    assert (second.level, second.filing_deadline) == (2, dt.date(2026, 5, 16))  # 45 days from the upheld decision
    assert Task.objects.filter(focus_id=auth.public_id).count() == 2
    second = svc.appeal_set_status(actor=actor, appeal=second, status="filed", expected_version=second.version)
    assert not Task.objects.filter(focus_id=auth.public_id, status="requested").exists()  # both levels filed
    svc.appeal_set_status(actor=actor, appeal=second, status="overturned", expected_version=second.version)
    auth.refresh_from_db()
    assert auth.status == "approved"
    assert auth.units_approved == 12


def test_a_withdrawn_appeal_voids_its_filing_task(actor, auth):
    move(actor, auth, "submitted", on=dt.date(2026, 2, 20))
    move(actor, auth, "denied", on=dt.date(2026, 3, 1), denial_reason="Not medically necessary")
    auth.refresh_from_db()
    appeal = svc.appeal_create(actor=actor, auth=auth)
    svc.appeal_set_status(actor=actor, appeal=appeal, status="withdrawn", expected_version=appeal.version,
                          on=dt.date(2026, 3, 5))  # fmt: skip
    task = Task.objects.get(focus_id=auth.public_id)
    assert task.status == "cancelled"
    assert task.events.filter(note="Appeal withdrawn on 03/05/2026.").exists()


def test_expiry_alerts_once_and_then_expires(actor, auth):
    move(actor, auth, "submitted", on=dt.date(2026, 2, 20))
    move(actor, auth, "approved", on=dt.date(2026, 2, 25))
    with time_machine.travel(dt.datetime(2026, 5, 10, 15, tzinfo=dt.UTC)):
        alert_expiring_prior_auths()
        assert not Task.objects.filter(dedupe_key__startswith="priorauth-expiry").exists()  # 21 days out
    with time_machine.travel(dt.datetime(2026, 5, 20, 15, tzinfo=dt.UTC)):
        alert_expiring_prior_auths()
        alert_expiring_prior_auths()
        tasks = Task.objects.filter(dedupe_key__startswith="priorauth-expiry")
        assert tasks.count() == 1
        assert "expires on 05/31/2026" in tasks.get().title
        assert tasks.get().source == "coverage"
    with time_machine.travel(dt.datetime(2026, 6, 2, 15, tzinfo=dt.UTC)):
        alert_expiring_prior_auths()
        alert_expiring_prior_auths()
    auth.refresh_from_db()
    assert auth.status == "expired"
    assert Task.objects.filter(dedupe_key__startswith="priorauth-expiry").count() == 1


def test_the_expiry_job_ignores_other_organizations_and_drafts(actor, other_actor, auth):
    other_patient = PatientFactory(organization=other_actor.organization)
    make_coverage(other_actor, other_patient)
    with time_machine.travel(dt.datetime(2026, 5, 30, 15, tzinfo=dt.UTC)):
        alert_expiring_prior_auths()
    assert not Task.objects.exists()
    assert PriorAuthorization.objects.get(pk=auth.pk).status == "draft"
