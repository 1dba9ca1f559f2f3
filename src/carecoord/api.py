"""
The JSON API (django-ninja) at /api/v1/, described by OpenAPI at /api/v1/openapi.json. It authenticates
with the browser session (CSRF-checked on writes); system clients with OAuth2 tokens arrive with the FHIR
API. Errors answer 4xx with {"code", "message", "field"}. There is no documentation UI (it would load
assets from a CDN); the OpenAPI description is served to signed-in users only.
"""

from django.contrib.auth.decorators import login_required
from ninja import NinjaAPI
from ninja.security import SessionAuth

from carecoord.core.errors import ApplicationError


class ActorSessionAuth(SessionAuth):
    """A signed-in, two-factor-verified session acting for an organization; `request.auth` is the Actor."""

    def authenticate(self, request, key):
        actor = getattr(request, "actor", None)
        if request.user.is_authenticated and actor is not None:
            return actor
        return None


api = NinjaAPI(
    title="CareCoord API",
    version="1",
    description="Worklist, tasks and patient registry for care coordination.",
    urls_namespace="api",
    docs_url=None,
    docs_decorator=login_required,
    auth=ActorSessionAuth(),
)


@api.exception_handler(ApplicationError)
def application_error(request, exc: ApplicationError):
    body = {"code": exc.code, "message": exc.message}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.http_status)


api.add_router("/worklist", "carecoord.careplans.api.worklist_router")
api.add_router("/tasks", "carecoord.careplans.api.tasks_router")
api.add_router("/patients", "carecoord.patients.api.router")
api.add_router("/scheduling", "carecoord.scheduling.api.router")
