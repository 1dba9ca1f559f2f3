"""
Reads on transitions of care, each starting from the patients the actor may see
(`patients_visible_to`) and the actor's organization. Reads of one patient's records are audited.
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from carecoord.core import clock
from carecoord.core.access import Actor, require_patient_reader
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import NotFoundError
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patients_visible_to

from . import domain
from .choices import EpisodeStatus
from .models import Encounter, TransitionEpisode


def episodes_for(actor: Actor) -> QuerySet[TransitionEpisode]:
    """Every episode of the actor's organization about a patient the actor may see."""
    require_patient_reader(actor)
    return TransitionEpisode.objects.filter(
        organization=actor.organization, patient__in=patients_visible_to(actor)
    ).select_related("patient", "encounter", "encounter__facility", "readmission")


def episodes_open_for(actor: Actor) -> QuerySet[TransitionEpisode]:
    """The open episodes of the actor's organization, soonest contact deadline first (the dashboard's list)."""
    return episodes_for(actor).filter(status=EpisodeStatus.OPEN).order_by("contact_due", "discharge_day", "id")


def episode_get(actor: Actor, public_id, *, audit_event: str | None = "episode.view") -> TransitionEpisode:
    """One episode the actor may see; NotFoundError for a missing or forbidden one alike."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    episode = episodes_for(actor).filter(public_id=key).first()
    if episode is None:
        raise NotFoundError()
    if audit_event:
        audit_record(actor=actor, event=audit_event, action=AuditAction.READ, target=episode, patient=episode.patient)
    return episode


def encounters_for_patient(actor: Actor, patient: Patient) -> QuerySet[Encounter]:
    """A patient's stays recorded by the actor's organization, newest first."""
    require_patient_reader(actor)
    if not patients_visible_to(actor).filter(pk=patient.pk).exists():
        raise NotFoundError()
    return Encounter.objects.filter(organization=actor.organization, patient=patient).select_related("facility")


@dataclass(frozen=True)
class StepState:
    """Where one deadline of an episode stands on `today`: done (on time or late), due, overdue."""

    step: str
    due: dt.date
    done_at: dt.datetime | None
    state: str  # "done", "done_late", "due", "overdue"


def episode_progress(episode: TransitionEpisode, today: dt.date | None = None) -> list[StepState]:
    """The three deadlines of an episode and where each stands (for the dashboard and the episode page)."""
    tz = episode.organization.tz
    today = today or clock.today_in(tz)
    steps = (
        ("contact", episode.contact_due, episode.contact_at),
        ("med_rec", episode.med_rec_due, episode.med_rec_at),
        ("visit", episode.visit_due, episode.visit_at),
    )
    result = []
    for step, due, done_at in steps:
        if done_at is not None:
            state = "done" if done_at.astimezone(tz).date() <= due else "done_late"
        else:
            state = "overdue" if today > due else "due"
        result.append(StepState(step=step, due=due, done_at=done_at, state=state))
    return result


def episode_tcm_code(episode: TransitionEpisode) -> str | None:
    """99496, 99495 or None: whether what was documented on the episode supports a TCM code."""
    tz = episode.organization.tz

    def day(moment):
        return moment.astimezone(tz).date() if moment else None

    return domain.tcm_code_supported(
        discharge_day=episode.discharge_day,
        contact_day=day(episode.contact_at),
        contact_due=episode.contact_due,
        visit_day=day(episode.visit_at),
        med_rec_day=day(episode.med_rec_at),
        complexity=episode.complexity,
    )
