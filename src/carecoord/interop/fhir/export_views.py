"""
HTTP edges of the export operations: Patient/{id}/$everything, the three $export kick-offs, the status URL
(poll with GET, cancel with DELETE) and the NDJSON files. Callers are found as for every FHIR call (a bearer
token, or a signed-in person reading); jobs and files are only ever shown to their own organization.
"""

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse

from . import export
from .access import caller_for
from .export import KickOff
from .models import ExportStatus
from .outcome import fhir_response, operation_outcome
from .views import _answer, _query, base_url, fhir_view

RETRY_AFTER_SECONDS = "5"


@fhir_view(("GET",))
def everything(request: HttpRequest, patient_id: str) -> HttpResponse:
    caller = caller_for(request)
    return _answer(export.everything(caller, patient_id, _query(request), base_url(request)))


@fhir_view(("GET",))
def export_system(request: HttpRequest) -> HttpResponse:
    return _kick_off(request, "system")


@fhir_view(("GET",))
def export_patients(request: HttpRequest) -> HttpResponse:
    return _kick_off(request, "patient")


@fhir_view(("GET",))
def export_group(request: HttpRequest, group_id: str) -> HttpResponse:
    return _kick_off(request, "group", group_id)


def _kick_off(request: HttpRequest, level: str, group_id: str = "") -> HttpResponse:
    caller = caller_for(request)
    job = export.kick_off(
        caller,
        KickOff(
            level=level,
            group_id=group_id,
            params=_query(request),
            prefer=request.headers.get("Prefer", ""),
            accept=request.headers.get("Accept", ""),
            request_url=request.build_absolute_uri(),
        ),
    )
    status_url = f"{base_url(request)}$export-status/{job.public_id}"
    body = operation_outcome(
        f"Export accepted: poll {status_url} for its progress.", code="informational", severity="information"
    )
    return fhir_response(body, status=202, headers={"Content-Location": status_url})


@fhir_view(("GET", "DELETE"))
def export_status(request: HttpRequest, job_id: str) -> HttpResponse:
    caller = caller_for(request)
    job = export.job_for(caller, job_id)
    if request.method == "DELETE":
        export.cancel(job)
        body = operation_outcome(f"Export {job.public_id} is cancelled.", code="informational", severity="information")
        return fhir_response(body, status=202)
    export.run_inline_if_unclaimed(job)
    if job.status in (ExportStatus.ACCEPTED, ExportStatus.RUNNING):
        response = HttpResponse(status=202)
        response["X-Progress"] = export.progress_text(job)
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    if job.status == ExportStatus.FAILED:
        body = operation_outcome(f"The export failed: {job.error}", code="exception")
        return fhir_response(body, status=500)
    return JsonResponse(export.manifest(job, base_url(request)), json_dumps_params={"separators": (",", ":")})


@fhir_view(("GET",))
def export_file(request: HttpRequest, job_id: str, file_name: str) -> HttpResponse:
    caller = caller_for(request)
    job = export.job_for(caller, job_id)
    path, entry = export.export_file(caller, job, file_name)
    export.audit_download(caller, job, entry)
    response = FileResponse(open(path, "rb"), content_type=export.NDJSON)  # noqa: SIM115 -- FileResponse closes it
    response["Cache-Control"] = "no-store"
    return response
