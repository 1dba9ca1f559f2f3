"""
The fast FHIR read (a bearer token's read of one Patient through statements compiled once per connection,
core.prepared): a fixed, small number of statements (test_read_identifiers counts what libpq sends), the
same answer as the ORM read, and no staleness: a revoked share, an ended break-glass window, an expired or
revoked token and an access-check fault are all seen on the very next read, although the statements were
compiled by an earlier one.
"""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.interop.fhir import interactions
from carecoord.interop.fhir.access import Caller
from carecoord.interop.fhir.clients import token_access
from carecoord.interop.fhir.models import AccessToken, ApiClient
from carecoord.interop.fhir.registry import mapper_for
from carecoord.patients import services
from carecoord.patients.models import PatientIdentifier
from carecoord.patients.selectors import visibility_memo

from ...factories import OrganizationFactory, PatientFactory, make_actor, open_break_glass, share_by_consent
from .conftest import FhirCaller, get_token

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_frozen_clock")]


def _service_user(organization):
    return ApiClient.objects.filter(organization=organization).latest("id").service_user


def _grant(home_actor, patient, grantee):
    return share_by_consent(home_actor, patient, grantee, NOW.date())


def test_a_read_is_two_or_three_selects_and_one_audit_entry(fhir):
    patient = PatientFactory(organization=fhir.organization)
    assert fhir.get(f"Patient/{patient.public_id}").status_code == 200  # compiles the statements
    before = AuditEvent.objects.filter(event="fhir.read").count()
    with CaptureQueriesContext(connection) as captured:
        assert fhir.get(f"Patient/{patient.public_id}").status_code == 200
    kinds = [q["sql"].lstrip().split(" ", 1)[0].upper() for q in captured.captured_queries]
    # The token, the patient (visibility inside), its identifiers: in the patient's statement on PostgreSQL.
    assert kinds.count("SELECT") == (2 if connection.vendor == "postgresql" else 3), kinds
    assert kinds.count("INSERT") == 1, kinds  # the audit entry
    entry = AuditEvent.objects.filter(event="fhir.read").order_by("-id").first()
    assert AuditEvent.objects.filter(event="fhir.read").count() == before + 1
    assert entry.patient_public_id == patient.public_id


def test_the_prepared_read_answers_what_the_orm_read_answers(fhir):
    patient = PatientFactory(organization=fhir.organization)
    PatientIdentifier.objects.create(
        organization=fhir.organization, patient=patient, type="MB", system="http://payer.example/members", value="M-1"
    )
    answered = fhir.get(f"Patient/{patient.public_id}").json()
    mapper = mapper_for("Patient")
    actor = token_access(fhir.token).actor
    with visibility_memo():
        expected = mapper.to_fhir(mapper.get(actor, str(patient.public_id)))
    assert answered == expected
    assert len(answered["identifier"]) == 2
    caller = Caller(actor=actor, grants=token_access(fhir.token).grants)
    assert interactions.read(caller, "Patient", str(patient.public_id)).body == expected


def test_a_revoked_share_hides_the_patient_on_the_next_read(make_caller):
    home = OrganizationFactory(slug="read-home")
    reader = make_caller(OrganizationFactory(slug="read-coord", kind="coordination_organization"))
    home_actor = make_actor(home, Role.COORDINATOR)
    patient = PatientFactory(organization=home)
    path = f"Patient/{patient.public_id}"
    assert reader.get(path).status_code == 404
    share = _grant(home_actor, patient, reader.organization)
    assert reader.get(path).status_code == 200
    services.share_revoke(actor=home_actor, share=share)
    assert reader.get(path).status_code == 404
    _grant(home_actor, patient, reader.organization)
    assert reader.get(path).status_code == 200


def test_a_break_glass_window_ends_on_time_for_a_read_compiled_before(fhir):
    patient = PatientFactory(organization=fhir.organization, restricted=True)
    path = f"Patient/{patient.public_id}"
    assert fhir.get(path).status_code == 404
    open_break_glass(
        _service_user(fhir.organization),
        patient,
        NOW - dt.timedelta(minutes=5),
        NOW + dt.timedelta(seconds=1),
        reason="Emergency admission",
    )
    assert fhir.get(path).status_code == 200
    entry = AuditEvent.objects.filter(event="fhir.read").order_by("-id").first()
    assert entry.detail["break_glass"] is True
    assert entry.detail["break_glass_reason"] == "Emergency admission"
    with time_machine.travel(NOW + dt.timedelta(seconds=1), tick=False):
        assert fhir.get(path).status_code == 404


def test_an_expired_or_revoked_token_is_refused_on_the_next_read(fhir):
    patient = PatientFactory(organization=fhir.organization)
    path = f"Patient/{patient.public_id}"
    assert fhir.get(path).status_code == 200
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        assert fhir.get(path).status_code == 401
    fresh = FhirCaller(fhir.http, get_token(fhir.organization), fhir.organization)
    assert fresh.get(path).status_code == 200
    AccessToken.objects.update(revoked_at=NOW)
    assert fresh.get(path).status_code == 401


def test_a_deactivated_client_is_refused_on_the_next_read(fhir):
    patient = PatientFactory(organization=fhir.organization)
    path = f"Patient/{patient.public_id}"
    assert fhir.get(path).status_code == 200
    ApiClient.objects.filter(organization=fhir.organization).update(active=False)
    assert fhir.get(path).status_code == 401


def test_an_access_check_fault_answers_503_after_a_compiled_read(fhir, settings):
    patient = PatientFactory(organization=fhir.organization)
    path = f"Patient/{patient.public_id}"
    assert fhir.get(path).status_code == 200
    settings.CARECOORD_ACCESS_FAULT = True
    response = fhir.get(path)
    assert response.status_code == 503
    assert patient.family_name not in response.content.decode()
