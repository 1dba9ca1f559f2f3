"""The database itself refuses changes to a signed note and to any addendum, on both engines."""

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from carecoord.checkins.models import NoteAddendum, ProgressNote
from carecoord.core.choices import Role

from ..factories import PatientFactory, make_actor


@pytest.fixture
def signed_note(db):
    actor = make_actor(None, Role.COORDINATOR)
    patient = PatientFactory(organization=actor.organization)
    now = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
    return ProgressNote.objects.create(
        organization=actor.organization, patient=patient, template="phone_checkin", title="Weekly call",
        occurred_at=now, body="Doing well.", status="final", author=actor.user, signed_at=now, signed_by=actor.user,
    )  # fmt: skip


def refused(action) -> bool:
    """True when the database refused `action` with the signed-note message (and nothing changed)."""
    try:
        with transaction.atomic():
            action()
    except (IntegrityError, DatabaseError) as exc:
        return "signed note is final" in str(exc)
    return False


def test_a_signed_note_cannot_be_updated_or_deleted_even_in_sql(signed_note):
    assert refused(lambda: ProgressNote.objects.filter(pk=signed_note.pk).update(body="Rewritten."))
    assert refused(lambda: ProgressNote.objects.filter(pk=signed_note.pk).delete())
    signed_note.refresh_from_db()
    assert signed_note.body == "Doing well."


def test_a_draft_can_change(signed_note):
    draft = ProgressNote.objects.create(
        organization=signed_note.organization, patient=signed_note.patient, template="home_visit", title="Visit",
        occurred_at=signed_note.occurred_at, author=signed_note.author,
    )  # fmt: skip
    assert not refused(lambda: ProgressNote.objects.filter(pk=draft.pk).update(body="Edited."))
    draft.refresh_from_db()
    assert draft.body == "Edited."


def test_an_addendum_is_final_once_written(signed_note):
    addendum = NoteAddendum.objects.create(
        note=signed_note, text="Correction: BP was 128/80.", author=signed_note.author
    )
    assert refused(lambda: NoteAddendum.objects.filter(pk=addendum.pk).update(text="changed"))
    assert refused(lambda: NoteAddendum.objects.filter(pk=addendum.pk).delete())
