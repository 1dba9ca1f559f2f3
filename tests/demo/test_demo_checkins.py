"""The demo's care-management enrollments and minutes, outreach, cadences, measurements, questionnaires and notes."""

import random
from collections import Counter

import pytest
from django.urls import reverse

from carecoord.careplans.models import Task
from carecoord.checkins.choices import CareProgram, NoteStatus, OutreachOutcome
from carecoord.checkins.domain import CODE_FAMILIES, timed_code_lines
from carecoord.checkins.models import (
    Assessment,
    CareManagementEnrollment,
    CheckinCadence,
    Measurement,
    OutreachAttempt,
    ProgressNote,
    TimeEntry,
)
from carecoord.checkins.progress_selectors import billing_rows
from carecoord.checkins.services import OUTREACH_FOCUS
from carecoord.core import clock
from carecoord.core.access import actor_for
from carecoord.core.models import Organization, User
from carecoord.demo.checkins import ENROLLING, questionnaire_answers, story_minutes
from carecoord.demo.world import CLINIC_SLUG, COORDINATION_SLUG, DEMO_SLUGS

pytestmark = pytest.mark.django_db
MARIA = "maria.lopez@prairie.demo"


def maria_actor():
    return actor_for(User.objects.get(email=MARIA), Organization.objects.get(slug=COORDINATION_SLUG))


def this_months_rows(actor):
    today = clock.today_in(actor.organization.tz)
    return billing_rows(actor, today.year, today.month)


def test_the_coordination_organizations_report_shows_every_kind_of_month(world):
    """Enrolled patients whose minutes support 99490, 99490 with 99439, one close to the next code, one below."""
    rows = this_months_rows(maria_actor())
    enrolled = [r for r in rows if r.summary.enrollment is not None]
    assert len(enrolled) >= 10
    codes = Counter(line.code for r in rows for readiness in r.summary.readiness for line in readiness.lines)
    assert codes["99490"] >= 3
    assert codes["99439"] >= 1
    assert any(r.summary.close for r in rows)
    assert any(r.summary.enrollment and not r.summary.codes and r.summary.staff_minutes for r in rows)
    assert any(r.summary.physician_minutes for r in rows)
    assert {r.summary.enrollment.program for r in enrolled} >= {CareProgram.CCM, CareProgram.PCM}
    assert any(r.summary.enrollment is None and r.summary.staff_minutes for r in rows)  # consent to come
    assert world.counts["enrollments"] == CareManagementEnrollment.objects.count()
    assert world.counts["time_entries"] == TimeEntry.objects.count()


def test_the_clinic_enrolls_too_and_the_hospital_and_nursing_home_do_not(world):
    assert set(ENROLLING) == {COORDINATION_SLUG, CLINIC_SLUG}
    clinic = Organization.objects.get(slug=CLINIC_SLUG)
    assert CareManagementEnrollment.objects.filter(organization=clinic).count() >= 10
    assert TimeEntry.objects.filter(organization=clinic).exists()
    others = [slug for slug in DEMO_SLUGS if slug not in ENROLLING]
    assert not CareManagementEnrollment.objects.filter(organization__slug__in=others).exists()
    assert not TimeEntry.objects.filter(organization__slug__in=others).exists()
    # One patient moved from PCM to CCM: the earlier enrollment ended the day before the new one.
    ended = CareManagementEnrollment.objects.filter(end_date__isnull=False)
    assert ended.exists()
    for old in ended:
        new = CareManagementEnrollment.objects.get(patient=old.patient, organization=old.organization, end_date=None)
        assert (new.start_date - old.end_date).days == 1


