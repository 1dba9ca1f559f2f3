"""
Prior authorizations after the decision and while awaiting it: decision details added or corrected later, a
decision recorded in error corrected (CORRECTIONS), follow-ups with the payer moving one worklist task, and
the request's history (PriorAuthEvent) keeping all of it.
"""

import datetime as dt

import pytest
import time_machine

from carecoord.careplans.choices import OPEN_TASK_STATUSES
from carecoord.careplans.models import Task
from carecoord.core.errors import InvalidStateError, NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import AuditEvent
from carecoord.core.versioning import StaleVersionError
from carecoord.coverage import priorauth_services as svc
from carecoord.coverage.models import PriorAuthEvent

from ..factories import PatientFactory
from .factories import make_coverage, make_payer

TODAY = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def auth(actor, org):
    patient = PatientFactory(organization=org)
    coverage = make_coverage(actor, patient, make_payer(actor, name="Aetna", appeal_deadline_days=45))
    data = {
        "coverage": coverage,
        "service": "Outpatient physical therapy",
        "procedure_codes": ["97110"],
        "units_requested": 12,
        "start_date": dt.date(2026, 3, 1),
        "end_date": dt.date(2026, 5, 31),
    }
    auth = svc.prior_auth_create(actor=actor, patient=patient, data=data)
    return move(actor, auth, "submitted", on=dt.date(2026, 2, 20))


def move(actor, auth, status, **kwargs):
    auth.refresh_from_db()
    return svc.prior_auth_set_status(actor=actor, auth=auth, status=status, expected_version=auth.version, **kwargs)


def edit(actor, auth, note="", **data):
    auth.refresh_from_db()
    return svc.prior_auth_decision_edit(actor=actor, auth=auth, data=data, expected_version=auth.version, note=note)


def correct(actor, auth, status, reason="Entered on the wrong request", **kwargs):
    auth.refresh_from_db()
    return svc.prior_auth_decision_correct(
        actor=actor, auth=auth, status=status, reason=reason, expected_version=auth.version, **kwargs
    )


def history(auth):
    return [(e.kind, e.from_status, e.to_status) for e in PriorAuthEvent.objects.filter(authorization=auth)]


def open_follow_up_tasks():
    return Task.objects.filter(dedupe_key__startswith="priorauth-follow-up:", status__in=OPEN_TASK_STATUSES)


def test_corrections_are_the_domain_rule():
    assert svc.CORRECTIONS["approved"] == {"submitted", "pended", "partially_approved", "denied"}
    assert svc.CORRECTIONS["denied"] == {"submitted", "pended", "approved", "partially_approved"}
    assert "expired" not in svc.CORRECTIONS
    assert all(status not in targets for status, targets in svc.CORRECTIONS.items())


def test_the_authorization_number_is_added_after_an_approval_without_one(actor, auth):
    move(actor, auth, "approved", on=dt.date(2026, 3, 2))
    auth = edit(actor, auth, reference_number=" AUTH-778 ", end_date=dt.date(2026, 6, 15), note="Letter came")
    assert (auth.reference_number, auth.end_date, auth.version) == ("AUTH-778", dt.date(2026, 6, 15), 4)
    event = PriorAuthEvent.objects.get(authorization=auth, kind="details")
    assert event.changes == {"reference_number": ["", "AUTH-778"], "end_date": ["2026-05-31", "2026-06-15"]}
    assert (event.by, event.note) == (actor.user, "Letter came")
    assert AuditEvent.objects.filter(event="priorauth.decision_edit", object_id=str(auth.public_id)).exists()


def test_decision_details_are_checked(actor, auth):
    with pytest.raises(InvalidStateError, match="once the payer has approved or denied"):
        edit(actor, auth, reference_number="X")
    move(actor, auth, "partially_approved", on=dt.date(2026, 3, 2), units_approved=6)
    with pytest.raises(ValidationError, match="Nothing changed"):
        edit(actor, auth, units_approved=6)
    with pytest.raises(ValidationError, match="ends before it starts"):
        edit(actor, auth, end_date=dt.date(2026, 2, 1))
    svc.prior_auth_visit_record(actor=actor, auth=auth, service_date=dt.date(2026, 3, 3), units=4)
    with pytest.raises(ValidationError, match="4 units are already counted"):
        edit(actor, auth, units_approved=3)
    with pytest.raises(ValidationError, match="visit on 03/03/2026"):
        edit(actor, auth, start_date=dt.date(2026, 3, 4))
    assert edit(actor, auth, units_approved=10).units_approved == 10
    stale = auth.version
    edit(actor, auth, reference_number="R-1")
    with pytest.raises(StaleVersionError):
        svc.prior_auth_decision_edit(actor=actor, auth=auth, data={"reference_number": "R-2"}, expected_version=stale)


def test_a_full_approval_keeps_the_units_requested(actor, auth):
    move(actor, auth, "approved", on=dt.date(2026, 3, 2))
    with pytest.raises(ValidationError, match="correct the decision to partially approved"):
        edit(actor, auth, units_approved=8)


