from django.urls import include, path

from carecoord.api import api
from carecoord.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    # First: placed last, every FHIR request was tried against the ~60 patterns before it (~0.2 ms a request).
    path("", include("carecoord.interop.fhir.urls")),
    path("api/v1/", api.urls),
    path("", include("carecoord.core.urls")),
    path("directory/", include("carecoord.directory.urls")),
    path("patients/", include("carecoord.patients.urls")),
    path("", include("carecoord.careplans.urls")),
    path("", include("carecoord.scheduling.urls")),
    path("", include("carecoord.checkins.urls")),
    path("", include("carecoord.transitions.urls")),
    path("", include("carecoord.interop.hl7v2.urls")),
    path("", include("carecoord.messaging.urls")),
    path("", include("carecoord.education.urls")),
    path("", include("carecoord.medications.urls")),
    path("", include("carecoord.coverage.urls")),
    path("", include("carecoord.community.urls")),
    path("records/", include("carecoord.records.urls")),
]

handler400 = "carecoord.core.views.bad_request"
handler403 = "carecoord.core.views.forbidden"
handler404 = "carecoord.core.views.not_found"
handler500 = "carecoord.core.views.server_error"
