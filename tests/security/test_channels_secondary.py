"""
T18: secondary channels. Calendar-feed tokens (iCalendar): a token serves only its own subject's visits, a
revoked or unknown token answers 404, and B's feed shows nothing of A. Export jobs (FHIR bulk data and the
right-of-access export) have unguessable ids that B cannot poll. PDFs and print views answer B 404. Reminder
texts and care-team notices carry no PHI beyond policy: the organization, whom, when and where; never the
patient's name, MRN, date of birth, reason, diagnosis, notes or visit type.
"""

import datetime as dt
import uuid

from django.test import Client
from django.urls import reverse

from carecoord.core import clock
from carecoord.scheduling.feed_services import feed_create, feed_revoke
from carecoord.scheduling.models import Appointment, AppointmentType
from carecoord.scheduling.reminder_services import reminder_text

from ..conftest import signed_in_client
from ..factories import PatientFactory, PractitionerFactory
from .conftest import leaks_in

# What a text or email to a patient may never carry (45 CFR 164.502(b) minimum necessary; RELIABILITY T18).
NEVER_IN_MESSAGES = ["Zebulon", "Quixotic", "ALPHA-7731", "1951", "Alpha secret reason", "Alpha secret notes",
                     "Oncology", "Type 2 diabetes", "E11.9", "Alpha body"]  # fmt: skip


def ics(client, token):
    return client.get(reverse("scheduling:ics", args=[token]))


def test_a_feed_token_serves_only_its_subject_and_dies_when_revoked(world, denied):
    a = world["a"]
    start = clock.now().replace(microsecond=0) + dt.timedelta(days=3)
    soon = Appointment.objects.create(organization=a.organization, patient=world["patient"],
                                      practitioner=world["practitioner"], location=world["location"],
                                      appointment_type=world["appointment_type"], start=start,
                                      end=start + dt.timedelta(minutes=30))  # fmt: skip
    feed, token = feed_create(actor=a, patient=world["patient"])
    own = ics(Client(), token)
    assert own.status_code == 200
    body = own.content.decode()
    assert str(soon.public_id) in body  # the positive control: the token works
    for secret in ("Zebulon", "Quixotic", "ALPHA-7731", "1951"):
        assert secret not in body, f"the calendar feed carries {secret}"

    b_patient = PatientFactory(organization=world["b"].organization, given_name="Bettina", family_name="Betafeed")
    b_feed, b_token = feed_create(actor=world["b"], patient=b_patient)
    b_body = ics(Client(), b_token).content.decode()
    assert str(soon.public_id) not in b_body
    assert not leaks_in(b_body)

    feed_revoke(actor=a, feed=feed)
    for label, token_tried in (("revoked", token), ("unknown", "y" * 43), ("truncated", token[:-1])):
        response = ics(Client(), token_tried)
        denied.add(f"{label} feed token", response)
        assert response.status_code == 404, label
    # B cannot revoke or list A's feeds through its session either.
    response = signed_in_client(world["b"]).post(reverse("scheduling:feed_revoke", args=[b_feed.public_id]))
    assert response.status_code in (302, 200)  # B's own feed: allowed
    response = signed_in_client(world["b"]).post(reverse("scheduling:feed_revoke", args=[feed.public_id]))
    denied.add("B revokes A's feed", response)
    assert response.status_code == 404


def test_export_jobs_are_unguessable_and_tenant_checked(world, fhir_as, denied):
    job = world["export_job"]
    assert job.public_id.version == 4, "export job ids must be random (UUID4), not sequential"
    fhir_b = fhir_as(world["b"].organization)
    for path in (f"$export-status/{job.public_id}", f"$export-file/{job.public_id}/Patient.ndjson"):
        response = fhir_b.get(path)
        denied.add(f"B polls {path}", response)
        assert response.status_code == 404, path
    export = world["records:export"]
    assert export.public_id.version == 4
    client = signed_in_client(world["b"])
    for url in (reverse("records:export_detail", args=[export.public_id]),
                reverse("records:export_download", args=[export.public_id, "bundle.json"])):  # fmt: skip
        response = client.get(url)
        denied.add(f"B polls {url}", response)
        assert response.status_code == 404, url
    assert client.get(reverse("records:export_detail", args=[uuid.uuid4()])).status_code == 404


def test_pdfs_and_print_views_refuse_another_organization(world, denied):
    client = signed_in_client(world["b"])
    urls = [reverse("careplans:careplan_pdf", args=[world["careplan"].public_id])]
    urls += [reverse(name, args=[world[key].public_id])
             for name, key in (("checkins:therapy_progress_report", "therapy"),)]  # fmt: skip
    for url in urls:
        response = client.get(url)
        denied.add(f"B GET {url}", response)
        assert response.status_code == 404, url
    own = signed_in_client(world["a"]).get(urls[0])
    assert own.status_code == 200
    assert own["Content-Type"] == "application/pdf"


def test_reminder_texts_carry_no_phi_beyond_policy(world):
    a = world["a"]
    kind = AppointmentType.objects.create(organization=a.organization, name="Oncology follow-up", duration_minutes=30)
    doctor = PractitionerFactory(organization=a.organization, given_name="Rhea", family_name="Remind", suffix="MD")
    start = dt.datetime(2030, 2, 4, 16, tzinfo=dt.UTC)
    appointment = Appointment.objects.create(
        organization=a.organization, patient=world["patient"], practitioner=doctor, location=world["location"],
        appointment_type=kind, start=start, end=start + dt.timedelta(minutes=30), reason="Alpha secret reason",
        notes="Alpha secret notes Type 2 diabetes E11.9",
    )  # fmt: skip
    for language in ("en", "es"):
        _language, subject, body = reminder_text(appointment, language)
        text = subject + "\n" + body
        leaked = [s for s in NEVER_IN_MESSAGES if s in text]
        assert not leaked, f"the {language} reminder carries {leaked}: {text}"
        assert a.organization.name in text
        assert "Remind" in text  # whom: the policy allows the clinician's name


def test_care_team_notices_name_no_patient(world):
    from carecoord.messaging.models import OutboxMessage
    from carecoord.transitions.services import _notify_care_team

    world["member"].user = world["a"].user
    world["member"].practitioner = None
    world["member"].save()
    encounter = world["transitions:encounter"]
    sent = _notify_care_team(encounter, "admitted to a ward", key="secmatrix")
    assert sent == 1
    notice = OutboxMessage.objects.get(kind="care_team_notice")
    leaked = [s for s in [*NEVER_IN_MESSAGES, "Alpha Secret Ward 9"] if s in notice.subject + notice.body]
    assert not leaked, notice.body


def test_the_outbox_page_of_another_organization_shows_nothing_of_a(world, denied):
    response = signed_in_client(world["b"]).get(reverse("messaging:outbox"))
    assert response.status_code == 200
    assert not leaks_in(response.content.decode())
    detail = signed_in_client(world["b"]).get(reverse("messaging:message_detail", args=[world["message"].public_id]))
    denied.add("B opens A's outbox message", detail)
    assert detail.status_code == 404
