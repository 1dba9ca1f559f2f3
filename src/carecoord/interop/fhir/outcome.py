"""FHIR errors: every client error answers 4xx with an OperationOutcome that says exactly what is wrong."""

from django.http import JsonResponse

FHIR_JSON = "application/fhir+json; charset=utf-8"


class FhirError(Exception):
    """
    An error to answer as an OperationOutcome. `code` is from the FHIR IssueType value set (invalid,
    not-found, conflict, forbidden, not-supported, processing...); `expression` points at the element.
    """

    def __init__(
        self, status: int, diagnostics: str, *, code: str = "invalid", expression: list[str] | None = None
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.expression = expression or []
        self.headers: dict[str, str] = {}


def operation_outcome(diagnostics: str, *, code: str = "invalid", severity: str = "error", expression=None) -> dict:
    issue = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = list(expression)
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def fhir_response(body: dict, status: int = 200, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse(body, status=status, content_type=FHIR_JSON, json_dumps_params={"separators": (",", ":")})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: FhirError) -> JsonResponse:
    body = operation_outcome(error.diagnostics, code=error.code, expression=error.expression)
    return fhir_response(body, status=error.status, headers=error.headers)


def not_found(resource_type: str, resource_id: str) -> FhirError:
    return FhirError(404, f"{resource_type}/{resource_id} is not known.", code="not-found")
