"""
T22: a scripted session leaves exactly one audit row per action, each with the ASTM E2147-18 fields (who,
acting organization, the data's home organization, action, object type and id, patient, when in UTC, from
where, outcome); an action that is rolled back leaves none.
"""

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from carecoord.checkins import services as checkin_services
from carecoord.checkins.forms import NoteForm
from carecoord.core.choices import AuditAction, AuditOutcome, Role
from carecoord.core.errors import ConflictError
from carecoord.core.models import AuditEvent, Membership
from carecoord.patients.services import patient_update
from tests.factories import PatientFactory, UserFactory, make_actor

from ..records.conftest import full_record

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def session_world(org, other_org, client_for):
    coordinator = make_actor(org, Role.COORDINATOR, Role.SCHEDULER)
    admin = make_actor(org, Role.ORG_ADMIN)
    patient, _ = full_record(coordinator, given="Ignatius", family="Fairweather", mrn="S-1", member_id="M-S1")
    draft = checkin_services.note_create(
        actor=coordinator, patient=patient, template="phone_checkin",
        data={"title": "Draft call", "occurred_at": dt.datetime(2026, 11, 25, 13, 0, tzinfo=dt.UTC), "body": "Draft.",
              "structured": {}, "participants": []},
    )  # fmt: skip
    stranger = PatientFactory(organization=other_org, given_name="Octavia", family_name="Brightwater")
    colleague = make_actor(org, Role.SCHEDULER)
    return {
        "coordinator": coordinator,
        "admin": admin,
        "patient": patient,
        "draft": draft,
        "stranger": stranger,
        "colleague": Membership.objects.get(user=colleague.user, organization=org),
        "client": client_for(coordinator, verified=True),
        "admin_client": client_for(admin),
    }


def new_rows(since_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=since_id).order_by("id"))


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def one_row(step) -> AuditEvent:
    before = last_id()
    response = step()
    rows = new_rows(before)
    assert len(rows) == 1, [(r.event, r.object_type) for r in rows]
    row = rows[0]
    assert row.occurred_at.utcoffset() == dt.timedelta(0)
    assert row.source_ip == "127.0.0.1"
    return row, response


def assert_fields(row, *, actor, event, action, outcome=AuditOutcome.SUCCESS, patient=None, object_type=""):
    assert row.event == event
    assert row.action == action
    assert row.outcome == outcome
    assert (row.user, row.user_email) == (actor.user, actor.user.email)
    assert row.acting_organization == actor.organization
    if patient is not None:
        assert row.patient_public_id == patient.public_id
        assert row.tenant_organization == patient.organization
    if object_type:
        assert row.object_type == object_type
        assert row.object_id


def test_a_scripted_session_leaves_one_row_per_action(session_world, settings, tmp_path, org):
    settings.VAR_DIR = tmp_path
    w = session_world
    coordinator, patient, client = w["coordinator"], w["patient"], w["client"]

    row, response = one_row(lambda: client.get(reverse("patients:chart", args=[patient.public_id])))
    assert response.status_code == 200
    assert_fields(row, actor=coordinator, event="patient.view", action=AuditAction.READ, patient=patient,
                  object_type="patients.Patient")  # fmt: skip

    row, response = one_row(lambda: client.get(reverse("medications:patient_medications", args=[patient.public_id])))
    assert response.status_code == 200
    assert_fields(row, actor=coordinator, event=row.event, action=AuditAction.READ, patient=patient)

    draft = w["draft"]
    form_data = NoteForm.initial_for(draft, org.tz, [])
    form_data.update(body="Edited in the scripted session.", version=draft.version)
    data = {k: v for k, v in form_data.items() if v is not None}
    row, response = one_row(lambda: client.post(reverse("checkins:note_edit", args=[draft.public_id]), data))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_fields(row, actor=coordinator, event="note.update", action=AuditAction.UPDATE, patient=patient,
                  object_type="checkins.ProgressNote")  # fmt: skip

    careplan = patient.careplans.get()
    row, response = one_row(lambda: client.get(reverse("careplans:careplan_pdf", args=[careplan.public_id])))
    assert response.status_code == 200
    assert_fields(row, actor=coordinator, event=row.event, action=row.action, patient=patient)
    assert row.action in (AuditAction.READ, AuditAction.EXECUTE)

    export_url = reverse("records:export_create", args=[patient.public_id])
    row, response = one_row(lambda: client.post(export_url, {"recipient": "patient"}))
    assert response.status_code == 302
    assert_fields(row, actor=coordinator, event="export.request", action=AuditAction.CREATE, patient=patient,
                  object_type="records.PatientExport")  # fmt: skip

    stranger = w["stranger"]
    row, response = one_row(lambda: client.get(reverse("patients:chart", args=[stranger.public_id])))
    assert response.status_code == 404
    assert_fields(row, actor=coordinator, event="patient.view", action=AuditAction.READ, outcome=AuditOutcome.DENIED)
    assert row.detail["requested"] == str(stranger.public_id)
    assert row.patient_public_id is None  # nothing about the other organization's patient is confirmed

    admin, colleague = w["admin"], w["colleague"]
    row, response = one_row(
        lambda: w["admin_client"].post(
            reverse("core:member_update", args=[colleague.public_id]), {"action": "role", "role": Role.COORDINATOR}
        )
    )
    assert response.status_code == 302
    assert_fields(row, actor=admin, event="membership.role_change", action=AuditAction.UPDATE,
                  object_type="core.Membership")  # fmt: skip
    assert (row.detail["from"], row.detail["to"]) == (Role.SCHEDULER, Role.COORDINATOR)

    user = UserFactory(email="signin.session@example.org")
    user.set_password(PASSWORD)
    user.save()
    make_actor(org, Role.COORDINATOR, user=user)
    row, response = one_row(lambda: Client().post(reverse("core:login"), {"email": user.email, "password": PASSWORD}))
    assert response.status_code == 302
    assert (row.event, row.outcome, row.user) == ("auth.login", AuditOutcome.SUCCESS, user)

    row, response = one_row(
        lambda: Client().post(reverse("core:login"), {"email": user.email, "password": "wrong password"})
    )
    assert (row.event, row.outcome, row.user) == ("auth.login", AuditOutcome.FAILURE, user)


def test_a_rolled_back_action_leaves_no_row(actor):
    patient = PatientFactory(organization=actor.organization, given_name="Rollo", family_name="Backhouse")
    before = last_id()

    def action_failing_after_the_update():
        with transaction.atomic():
            patient_update(actor=actor, patient=patient, data={"preferred_name": "Rol"}, expected_version=1)
            raise RuntimeError("a later step of the same action failed")

    with pytest.raises(RuntimeError):
        action_failing_after_the_update()
    assert new_rows(before) == []
    patient.refresh_from_db()
    assert patient.preferred_name == ""


def test_a_failed_service_call_leaves_no_success_row(actor):
    patient = PatientFactory(organization=actor.organization)
    before = last_id()
    with pytest.raises(ConflictError):
        patient_update(actor=actor, patient=patient, data={"preferred_name": "X"}, expected_version=99)
    assert [r.outcome for r in new_rows(before)] == []
