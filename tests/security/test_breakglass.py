"""
RELIABILITY T20: break-glass. A restricted patient is visible in the home organization only to the care
team; a member an admin marked eligible (audited) may open it with a reason for a fixed window; every read
in the window is audited with the flag and the reason; the opening lands on the admins' and auditors'
review worklist; ineligible users are refused; after the window the patient answers 404 again.
"""

import datetime as dt

import pytest
import time_machine

from carecoord.core.breakglass import break_glass_open
from carecoord.core.choices import AuditOutcome, Role
from carecoord.core.errors import NotFoundError, PermissionDeniedError
from carecoord.core.models import AuditEvent, BreakGlassAccess
from carecoord.core.services import membership_break_glass_set
from carecoord.patients.models import CareTeamMember
from carecoord.patients.selectors import patient_get, patients_visible_to
from tests.factories import PatientFactory, make_actor

T0 = dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC)
NAME = "Philippa Restrictova"
REASON = "Unconscious in the ED, need medication history now"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def admin(org):
    return make_actor(org, Role.ORG_ADMIN)


@pytest.fixture
def restricted(org):
    given, family = NAME.split()
    return PatientFactory(organization=org, given_name=given, family_name=family, mrn="BG-0001", restricted=True)


@pytest.fixture
def md(org, admin):
    """`breakglass_md`: a provider an admin has made eligible."""
    actor = make_actor(org, Role.PROVIDER)
    membership_break_glass_set(actor=admin, membership=actor.user.memberships.get(), allowed=True)
    return actor


def test_a_restricted_patient_is_visible_only_to_the_care_team(org, actor, restricted):
    plain = PatientFactory(organization=org)
    assert set(patients_visible_to(actor)) == {plain}
    with pytest.raises(NotFoundError):
        patient_get(actor, restricted.public_id)
    CareTeamMember.objects.create(
        organization=org,
        patient=restricted,
        role="coordinator",
        user=actor.user,
        start_date=T0.date() - dt.timedelta(days=30),
    )
    assert set(patients_visible_to(actor)) == {plain, restricted}
    CareTeamMember.objects.filter(patient=restricted).update(end_date=T0.date() - dt.timedelta(days=1))
    assert set(patients_visible_to(actor)) == {plain}


def test_without_break_glass_the_chart_is_404(md, restricted, client_for):
    response = client_for(md).get(f"/patients/{restricted.public_id}/")
    assert response.status_code == 404
    assert "Restrictova" not in response.content.decode()


def test_eligibility_is_set_by_an_admin_and_audited(org, admin, md):
    event = AuditEvent.objects.get(event="membership.break_glass")
    assert (event.user_id, event.acting_organization_id, event.detail["allowed"]) == (admin.user.pk, org.pk, True)
    with pytest.raises(PermissionDeniedError):
        membership_break_glass_set(actor=md, membership=md.user.memberships.get(), allowed=True)


def test_an_ineligible_user_is_refused(actor, restricted, client_for):
    client = client_for(actor)
    page = client.get("/break-glass/")
    assert page.status_code == 403
    response = client.post("/break-glass/", {"mrn": restricted.mrn, "reason": REASON})
    assert response.status_code == 403
    assert not BreakGlassAccess.objects.exists()
    assert client.get(f"/patients/{restricted.public_id}/").status_code == 404
    denied = AuditEvent.objects.get(event="breakglass.open")
    assert denied.outcome == AuditOutcome.DENIED


def test_a_reason_is_required(md, restricted, client_for):
    response = client_for(md).post("/break-glass/", {"mrn": restricted.mrn, "reason": "  "})
    assert response.status_code == 400
    assert not BreakGlassAccess.objects.exists()
    with pytest.raises(Exception, match="Say why"):
        break_glass_open(actor=md, mrn=restricted.mrn, reason="because")


