"""
Listeners of `signals.appointment_freed` (sent after commit when a booked time is given up): the waitlist
offers the time to the first patient it fits, and a withdrawn outside appointment's open tasks are cancelled.
Connected in `SchedulingConfig.ready()`.
"""

import logging

from django.dispatch import receiver

from carecoord.core.errors import ApplicationError

from .outside_services import outside_appointment_withdrawn
from .signals import appointment_freed
from .waitlist_services import waitlist_offer_freed_time

logger = logging.getLogger(__name__)


@receiver(appointment_freed, dispatch_uid="scheduling.offer_freed_time_to_waitlist")
def offer_freed_time_to_waitlist(sender, *, appointment, start, end, practitioner, location, **kwargs) -> None:
    """Offers the freed time to the waitlist. The cancel has committed, so a refused offer must not undo it."""
    try:
        entry = waitlist_offer_freed_time(
            appointment=appointment, start=start, end=end, practitioner=practitioner, location=location
        )
    except ApplicationError:
        logger.warning("waitlist offer refused", extra={"appointment": str(appointment.public_id)}, exc_info=True)
        return
    if entry is not None:
        logger.info("waitlist offer made", extra={"entry": str(entry.public_id)})


@receiver(appointment_freed, dispatch_uid="scheduling.close_withdrawn_outside_tasks")
def close_withdrawn_outside_tasks(sender, *, appointment, **kwargs) -> None:
    """Cancels the confirm, summary or reschedule tasks of an outside appointment that was cancelled."""
    try:
        outside_appointment_withdrawn(appointment)
    except ApplicationError:
        logger.warning("outside tasks not closed", extra={"appointment": str(appointment.public_id)}, exc_info=True)
