"""
HTTP edges of the FHIR API (/fhir/R4) and the OAuth2 token endpoint (/oauth/token). Thin: each view finds
the caller, parses the body, calls an interaction and turns its result or error into a FHIR response.
"""

import base64
import binascii
import functools
import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from carecoord.patients.selectors import visibility_memo

from . import interactions, searchset
from .access import Caller, caller_for
from .bundle import process_bundle
from .capability import capability_statement
from .clients import TokenRequestError, audit_token_refused, token_issue
from .interaction_parts import Result
from .outcome import FhirError, error_response, fhir_response

JSON_TYPES = ("application/fhir+json", "application/json", "json", "")
MAX_BODY_BYTES = 50 * 1024 * 1024


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/R4/")


def fhir_view(methods: tuple[str, ...]):
    """Answers FHIR errors as OperationOutcomes, refuses other methods and non-JSON formats."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise FhirError(405, f"{request.method} is not supported here.", code="not-supported")
                _check_format(request)
                with visibility_memo():  # one request builds the patient-visibility query once
                    return view(request, *args, **kwargs)
            except FhirError as error:
                return error_response(error)

        return wrapper

    return decorate


def _check_format(request: HttpRequest) -> None:
    wanted = request.GET.get("_format", "").split(";")[0].strip()
    accept = request.headers.get("Accept", "")
    asks_for_xml = "fhir+xml" in accept and "json" not in accept and "*/*" not in accept
    if wanted not in JSON_TYPES or asks_for_xml:
        raise FhirError(406, "CareCoord speaks FHIR JSON only (application/fhir+json).", code="not-supported")


def _body(request: HttpRequest):
    content_type = request.content_type or ""
    if content_type not in ("application/fhir+json", "application/json"):
        raise FhirError(415, "Send the resource as application/fhir+json.", code="not-supported")
    if len(request.body) > MAX_BODY_BYTES:
        raise FhirError(413, "The body is larger than 50 MB.", code="too-costly")
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FhirError(400, f"The body is not valid JSON: {exc}.", code="structure") from exc


def _answer(result: Result) -> HttpResponse:
    if result.body is None:
        response = HttpResponse(status=result.status)
        for name, value in result.headers.items():
            response[name] = value
        return response
    return fhir_response(result.body, status=result.status, headers=result.headers)


def _prefer_return(request: HttpRequest, result: Result) -> HttpResponse:
    """Honours `Prefer: return=minimal` (no body) and `return=OperationOutcome`."""
    prefer = request.headers.get("Prefer", "")
    if "return=minimal" in prefer:
        return _answer(Result(result.status, None, result.headers))
    return _answer(result)


def _strict(request: HttpRequest) -> bool:
    return "handling=strict" in request.headers.get("Prefer", "")


@fhir_view(("GET",))
def metadata(request: HttpRequest) -> HttpResponse:
    return fhir_response(capability_statement(base_url(request)))


@fhir_view(("POST",))
def system(request: HttpRequest) -> HttpResponse:
    caller = caller_for(request)
    lenient = "handling=lenient" in request.headers.get("Prefer", "")
    return _answer(process_bundle(caller, _body(request), base_url(request), lenient=lenient))


@fhir_view(("GET", "POST"))
def resource_type(request: HttpRequest, resource_type: str) -> HttpResponse:
    caller = caller_for(request)
    if request.method == "GET":
        params = _query(request)
        return _answer(searchset.search(caller, resource_type, params, base_url(request), strict=_strict(request)))
    result = interactions.create(
        caller, resource_type, _body(request), base_url(request), if_none_exist=request.headers.get("If-None-Exist", "")
    )
    return _prefer_return(request, result)


@fhir_view(("POST",))
def search_post(request: HttpRequest, resource_type: str) -> HttpResponse:
    caller = caller_for(request)
    if request.content_type != "application/x-www-form-urlencoded":
        raise FhirError(415, "POST _search takes application/x-www-form-urlencoded parameters.", code="not-supported")
    params = _query(request) + [(k, v) for k in request.POST for v in request.POST.getlist(k)]
    return _answer(searchset.search(caller, resource_type, params, base_url(request), strict=_strict(request)))


@fhir_view(("GET", "PUT", "DELETE"))
def instance(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    caller = caller_for(request)
    if request.method == "GET":
        return _answer(interactions.read(caller, resource_type, resource_id))
    if request.method == "PUT":
        result = interactions.update(
            caller, resource_type, resource_id, _body(request), if_match=request.headers.get("If-Match", "")
        )
        return _prefer_return(request, result)
    return _answer(interactions.delete(caller, resource_type, resource_id))


@fhir_view(("GET",))
def instance_history(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    caller = caller_for(request)
    return _answer(searchset.history(caller, resource_type, resource_id, _query(request), base_url(request)))


@fhir_view(("GET",))
def type_history(request: HttpRequest, resource_type: str) -> HttpResponse:
    caller = caller_for(request)
    return _answer(searchset.history(caller, resource_type, None, _query(request), base_url(request)))


@fhir_view(("GET",))
def version(request: HttpRequest, resource_type: str, resource_id: str, version_id: str) -> HttpResponse:
    caller: Caller = caller_for(request)
    return _answer(interactions.vread(caller, resource_type, resource_id, version_id))


def _query(request: HttpRequest) -> list[tuple[str, str]]:
    return [(key, value) for key in request.GET for value in request.GET.getlist(key)]


# --- OAuth2 ------------------------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    """RFC 6749 client-credentials grant; client authentication by HTTP Basic or in the form body."""
    try:
        if request.POST.get("grant_type") != "client_credentials":
            raise TokenRequestError("unsupported_grant_type", "Only grant_type=client_credentials is supported.")
        client_id, secret = _client_credentials(request)
        raw, record = token_issue(client_id=client_id, client_secret=secret, scope=request.POST.get("scope", ""))
    except TokenRequestError as exc:
        audit_token_refused(exc.error)
        response = JsonResponse({"error": exc.error, "error_description": exc.description}, status=exc.status)
        if exc.status == 401:
            response["WWW-Authenticate"] = 'Basic realm="carecoord"'
        response["Cache-Control"] = "no-store"
        return response
    lifetime = int((record.expires_at - record.issued_at).total_seconds())
    response = JsonResponse(
        {"access_token": raw, "token_type": "bearer", "expires_in": lifetime, "scope": record.scopes}
    )
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _client_credentials(request: HttpRequest) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise TokenRequestError("invalid_client", "The Basic credentials are not valid base64.", 401) from exc
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    client_id, secret = request.POST.get("client_id", ""), request.POST.get("client_secret", "")
    if not client_id or not secret:
        raise TokenRequestError("invalid_client", "Authenticate with client_id and client_secret.", 401)
    return client_id, secret
