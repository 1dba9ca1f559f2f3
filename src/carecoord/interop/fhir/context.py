"""Per-call context of a FHIR write: whether it is a lenient import (drop what cannot be kept, don't fail)."""

import contextlib
import contextvars

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
