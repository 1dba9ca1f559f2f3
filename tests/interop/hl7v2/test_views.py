"""
The HL7 v2 feed's pages through the test client: the patient-match review queue (PID beside the candidates,
match / new patient / dismiss, bad input, a decision made twice) and the inbound-message log for
organization admins (escaped raw message, status, ACK code, error), and that another organization gets 404.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.interop.hl7v2.handler import handle_message
from carecoord.interop.hl7v2.models import InboundMessage, PatientMatchReview
from carecoord.patients.models import Patient
from carecoord.transitions.models import TransitionEpisode

from ...factories import PatientFactory, make_actor
from .messages import DATA, adt

NOW = dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)
BORN = dt.date(1948, 3, 7)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def client(actor, client_for):
    return client_for(actor)


@pytest.fixture
def admin(org):
    return make_actor(org, Role.COORDINATOR, Role.ORG_ADMIN)


@pytest.fixture
def twins(org):
    """Two Jane Does born the same day: a discharge about "Jane Doe" cannot pick one by itself."""
    return [
        PatientFactory(organization=org, given_name="Jane", family_name="Doe", birth_date=BORN, mrn="LC-1"),
        PatientFactory(organization=org, given_name="Jane", family_name="Doe", birth_date=BORN, mrn="LC-2"),
    ]


@pytest.fixture
def review(org, twins) -> PatientMatchReview:
    message = adt("A03", control_id="R-1", discharged="20260302100000", disposition="01")
    outcome = handle_message(message, organization=org)
    assert outcome.code == "AA"
    return PatientMatchReview.objects.get(message=outcome.message)


def body(response) -> str:
    return response.content.decode()


def url(name: str, review) -> str:
    return reverse(f"hl7v2:review_{name}", args=[review.public_id])


# --- the review queue --------------------------------------------------------------------------------------


def test_the_queue_shows_pid_beside_the_candidates_without_the_ssn(client, review, twins, actor):
    response = client.get(reverse("hl7v2:review_list"))
    assert response.status_code == 200
    html = body(response)
    assert "DOE, JANE" in html
    assert "1948-03-07" in html
    assert "H5001" in html
    assert "123-45-6789" not in html  # PID-3 carries an SSN: never shown
    for twin in twins:
        assert twin.mrn in html
        assert twin.get_absolute_url() in html
    assert "name 100/100" in html
    assert "Name and birth date are close" in html
    assert AuditEvent.objects.filter(event="hl7v2.reviews.view", user=actor.user).exists()


def test_matching_to_a_candidate_acts_on_the_message(client, review, twins):
    response = client.post(url("match", review), {"patient": str(twins[1].public_id)})
    assert response.status_code == 302
    assert response["Location"] == reverse("hl7v2:review_list")
    review.refresh_from_db()
    assert (review.status, review.resolved_patient) == ("matched", twins[1])
    assert TransitionEpisode.objects.get().patient == twins[1]
    assert review.message.__class__.objects.get(pk=review.message.pk).status == "processed"
    assert "No messages are waiting" in body(client.get(reverse("hl7v2:review_list")))


def test_matching_by_mrn(client, review, org):
    someone = PatientFactory(organization=org, given_name="Janet", family_name="Dough", mrn="LC-77")
    response = client.post(url("match", review), {"mrn": "lc-77"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.resolved_patient == someone


@pytest.mark.parametrize(
    ("data", "message"),
    [({}, "Choose a candidate or give another patient"), ({"mrn": "NOBODY"}, "No patient you can see has that MRN."),
     ({"patient": "00000000-0000-4000-8000-000000000000"}, "Select a valid choice")],
)  # fmt: skip
def test_bad_match_input_is_shown_and_changes_nothing(client, review, data, message):
    response = client.post(url("match", review), data)
    assert response.status_code == 400
    assert message in body(response)
    review.refresh_from_db()
    assert review.status == "open"
    assert not TransitionEpisode.objects.exists()


def test_a_patient_of_another_organization_cannot_be_chosen_by_mrn(client, review, other_org):
    PatientFactory(organization=other_org, mrn="RS-9")
    response = client.post(url("match", review), {"mrn": "RS-9"})
    assert response.status_code == 400
    review.refresh_from_db()
    assert review.status == "open"


def test_creating_a_new_patient_from_pid(client, review):
    before = Patient.objects.count()
    response = client.post(url("create", review))
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == "created"
    assert Patient.objects.count() == before + 1
    assert (review.resolved_patient.family_name, review.resolved_patient.birth_date) == ("Doe", BORN)
    assert TransitionEpisode.objects.get().patient == review.resolved_patient


def test_dismissing_needs_a_reason(client, review):
    empty = client.post(url("dismiss", review), {"reason": "  "})
    assert empty.status_code == 400
    assert "This field is required." in body(empty)
    review.refresh_from_db()
    assert review.status == "open"
    response = client.post(url("dismiss", review), {"reason": "Not our patient."})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == "dismissed"
    assert InboundMessage.objects.get(pk=review.message_id).status == "ignored"


def test_a_decision_cannot_be_made_twice(client, review, twins):
    assert client.post(url("match", review), {"patient": str(twins[0].public_id)}).status_code == 302
    again = client.post(url("dismiss", review), {"reason": "Oops"})
    assert again.status_code == 400
    assert "Someone already decided this match." in body(again)
    review.refresh_from_db()
    assert review.status == "matched"
    page = body(client.get(url("detail", review)))
    assert "Matched to a patient" in page
    assert "Create new patient" not in page


def test_a_scheduler_sees_the_queue_but_cannot_decide(org, review, twins, client_for):
    scheduler = client_for(make_actor(org, Role.SCHEDULER))
    assert "Create new patient" not in body(scheduler.get(reverse("hl7v2:review_list")))
    for action in ("match", "create", "dismiss"):
        response = scheduler.post(url(action, review), {"patient": str(twins[0].public_id)})
        assert response.status_code == 403, action
    review.refresh_from_db()
    assert review.status == "open"


@pytest.mark.parametrize("name", ["detail", "match", "create", "dismiss"])
def test_another_organization_gets_404(review, twins, other_actor, client_for, name):
    client = client_for(other_actor)
    response = (
        client.get(url(name, review))
        if name == "detail"
        else client.post(url(name, review), {"patient": str(twins[0].public_id), "reason": "x"})
    )
    assert response.status_code == 404
    assert "DOE" not in body(response)
    review.refresh_from_db()
    assert review.status == "open"
    assert "No messages are waiting" in body(client.get(reverse("hl7v2:review_list")))


# --- the message log ---------------------------------------------------------------------------------------


def test_the_log_lists_messages_with_status_ack_and_error_for_admins(org, admin, client_for):
    handle_message(adt("A01", control_id="OK-1"), organization=org)
    handle_message((DATA / "malformed" / "bad-dates.hl7").read_bytes(), organization=org)
    client = client_for(admin)
    response = client.get(reverse("hl7v2:message_list"))
    assert response.status_code == 200
    html = body(response)
    assert "OK-1" in html
    assert "BAD-DATES-1" in html
    assert "Rejected" in html
    assert 'class="row-error"' in html
    rejected = client.get(reverse("hl7v2:message_list"), {"status": "rejected"})
    assert "BAD-DATES-1" in body(rejected)
    assert "OK-1" not in body(rejected)
    assert client.get(reverse("hl7v2:message_list"), {"status": "bogus"}).status_code == 400


def test_the_raw_message_is_shown_escaped_in_monospace(org, admin, client_for):
    raw = adt("A01", control_id="XSS-1", family="<script>alert(1)</script>")
    message = handle_message(raw, organization=org).message
    response = client_for(admin).get(reverse("hl7v2:message_detail", args=[message.public_id]))
    assert response.status_code == 200
    html = body(response)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<pre class="hl7-raw"' in html
    assert "MSH|^~\\&amp;|ADT|LAKESIDE GENERAL" in html
    assert "\nEVN|A01|" in html  # one segment a line
    assert "ACK code</dt><dd>AA" in html
    assert "<dt>Received</dt><dd>03/03/2026 9:00:00 AM</dd>" in html  # 15:00 UTC on a 12-hour clock, Chicago time
    assert AuditEvent.objects.filter(event="hl7v2.message.view", object_id=str(message.public_id)).exists()


def test_coordinators_who_are_not_admins_get_404_for_the_log(org, client, admin):
    message = handle_message(adt("A01", control_id="C-1"), organization=org).message
    assert client.get(reverse("hl7v2:message_list")).status_code == 404
    assert client.get(reverse("hl7v2:message_detail", args=[message.public_id])).status_code == 404


def test_another_organizations_admin_gets_404_for_a_message(org, other_org, client_for):
    message = handle_message(adt("A01", control_id="P-1", family="QUIXOTIC"), organization=org).message
    other_admin = client_for(make_actor(other_org, Role.COORDINATOR, Role.ORG_ADMIN))
    response = other_admin.get(reverse("hl7v2:message_detail", args=[message.public_id]))
    assert response.status_code == 404
    assert "QUIXOTIC" not in body(response)
    assert "P-1" not in body(other_admin.get(reverse("hl7v2:message_list")))


def status_shown(client, message) -> str:
    html = body(client.get(reverse("hl7v2:message_detail", args=[message.public_id])))
    return html.split("<dt>Status</dt><dd>", 1)[1].split("</dd>", 1)[0]


def test_a_message_not_acted_on_says_why(org, admin, client, review, client_for):
    admin_client = client_for(admin)
    update = handle_message(adt("A08", control_id="UPD-1", mrn="NOBODY1", family="NOBODY"), organization=org).message
    assert update.status == "ignored"
    assert status_shown(admin_client, update) == "Not acted on (no patient matched)"
    unused = handle_message(adt("A05", control_id="PRE-1"), organization=org).message
    assert unused.status == "ignored"
    assert status_shown(admin_client, unused) == "Not acted on (event CareCoord does not use)"
    assert client.post(url("dismiss", review), {"reason": "Not our patient."}).status_code == 302
    dismissed = InboundMessage.objects.get(pk=review.message_id)
    assert status_shown(admin_client, dismissed) == "Not acted on (dismissed at patient match review)"
    listed = body(admin_client.get(reverse("hl7v2:message_list")))
    assert "Not acted on (no patient matched)" in listed
    assert "Not acted on (dismissed at patient match review)" in listed
    assert '<option value="ignored">Not acted on</option>' in listed
