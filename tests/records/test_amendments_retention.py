"""
T35: amendments (accepted: original kept and linked, both in history; denied: request and denial stored),
soft deletion (gone from lists, search, FHIR and the worklist; kept in the database and the audit log;
restorable by an org admin) and the retention purge (only past the horizon, never under a legal hold,
itself audited, the audit rows staying).
"""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.urls import reverse

from carecoord.careplans import services as careplan_services
from carecoord.careplans.selectors import worklist_for
from carecoord.checkins.models import NoteAddendum, ProgressNote
from carecoord.core.audit import audit_seal, audit_verify
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import InvalidStateError, NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import AuditEvent
from carecoord.interop.fhir.access import EVERYTHING, Caller
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import mapper_for
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patient_search, patients_visible_to
from carecoord.records import retention, services
from carecoord.records.choices import AmendmentStatus, AmendmentTarget
from carecoord.records.models import DEFAULT_RETENTION_YEARS, Disclosure, LegalHold, PatientDeletion
from tests.factories import make_actor

from .conftest import NOW


@pytest.fixture
def rec(record_of):
    patient, note = record_of(given="Marisol", family="Vantongeren", mrn="T35-1", member_id="M-T35")
    return patient, note


# --- amendments ----------------------------------------------------------------------------------------------


def note_request(actor, patient, note, text="I take metformin twice a day, not once."):
    return services.amendment_request_record(
        actor=actor, patient=patient, target=AmendmentTarget.PROGRESS_NOTE, note=note, requested_text=text,
        requested_by="Marisol Vantongeren (patient)", reason="The dose is wrong.",
    )  # fmt: skip


def test_an_accepted_note_amendment_keeps_the_original_linked_and_both_in_history(actor, rec):
    patient, note = rec
    original = (note.body, note.content_sha256, note.version)
    request = services.amendment_accept(actor=actor, request=note_request(actor, patient, note))
    note.refresh_from_db()
    assert (note.body, note.content_sha256, note.version) == original  # the signed note is untouched
    assert request.status == AmendmentStatus.ACCEPTED
    addendum = request.addendum
    assert addendum.note == note
    assert "twice a day" in addendum.text
    assert list(note.addenda.order_by("id"))[-1] == addendum  # shown with the note, after earlier addenda
    doc = mapper_for("DocumentReference").to_fhir(ProgressNote.objects.get(pk=note.pk))
    assert doc["id"] == str(note.public_id)
    history = AuditEvent.objects.filter(patient_public_id=patient.public_id, event__startswith="amendment.")
    assert sorted(history.values_list("event", flat=True)) == ["amendment.accept", "amendment.request"]
    with pytest.raises(InvalidStateError):
        services.amendment_deny(actor=actor, request=request, denial_reason="Changed my mind.")


def test_a_denied_amendment_stores_the_request_and_the_denial(actor, rec):
    patient, note = rec
    request = note_request(actor, patient, note)
    with pytest.raises(ValidationError) as info:
        services.amendment_deny(actor=actor, request=request, denial_reason="  ")
    assert info.value.field == "denial_reason"
    addenda = NoteAddendum.objects.filter(note=note).count()
    request = services.amendment_deny(actor=actor, request=request, denial_reason="The note is accurate.")
    request.refresh_from_db()
    assert (request.status, request.denial_reason) == (AmendmentStatus.DENIED, "The note is accurate.")
    assert request.requested_text.startswith("I take metformin")
    assert request.decided_by == actor.user
    assert NoteAddendum.objects.filter(note=note).count() == addenda
    assert AuditEvent.objects.filter(event="amendment.deny", patient_public_id=patient.public_id).count() == 1


def test_a_demographic_amendment_keeps_the_old_value(actor, rec):
    patient, _ = rec
    request = services.amendment_request_record(
        actor=actor, patient=patient, target=AmendmentTarget.DEMOGRAPHICS, field="preferred_name",
        requested_text="Mari", requested_by="Marisol Vantongeren (patient)",
    )  # fmt: skip
    services.amendment_accept(actor=actor, request=request)
    patient.refresh_from_db()
    request.refresh_from_db()
    assert patient.preferred_name == "Mari"
    assert request.original_value == ""
    with pytest.raises(ValidationError):
        services.amendment_request_record(
            actor=actor, patient=patient, target=AmendmentTarget.DEMOGRAPHICS, field="mrn", requested_text="x",
            requested_by="p",
        )  # fmt: skip


