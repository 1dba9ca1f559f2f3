"""
The reminder job: every five minutes, each active organization's due reminders are queued in the outbox and
transport or interpreter tasks created (reminder_services.reminders_run). When a booked time is given up
(cancelled, moved), that appointment's queued reminders are cancelled at once rather than at the next run.
Imported by SchedulingConfig.ready(), so the job registers and the receiver connects in every process.
"""

import datetime as dt
from collections import Counter

from django.dispatch import receiver

from carecoord.core.models import Organization
from carecoord.core.periodic import periodic

from .reminder_services import reminders_cancel_stale, reminders_run
from .signals import appointment_freed


@periodic(every=dt.timedelta(minutes=5))
def send_appointment_reminders() -> dict[str, int]:
    """Queues due appointment reminders and creates visit-needs tasks; returns the summed summary."""
    summary: Counter = Counter()
    for organization in Organization.objects.filter(active=True).order_by("id"):
        summary.update(reminders_run(organization=organization))
    return dict(summary)


@receiver(appointment_freed, dispatch_uid="scheduling.reminders_cancel_stale")
def cancel_reminders_of_freed_appointment(sender, appointment, **kwargs) -> None:
    reminders_cancel_stale(appointment)