def test_nothing_is_dated_in_the_future(world):
    now = clock.now()
    for enrollment in CareManagementEnrollment.objects.select_related("organization"):
        today = clock.today_in(enrollment.organization.tz)
        assert enrollment.consent_on <= enrollment.start_date <= today
        assert enrollment.created_at <= now
    for entry in TimeEntry.objects.select_related("organization"):
        assert entry.started_at.astimezone(entry.organization.tz).date() <= clock.today_in(entry.organization.tz)
        assert 1 <= entry.minutes <= 600
        assert entry.created_at <= now
    for model in (OutreachAttempt, Measurement, Assessment, ProgressNote):
        assert not model.objects.filter(occurred_at__gt=now).exists(), model.__name__
        assert not model.objects.filter(created_at__gt=now).exists(), model.__name__


def test_charts_notes_and_questionnaires_have_data(world):
    prairie = Organization.objects.get(slug=COORDINATION_SLUG)
    kinds = Counter(Measurement.objects.filter(organization=prairie).values_list("kind", flat=True))
    assert kinds["bp"] >= 5
    assert kinds["weight"] >= 5
    assert Measurement.objects.filter(organization=prairie, goal__isnull=False).count() == sum(kinds.values())
    signed = ProgressNote.objects.filter(organization=prairie, status=NoteStatus.SIGNED)
    assert signed.count() >= 2
    assert all(note.content_sha256 and note.signed_by_id for note in signed)
    assert any(note.structured.get("goals") for note in signed)
    assert ProgressNote.objects.filter(organization=prairie, status=NoteStatus.DRAFT).exists()
    assert Assessment.objects.filter(instrument="phq9").count() >= 2
    assert not Assessment.objects.filter(urgent=True).exists()
    outcomes = Counter(OutreachAttempt.objects.filter(organization=prairie).values_list("outcome", flat=True))
    assert outcomes[OutreachOutcome.REACHED] >= 5
    assert outcomes[OutreachOutcome.VOICEMAIL] + outcomes[OutreachOutcome.NO_ANSWER] >= 3
    assert CheckinCadence.objects.filter(organization=prairie, active=True).count() >= 3
    # The patient not reached three times in a row escalated to the supervisor.
    escalation = Task.objects.get(organization=prairie, focus_type=OUTREACH_FOCUS)
    assert escalation.title.startswith("Unable to reach")


def test_a_coordinator_sees_the_report_and_a_patients_progress(world, client):
    actor = maria_actor()
    client.force_login(actor.user)
    report = client.get(reverse("checkins:billing_report"))
    assert report.status_code == 200
    page = report.content.decode()
    assert "99490" in page
    assert "badge-warn" in page  # someone close to the next code
    patient = Measurement.objects.filter(organization=actor.organization, kind="bp").first().patient
    progress = client.get(reverse("checkins:patient_progress", args=[patient.public_id]))
    assert progress.status_code == 200
    assert "data:image/svg+xml" in progress.content.decode()
    noted = ProgressNote.objects.filter(organization=actor.organization, status=NoteStatus.SIGNED).first().patient
    checkins = client.get(reverse("checkins:patient_checkins", args=[noted.public_id]))
    assert checkins.status_code == 200
    assert "Phone check-in" in checkins.content.decode() or "Care conference" in checkins.content.decode()


@pytest.mark.parametrize("family", list(CODE_FAMILIES.values()), ids=lambda f: f.base)
def test_story_minutes_tell_their_story(family):
    rng = random.Random(7)
    for _ in range(30):
        for index in range(3):
            met = timed_code_lines(family, story_minutes(rng, family, ("met", index)))
            assert met.lines
            assert not met.close
            close = timed_code_lines(family, story_minutes(rng, family, ("close", index)))
            assert close.close
        low = timed_code_lines(family, story_minutes(rng, family, ("low", 0)))
        assert not low.lines
        assert not low.close
        assert story_minutes(rng, family, ("none", 0)) == 0


def test_questionnaire_answers_add_up_and_spare_the_self_harm_item():
    rng = random.Random(3)
    for total in range(0, 25):
        answers = questionnaire_answers(rng, "phq9", total)
        assert sum(answers.values()) == total
        assert answers["phq9-9"] == 0
        assert all(0 <= value <= 3 for value in answers.values())