def test_another_organization_cannot_touch_amendments(actor, other_actor, rec):
    patient, note = rec
    request = note_request(actor, patient, note)
    with pytest.raises(NotFoundError):
        services.amendment_accept(actor=other_actor, request=request)
    with pytest.raises(NotFoundError):
        note_request(other_actor, patient, note)


# --- soft deletion -------------------------------------------------------------------------------------------


def test_a_deleted_patient_is_hidden_everywhere_but_kept(admin, actor, rec, client_for):
    patient, _ = rec
    careplan = patient.careplans.get()
    careplan_services.task_create(
        actor=actor, patient=patient, careplan=careplan, kind="call", title="Call Vantongeren",
        due_date=NOW.date(), owner=actor.user,
    )  # fmt: skip
    assert any(task.patient_id == patient.pk for task in worklist_for(actor).tasks)
    trail = AuditEvent.objects.filter(patient_public_id=patient.public_id).count()
    assert trail > 0
    with pytest.raises(PermissionDeniedError):
        services.patient_soft_delete(actor=actor, patient=patient, reason="duplicate")
    services.patient_soft_delete(actor=admin, patient=patient, reason="Registered twice by mistake")

    assert not patients_visible_to(actor).filter(pk=patient.pk).exists()
    assert not patient_search(actor, "Vantongeren").exists()
    assert not patient_search(actor, "T35-1").exists()
    assert not any(task.patient_id == patient.pk for task in worklist_for(actor).tasks)
    client = client_for(actor)
    assert "Vantongeren" not in client.get(reverse("patients:list")).content.decode()
    assert client.get(reverse("patients:chart", args=[patient.public_id])).status_code == 404
    fhir = Caller(actor=actor, grants=EVERYTHING)
    with pytest.raises(FhirError) as info:
        mapper_for("Patient").get(fhir.actor, str(patient.public_id))
    assert info.value.status == 404
    assert client.get("/fhir/R4/Patient?identifier=T35-1").json().get("total", 0) == 0
    # Kept: the row, its deletion record and its audit trail.
    assert Patient.objects.filter(pk=patient.pk, deleted_at__isnull=False).exists()
    assert PatientDeletion.objects.get(patient=patient).deleted_by == admin.user
    assert AuditEvent.objects.filter(patient_public_id=patient.public_id, event="patient.delete").count() == 1
    assert AuditEvent.objects.filter(patient_public_id=patient.public_id).count() >= trail + 1

    # Restorable by an org admin only.
    with pytest.raises(NotFoundError):
        services.patient_restore(actor=actor, patient_public_id=patient.public_id)
    response = client_for(admin).post(reverse("records:patient_restore", args=[patient.public_id]))
    assert response.status_code == 302
    assert patients_visible_to(actor).filter(pk=patient.pk).exists()
    assert PatientDeletion.objects.get(patient=patient).restored_by == admin.user


def test_delete_from_the_chart_needs_an_org_admin(admin, actor, rec, client_for):
    patient, _ = rec
    url = reverse("records:patient_delete", args=[patient.public_id])
    client_for(actor).post(url, {"reason": "x"})
    assert Patient.objects.get(pk=patient.pk).deleted_at is None
    assert client_for(admin).post(url, {"reason": "Test record"}).status_code == 302
    assert Patient.objects.get(pk=patient.pk).deleted_at is not None


# --- retention -----------------------------------------------------------------------------------------------


def purge_command(*args) -> str:
    out = io.StringIO()
    call_command("retention_purge", *args, stdout=out)
    return out.getvalue()