def test_break_glass_opens_the_record_for_the_window_and_audits_every_read(
    org, md, admin, restricted, clock, client_for
):
    org.idle_timeout_minutes = 120
    org.save()
    client = client_for(md)
    response = client.post("/break-glass/", {"mrn": restricted.mrn, "reason": REASON})
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{restricted.public_id}/"
    chart = client.get(response["Location"])
    assert chart.status_code == 200
    assert "Restrictova" in chart.content.decode()
    clock.move_to(T0 + dt.timedelta(minutes=59))
    assert client.get(f"/api/v1/patients/{restricted.public_id}").status_code == 200

    reads = AuditEvent.objects.filter(patient_public_id=restricted.public_id, outcome=AuditOutcome.SUCCESS)
    assert reads.count() >= 3  # the opening, the chart, the API read
    for event in reads:
        assert event.detail.get("break_glass") is True, event.event
        assert REASON in (event.detail.get("break_glass_reason"), event.detail.get("reason")), event.event
        assert event.user_id == md.user.pk

    # The admins' and auditors' review worklist shows it, with the reason.
    review = client_for(admin).get("/audit/break-glass/")
    assert review.status_code == 200
    assert REASON in review.content.decode()
    auditor = make_actor(org, Role.AUDITOR)
    assert REASON in client_for(auditor).get("/audit/break-glass/").content.decode()
    assert client_for(make_actor(org, Role.COORDINATOR)).get("/audit/break-glass/").status_code == 404
    access = BreakGlassAccess.objects.get()
    assert client_for(admin).post("/audit/break-glass/", {"access": str(access.public_id)}).status_code == 302
    access.refresh_from_db()
    assert access.reviewed_by == admin.user

    # After the window (60 minutes by default) the patient is hidden again.
    clock.move_to(T0 + dt.timedelta(minutes=61))
    assert client.get(f"/patients/{restricted.public_id}/").status_code == 404
    assert client.get(f"/api/v1/patients/{restricted.public_id}").status_code == 404


def test_break_glass_is_only_for_the_users_own_organization(md, other_org):
    elsewhere = PatientFactory(organization=other_org, mrn="BG-0002", restricted=True)
    with pytest.raises(Exception, match="No patient of your organization"):
        break_glass_open(actor=md, mrn=elsewhere.mrn, reason=REASON)
    assert not BreakGlassAccess.objects.exists()


def test_the_grant_belongs_to_the_user_not_the_organization(org, md, restricted):
    break_glass_open(actor=md, mrn=restricted.mrn, reason=REASON)
    colleague = make_actor(org, Role.PROVIDER)
    assert restricted in patients_visible_to(md)
    assert restricted not in patients_visible_to(colleague)


@pytest.mark.parametrize("value", ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_marking_an_unknown_or_malformed_access_reviewed_is_404(admin, client_for, value):
    assert client_for(admin).post("/audit/break-glass/", {"access": value}).status_code == 404


def test_the_flag_follows_the_opening_not_the_session_that_made_it(org, md, restricted, client_for, clock):
    """
    The opening is the user's, for the patient and the window: a second browser session of the same user (and
    a read with no session at all, as a job or token path makes) is flagged like the session that opened it.
    """
    org.idle_timeout_minutes = 120
    org.save()
    first, second = client_for(md), client_for(md)
    assert second.get(f"/patients/{restricted.public_id}/").status_code == 404  # before the opening
    assert first.post("/break-glass/", {"mrn": restricted.mrn, "reason": REASON}).status_code == 302
    opened_at = AuditEvent.objects.get(event="breakglass.open").occurred_at

    clock.move_to(T0 + dt.timedelta(minutes=10))
    assert second.get(f"/patients/{restricted.public_id}/").status_code == 200
    assert second.get(f"/api/v1/patients/{restricted.public_id}").status_code == 200
    patient_get(md, restricted.public_id)  # no request, no session: the row alone decides

    reads = AuditEvent.objects.filter(
        patient_public_id=restricted.public_id, outcome=AuditOutcome.SUCCESS, occurred_at__gt=opened_at
    )
    assert reads.count() >= 3
    for event in reads:
        assert event.user_id == md.user.pk
        assert event.detail.get("break_glass") is True, event.event
        assert event.detail.get("break_glass_reason") == REASON, event.event


def test_only_that_users_reads_of_that_patient_in_the_window_are_flagged(org, md, restricted, client_for, clock):
    other_patient = PatientFactory(organization=org)
    member = make_actor(org, Role.COORDINATOR)
    CareTeamMember.objects.create(
        organization=org, patient=restricted, role="coordinator", user=member.user, start_date=T0.date()
    )
    break_glass_open(actor=md, mrn=restricted.mrn, reason=REASON)
    patient_get(member, restricted.public_id)  # a care-team member's read of the same patient
    patient_get(md, other_patient.public_id)  # the user's read of another patient
    assert "break_glass" not in AuditEvent.objects.get(user=member.user, event="patient.view").detail
    assert "break_glass" not in AuditEvent.objects.get(user=md.user, patient_public_id=other_patient.public_id).detail

    clock.move_to(T0 + dt.timedelta(minutes=61))  # the window is over: nothing more is flagged
    patient_get(member, restricted.public_id)
    late = AuditEvent.objects.filter(user=member.user, event="patient.view").order_by("-id").first()
    assert "break_glass" not in late.detail
    with pytest.raises(NotFoundError):
        patient_get(md, restricted.public_id)
    denied = AuditEvent.objects.filter(user=md.user, outcome=AuditOutcome.DENIED).order_by("-id").first()
    assert "break_glass" not in denied.detail