def test_a_denial_recorded_in_error_goes_back_to_pended(actor, auth):
    move(actor, auth, "denied", on=dt.date(2026, 3, 2), denial_reason="Not medically necessary")
    appeal_task = Task.objects.get(focus_id=auth.public_id, dedupe_key__startswith="priorauth-appeal:")
    with pytest.raises(ValidationError, match="Say why"):
        correct(actor, auth, "pended", reason="  ")
    auth = correct(actor, auth, "pended", reason="Payer's letter was for another member")
    assert (auth.status, auth.decided_on, auth.denial_reason) == ("pended", None, "")
    appeal_task.refresh_from_db()
    assert appeal_task.status == "cancelled"
    assert history(auth) == [
        ("status", "draft", "submitted"),
        ("status", "submitted", "denied"),
        ("correction", "denied", "pended"),
    ]
    assert PriorAuthEvent.objects.get(kind="correction").note == "Payer's letter was for another member"
    # The real decision then follows the usual way.
    move(actor, auth, "approved", on=dt.date(2026, 3, 9))
    assert history(auth)[-1] == ("status", "pended", "approved")


def test_an_approval_corrected_to_a_denial_puts_a_new_appeal_task(actor, auth):
    move(actor, auth, "denied", on=dt.date(2026, 3, 2), denial_reason="No records")
    correct(actor, auth, "approved")
    auth = correct(actor, auth, "denied", denial_reason="Out of network", on=dt.date(2026, 3, 5))
    assert (auth.status, auth.units_approved, auth.denial_reason) == ("denied", None, "Out of network")
    open_tasks = Task.objects.filter(focus_id=auth.public_id, status__in=OPEN_TASK_STATUSES)
    assert [t.due_date for t in open_tasks] == [dt.date(2026, 4, 19)]  # 45 days after 03/05


def test_corrections_that_are_refused(actor, auth):
    with pytest.raises(InvalidStateError, match="submitted cannot be corrected"):
        correct(actor, auth, "approved")
    move(actor, auth, "approved", on=dt.date(2026, 3, 2))
    with pytest.raises(InvalidStateError, match="approved cannot be corrected to approved"):
        correct(actor, auth, "approved")
    with pytest.raises(ValidationError, match="from 1 to 11 units"):
        correct(actor, auth, "partially_approved", units_approved=12)
    svc.prior_auth_visit_record(actor=actor, auth=auth, service_date=dt.date(2026, 3, 3), units=5)
    with pytest.raises(InvalidStateError, match="take them back"):
        correct(actor, auth, "pended")
    with pytest.raises(ValidationError, match="5 units are already counted"):
        correct(actor, auth, "partially_approved", units_approved=4)
    assert correct(actor, auth, "partially_approved", units_approved=5).units_approved == 5


def test_an_appealed_denial_is_not_corrected(actor, auth):
    move(actor, auth, "denied", on=dt.date(2026, 3, 2), denial_reason="No records")
    svc.appeal_create(actor=actor, auth=auth)
    with pytest.raises(InvalidStateError, match="was appealed"):
        correct(actor, auth, "pended")


def test_follow_ups_move_the_one_follow_up_task(actor, auth):
    first = svc.prior_auth_follow_up_log(
        actor=actor,
        auth=auth,
        note="Called Aetna, still in clinical review",
        payer_reference="123",
        contact_name="Dana",
        follow_up_on=dt.date(2026, 3, 13),
    )
    assert (first.payer_reference, first.contact_name, first.by) == ("123", "Dana", actor.user)
    task = Task.objects.get(dedupe_key__startswith="priorauth-follow-up:")
    assert (task.due_date, task.source) == (dt.date(2026, 3, 13), "coverage")
    assert "Follow up with Aetna" in task.title
    move(actor, auth, "pended", on=dt.date(2026, 3, 10))
    svc.prior_auth_follow_up_log(actor=actor, auth=auth, note="Faxed notes", follow_up_on=dt.date(2026, 3, 17))
    tasks = Task.objects.filter(dedupe_key__startswith="priorauth-follow-up:").order_by("id")
    assert [(t.status, t.due_date) for t in tasks] == [
        ("completed", dt.date(2026, 3, 13)),
        ("requested", dt.date(2026, 3, 17)),
    ]
    auth.refresh_from_db()
    assert auth.follow_up_on == dt.date(2026, 3, 17)
    # A note without a date leaves the task where it is; the decision completes it.
    svc.prior_auth_follow_up_log(actor=actor, auth=auth, note="Voicemail")
    assert (
        Task.objects.filter(dedupe_key__startswith="priorauth-follow-up:", status__in=OPEN_TASK_STATUSES).count() == 1
    )
    move(actor, auth, "approved", on=dt.date(2026, 3, 10))
    assert not Task.objects.filter(
        dedupe_key__startswith="priorauth-follow-up:", status__in=OPEN_TASK_STATUSES
    ).exists()
    assert [k for k, _, _ in history(auth)].count("follow_up") == 3
    assert AuditEvent.objects.filter(event="priorauth.follow_up").count() == 3


def test_follow_ups_are_checked(actor, auth):
    with pytest.raises(ValidationError, match="Write what was done"):
        svc.prior_auth_follow_up_log(actor=actor, auth=auth, note=" ")
    with pytest.raises(ValidationError, match="cannot be in the past"):
        svc.prior_auth_follow_up_log(actor=actor, auth=auth, note="x", follow_up_on=dt.date(2026, 3, 9))
    with pytest.raises(ValidationError, match="within a year"):
        svc.prior_auth_follow_up_log(actor=actor, auth=auth, note="x", follow_up_on=dt.date(2027, 3, 11))
    move(actor, auth, "approved", on=dt.date(2026, 3, 2))
    with pytest.raises(InvalidStateError, match="awaits the payer"):
        svc.prior_auth_follow_up_log(actor=actor, auth=auth, note="x")


def test_another_organization_cannot_change_the_request(other_actor, auth):
    with pytest.raises((NotFoundError, PermissionDeniedError)):
        svc.prior_auth_follow_up_log(actor=other_actor, auth=auth, note="x")