def test_the_purge_waits_for_the_horizon_respects_holds_and_is_audited(admin, actor, org, record_of, rec):
    patient, note = rec
    held, _ = record_of(given="Hollis", family="Keepwell", mrn="T35-2", member_id="M-T35-2")
    _alive, alive_note = record_of(given="Vivienne", family="Stillhere", mrn="T35-3", member_id="M-T35-3")
    Disclosure.objects.create(
        organization=org, patient=patient, patient_public_id=patient.public_id, disclosed_at=NOW,
        user=actor.user, recipient="The patient", description="Copy",
    )  # fmt: skip
    services.patient_soft_delete(actor=admin, patient=patient, reason="Duplicate")
    services.patient_soft_delete(actor=admin, patient=held, reason="Duplicate")
    hold = services.legal_hold_place(actor=admin, patient_public_id=held.public_id, reason="Smith v. Clinic")
    assert AuditEvent.objects.filter(event="legal_hold.place", patient_public_id=held.public_id).count() == 1
    assert DEFAULT_RETENTION_YEARS == 10
    services.retention_policy_set(actor=admin, retention_years=7)

    # Before the horizon: nothing is due, even with --apply.
    with time_machine.travel(NOW + dt.timedelta(days=365 * 7 - 2), tick=False):
        assert "0 patients would be purged" in purge_command("--dry-run")
        assert "Purged 0 patients" in purge_command("--apply")
    assert Patient.objects.filter(pk=patient.pk).exists()

    later = NOW + dt.timedelta(days=365 * 7 + 3)
    with time_machine.travel(later, tick=False):
        dry = purge_command("--dry-run")
        assert "1 patients would be purged; 1 kept under legal hold" in dry
        assert Patient.objects.filter(pk=patient.pk).exists()  # a dry run changes nothing
        applied = purge_command("--apply")
    assert "Purged 1 patients; 1 kept under legal hold" in applied
    # The purged patient and every row about them are gone, signed note and addenda included.
    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert not ProgressNote.objects.filter(pk=note.pk).exists()
    assert not NoteAddendum.objects.filter(note_id=note.pk).exists()
    # The held and the live patients are untouched.
    assert Patient.objects.filter(pk=held.pk).exists()
    assert ProgressNote.objects.filter(pk=alive_note.pk).exists()
    # The audit rows stay, name the purged id, and the purge is one more of them.
    purge = AuditEvent.objects.get(event="patient.purge")
    assert purge.patient_public_id == patient.public_id
    assert purge.action == AuditAction.DELETE
    assert purge.tenant_organization == org
    assert purge.detail["retention_years"] == 7
    assert purge.detail["rows"]["checkins.ProgressNote"] == 1
    assert AuditEvent.objects.filter(patient_public_id=patient.public_id, event="patient.delete").exists()
    assert Disclosure.objects.get(patient_public_id=patient.public_id).patient is None
    assert PatientDeletion.objects.get(patient_public_id=patient.public_id).purged_at is not None
    audit_seal()
    assert audit_verify().ok
    # The signed-note guard is back for everyone else.
    with pytest.raises(DatabaseError), transaction.atomic():
        ProgressNote.objects.filter(pk=alive_note.pk).delete()

    # Releasing the hold lets the next run purge the held patient.
    services.legal_hold_release(actor=admin, hold_public_id=hold.public_id)
    assert LegalHold.objects.get(pk=hold.pk).released_by == admin.user
    with time_machine.travel(later, tick=False):
        assert "Purged 1 patients" in purge_command("--apply")
    assert not Patient.objects.filter(pk=held.pk).exists()


def test_a_restored_or_live_patient_is_never_purged(admin, rec):
    patient, _ = rec
    services.patient_soft_delete(actor=admin, patient=patient, reason="Duplicate")
    services.patient_restore(actor=admin, patient_public_id=patient.public_id)
    far = NOW + dt.timedelta(days=365 * 50)
    with time_machine.travel(far, tick=False):
        assert retention.retention_review() == []
        assert retention.patient_purge(patient.pk) is False
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_only_an_org_admin_places_holds_and_sets_the_policy(actor, rec):
    patient, _ = rec
    with pytest.raises(PermissionDeniedError):
        services.legal_hold_place(actor=actor, patient_public_id=patient.public_id, reason="x")
    with pytest.raises(PermissionDeniedError):
        services.retention_policy_set(actor=actor, retention_years=1)
    admin = make_actor(actor.organization, Role.ORG_ADMIN)
    with pytest.raises(ValidationError):
        services.retention_policy_set(actor=admin, retention_years=0)


def test_the_amendment_pages_record_and_decide(actor, other_actor, rec, client_for):
    patient, note = rec
    client = client_for(actor)
    url = reverse("records:amendment_list", args=[patient.public_id])
    assert client.get(url).status_code == 200
    data = {"target": "progress_note", "note": str(note.public_id), "requested_text": "Twice daily walks.",
            "requested_by": "Marisol (patient)", "reason": "", "field": ""}  # fmt: skip
    assert client.post(url, data).status_code == 302
    request = patient.amendment_requests.get()
    page = client.get(url).content.decode()
    assert "Twice daily walks." in page
    decide = reverse("records:amendment_decide", args=[request.public_id])
    assert client_for(other_actor).post(decide, {"decision": "accept"}).status_code == 404
    assert client_for(other_actor).get(url).status_code == 404
    assert client.post(decide, {"decision": "deny", "denial_reason": ""}).status_code == 302
    request.refresh_from_db()
    assert request.status == AmendmentStatus.PENDING  # a denial needs a reason
    client.post(decide, {"decision": "accept"})
    request.refresh_from_db()
    assert request.status == AmendmentStatus.ACCEPTED
    assert request.addendum.note == note
