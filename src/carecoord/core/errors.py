"""
The application's errors. Each carries a stable code and a message fit for a person; the edges translate
them (HTML shows them inline, JSON answers 4xx, FHIR answers an OperationOutcome). A ValidationError may
carry several fields' messages at once (`ValidationError.of`), so a form can show every problem on one submit.
"""

from collections.abc import Mapping, Sequence

from django.core.exceptions import PermissionDenied


class ApplicationError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}

    @property
    def field_errors(self) -> dict[str | None, list[str]]:
        """Every message this error carries, by field (None: not about one field)."""
        return {self.field: [self.message]}


class ValidationError(ApplicationError):
    code = "invalid"
    http_status = 400

    _several: dict[str | None, list[str]] | None = None

    @classmethod
    def of(cls, errors: Mapping[str | None, Sequence[str]]) -> "ValidationError":
        """
        One error for several problems, by field. `message` and `field` are the first problem's, so an edge
        that shows a single message still shows one of them; `field_errors` has them all.
        """
        several = {field: list(messages) for field, messages in errors.items() if messages}
        if not several:
            raise ValueError("ValidationError.of needs at least one message.")
        field, messages = next(iter(several.items()))
        exc = cls(messages[0], field=field)
        exc._several = several
        return exc

    @property
    def field_errors(self) -> dict[str | None, list[str]]:
        return dict(self._several) if self._several else super().field_errors


class NotFoundError(ApplicationError):
    """Raised for missing and for forbidden records alike, so existence never leaks."""

    code = "not-found"
    http_status = 404

    def __init__(self, message: str = "Not found.", **kwargs):
        super().__init__(message, **kwargs)


class PermissionDeniedError(ApplicationError):
    code = "forbidden"
    http_status = 403


class ReadablePermissionDenied(PermissionDenied):
    """
    Django's PermissionDenied for a PermissionDeniedError of ours (core.middleware): its message was written
    for people, so the 403 page shows it. Django's own PermissionDenied keeps the generic text, since its
    message may be anything.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConflictError(ApplicationError):
    """A stale edit or a clash with an existing record."""

    code = "conflict"
    http_status = 409


class PreconditionFailedError(ApplicationError):
    """A conditional write whose condition no longer holds (the JSON API's PATCH with a stale version: 412)."""

    code = "precondition-failed"
    http_status = 412


class InvalidStateError(ApplicationError):
    code = "invalid-state"
    http_status = 409


class AccessCheckUnavailableError(ApplicationError):
    """
    The access decision could not be made (the check itself failed). Fail closed: the request answers 503,
    never data (RELIABILITY T21).
    """

    code = "unavailable"
    http_status = 503

    def __init__(self, message: str = "Access could not be checked just now; try again in a moment.", **kwargs):
        super().__init__(message, **kwargs)
