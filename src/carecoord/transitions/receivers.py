"""
Listener of `careplans.signals.task_completed` (sent inside `task_set_status`'s transaction): a task completed
on the worklist, the worklist API or any other path that does an episode step -- the episode's own contact,
medication reconciliation or visit task, or the patient's TCM care plan task for the same work
(`selectors.TCM_STEP_TASKS`) -- records that step on the open episode through `services.episode_record_step`,
at the task's completion time with its outcome note. The completion and the step commit or roll back together.
A step the service refuses (the episode is closed, the completion is before the discharge day) leaves the
episode as it was and the task completed.

Listener of `careplans.signals.template_due_dates`: a TCM care plan applied while the patient has an open
episode takes its step tasks' and goals' due dates from the episode's deadlines (`selectors.tcm_due_dates`).
Listener of `scheduling.signals.appointment_changed` (inside the booking's transaction): the open episode's
face-to-face visit follows the visits booked in its window (`services.episode_sync_visit`).
Connected in `TransitionsConfig.ready()`.
"""

import datetime as dt
import logging

from django.dispatch import receiver

from carecoord.careplans.choices import TaskSource
from carecoord.careplans.models import CarePlanTemplate, Task
from carecoord.careplans.signals import task_completed, template_due_dates
from carecoord.core.access import Actor
from carecoord.core.errors import ApplicationError, InvalidStateError, ValidationError
from carecoord.scheduling.signals import appointment_changed

from . import selectors, services
from .choices import EpisodeStatus, TransitionStep
from .models import TransitionEpisode

logger = logging.getLogger(__name__)

# Set while this listener records a step (services.recording_step): episode_record_step completes the step's other
# open tasks, and those completions must not start a second recording.
_recording = services.recording_step


@receiver(task_completed, sender=Task, dispatch_uid="transitions.record_step_of_completed_task")
def record_step_of_completed_task(sender, *, task: Task, actor: Actor, note: str, completed_at: dt.datetime,
                                  **kwargs) -> None:  # fmt: skip
    """Records on the open episode the step the completed task did, if it is not recorded yet."""
    if _recording.get() or not actor.can_edit_patients:
        # A role that may work tasks but not change patient records (scheduler) completes the task only.
        return
    found = _episode_step(task, completed_at)
    if found is None:
        return
    episode, step = found
    if step == TransitionStep.CONTACT:
        note = note[: services.CONTACT_NOTE_MAX]  # the task keeps the whole note; the outreach note is bounded
    token = _recording.set(True)
    try:
        services.episode_record_step(
            actor=actor, episode=episode, step=step, note=note, expected_version=episode.version, at=completed_at
        )
    except (ValidationError, InvalidStateError) as exc:
        # episode_record_step is atomic on its own (a savepoint here): a refusal leaves nothing half-written.
        logger.info(
            "episode step not recorded from a completed task",
            extra={"episode": str(episode.public_id), "step": step, "task": str(task.public_id), "code": exc.code},
        )
    finally:
        _recording.reset(token)


@receiver(template_due_dates, sender=CarePlanTemplate, dispatch_uid="transitions.tcm_plan_due_dates")
def tcm_plan_due_dates(sender, *, template, patient, organization, **kwargs) -> dict | None:
    """The episode's deadlines for a TCM plan applied while the patient has an open episode; else None."""
    if not selectors.is_tcm_template_key(template.key):
        return None
    episode = selectors.latest_open_episode(organization.pk, patient.pk)
    return selectors.tcm_due_dates(episode) if episode is not None else None


@receiver(appointment_changed, dispatch_uid="transitions.sync_episode_visit")
def sync_episode_visit(sender, *, appointment, **kwargs) -> None:
    """Keeps an open episode's face-to-face visit in step with the appointment; never refuses the booking."""
    try:
        services.episode_sync_visit(appointment=appointment)
    except ApplicationError as exc:
        # episode_sync_visit is atomic (a savepoint here): a refusal leaves the episode as it was.
        logger.info(
            "episode not updated from an appointment",
            extra={"appointment": str(appointment.public_id), "code": exc.code},
        )


def _episode_step(task: Task, completed_at: dt.datetime) -> tuple[TransitionEpisode, str] | None:
    """The episode (locked) and the step the task did, when the step is not recorded on it yet; else None."""
    own = _own_step(task)
    if own is not None:
        # The episode's own task: its episode, whatever its status (the service refuses a closed one).
        episode = (
            TransitionEpisode.objects.select_for_update()
            .select_related("organization", "patient")
            .filter(organization=task.organization_id, patient=task.patient_id, public_id=task.focus_id)
            .first()
        )
        if episode is None or getattr(episode, services.STEP_FIELDS[own]) is not None:
            return None
        return episode, own
    step = _tcm_plan_step(task)
    if step is None:
        return None
    # The plan's task: the patient's latest open episode in the organization that still lacks the step and
    # whose discharge day is not after the completion, the one tcm_plan_tasks(episode, step) would name it for.
    field = services.STEP_FIELDS[step]
    day = completed_at.astimezone(task.organization.tz).date()
    episode = (
        TransitionEpisode.objects.select_for_update()
        .select_related("organization", "patient")
        .filter(
            organization=task.organization_id,
            patient=task.patient_id,
            status=EpisodeStatus.OPEN,
            discharge_day__lte=day,
            **{f"{field}__isnull": True},
        )
        .order_by("-discharge_day", "-id")
        .first()
    )
    return (episode, step) if episode is not None else None


def _own_step(task: Task) -> str | None:
    """The step of an episode's own step task (dedupe key "...:contact", ":med_rec", ":visit"), else None."""
    if task.source != TaskSource.TRANSITIONS or task.focus_type != services.EPISODE_FOCUS or not task.dedupe_key:
        return None
    step = task.dedupe_key.rsplit(":", 1)[-1]
    return step if step in services.STEP_FIELDS else None


def _tcm_plan_step(task: Task) -> str | None:
    """The step a TCM care plan task does (the task has just been completed, so any status), else None."""
    return selectors.tcm_plan_step(task, services.STEP_FIELDS)
