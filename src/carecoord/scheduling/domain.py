"""
Appointment status rules, pure: which FHIR R4 AppointmentStatus may follow which.

proposed/pending/waitlist → booked (or cancelled); booked → arrived → checked-in → fulfilled
(arrived or checked-in may go straight to fulfilled); booked → noshow; anything not yet final → cancelled;
every status → entered-in-error, which is final.
A visit's progress also waits for its time: arrived and checked-in from its day (in the organization's time
zone), fulfilled and no-show from its start.
"""

import datetime as dt

from .choices import AppointmentStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PROPOSED: frozenset({S.PENDING, S.BOOKED, S.WAITLIST, S.CANCELLED}),
    S.PENDING: frozenset({S.BOOKED, S.CANCELLED}),
    S.WAITLIST: frozenset({S.PENDING, S.BOOKED, S.CANCELLED}),
    S.BOOKED: frozenset({S.ARRIVED, S.CHECKED_IN, S.NOSHOW, S.CANCELLED}),
    S.ARRIVED: frozenset({S.CHECKED_IN, S.FULFILLED}),
    S.CHECKED_IN: frozenset({S.FULFILLED}),
    S.FULFILLED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NOSHOW: frozenset(),
    S.ENTERED_IN_ERROR: frozenset(),
}


class TransitionError(Exception):
    """A status change the rules do not allow; the message is fit for a person."""


def check_transition(current: str, new: str) -> None:
    """Raises TransitionError unless an appointment in `current` may move to `new`."""
    if new == S.ENTERED_IN_ERROR and current != S.ENTERED_IN_ERROR:
        return
    if new not in TRANSITIONS.get(current, frozenset()):
        raise TransitionError(
            f"An appointment that is {S(current).label.lower()} cannot be marked {S(new).label.lower()}."
        )


# The visit's progress that may be recorded from the start of its day (the rest waits for its start).
FROM_THE_DAY = frozenset({S.ARRIVED, S.CHECKED_IN})


def timing_error(status: str, start: dt.datetime, now: dt.datetime, tz) -> str | None:
    """Why `status` cannot be recorded yet for a visit starting at `start`, or None when it can."""
    if status in FROM_THE_DAY and now.astimezone(tz).date() < start.astimezone(tz).date():
        return f"An appointment cannot be marked {S(status).label.lower()} before the day of the appointment."
    if status == S.NOSHOW and now < start:
        return "An appointment cannot be a no-show before it starts."
    if status == S.FULFILLED and now < start:
        return "An appointment cannot be marked seen (fulfilled) before it starts."
    return None


def speaks_language(practitioner, language: str) -> bool:
    """
    Whether the practitioner lists the patient's language (BCP-47, compared by its primary subtag: "es-MX"
    matches "es"). A language listed in the directory is taken as one the practitioner sees patients in, so a
    visit with them needs no interpreter; an organization that wants a qualified interpreter regardless ticks
    "Needs an interpreter" on the outside visit or leaves the language off the practitioner's record.
    """
    wanted = (language or "").split("-")[0].lower()
    spoken = {str(code).split("-")[0].lower() for code in (getattr(practitioner, "languages", None) or [])}
    return bool(wanted) and wanted in spoken


def interpreter_to_arrange(needed: bool, practitioner, language: str) -> bool:
    """
    An interpreter to arrange: the patient needs one and the practitioner does not speak their language. A
    patient marked as needing one whose language is English keeps the need (most often sign language recorded
    loosely): a practitioner's English does not meet it.
    """
    if not needed:
        return False
    return (language or "").split("-")[0].lower() == "en" or not speaks_language(practitioner, language)


def is_telehealth(appointment) -> bool:
    return bool(appointment.appointment_type and appointment.appointment_type.telehealth)


def transport_to_arrange(needed: bool, appointment) -> bool:
    """Transport to arrange: the visit or the patient needs it, and the patient is going somewhere (not video)."""
    return needed and not is_telehealth(appointment)
