"""Per-call context of a FHIR write: whether it is a lenient import (drop what cannot be kept, don't fail)."""

import contextlib
import contextvars

from carecoord.patients.selectors import visible_patients_remembered

_lenient = contextvars.ContextVar("fhir_lenient_import", default=False)


def lenient() -> bool:
    return _lenient.get()


@contextlib.contextmanager
def lenient_import(on: bool = True):
    token = _lenient.set(on)
    try:
        yield
    finally:
        _lenient.reset(token)


class NotKept(Exception):
    """Raised by a mapper during a lenient import for a resource CareCoord cannot keep; the reason is shown."""


_subjects: contextvars.ContextVar[dict | None] = contextvars.ContextVar("fhir_bundle_subjects", default=None)


@contextlib.contextmanager
def subject_cache():
    """
    Within one transaction Bundle, remembers the patients its entries' subjects resolved to, so the access
    check of a patient runs once per Bundle rather than once per resource (visibility cannot change inside
    the Bundle's transaction except through a PUT or DELETE, which forgets them).
    """
    store: dict = {}
    token = _subjects.set(store)
    try:
        with visible_patients_remembered(store):  # the services' own checks of a patient find it here too
            yield
    finally:
        _subjects.reset(token)


def subjects() -> dict | None:
    return _subjects.get()


def forget_subjects() -> None:
    cache = _subjects.get()
    if cache is not None:
        cache.clear()
