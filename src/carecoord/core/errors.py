"""
The application's errors. Each carries a stable code and a message fit for a person; the edges translate
them (HTML shows them inline, JSON answers 4xx, FHIR answers an OperationOutcome).
"""


class ApplicationError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}


class ValidationError(ApplicationError):
    code = "invalid"
    http_status = 400


class NotFoundError(ApplicationError):
    """Raised for missing and for forbidden records alike, so existence never leaks."""

    code = "not-found"
    http_status = 404

    def __init__(self, message: str = "Not found.", **kwargs):
        super().__init__(message, **kwargs)


class PermissionDeniedError(ApplicationError):
    code = "forbidden"
    http_status = 403


class ConflictError(ApplicationError):
    """A stale edit or a clash with an existing record."""

    code = "conflict"
    http_status = 409


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
