"""URLs of the FHIR R4 API (under /fhir/R4/) and of OAuth2 (/oauth/token)."""

from django.urls import path

from . import export_views, views

app_name = "fhir"

R4 = "fhir/R4/"

urlpatterns = [
    path(f"{R4}metadata", views.metadata, name="metadata"),
    path(R4, views.system, name="system"),
    path(f"{R4}$export", export_views.export_system, name="export"),
    path(f"{R4}$export-status/<str:job_id>", export_views.export_status, name="export_status"),
    path(f"{R4}$export-file/<str:job_id>/<str:file_name>", export_views.export_file, name="export_file"),
    path(f"{R4}Patient/$export", export_views.export_patients, name="export_patients"),
    path(f"{R4}Group/<str:group_id>/$export", export_views.export_group, name="export_group"),
    path(f"{R4}Patient/<str:patient_id>/$everything", export_views.everything, name="everything"),
    path(f"{R4}<str:resource_type>", views.resource_type, name="type"),
    path(f"{R4}<str:resource_type>/_search", views.search_post, name="search"),
    path(f"{R4}<str:resource_type>/_history", views.type_history, name="type_history"),
    path(f"{R4}<str:resource_type>/<str:resource_id>", views.instance, name="instance"),
    path(f"{R4}<str:resource_type>/<str:resource_id>/_history", views.instance_history, name="history"),
    path(f"{R4}<str:resource_type>/<str:resource_id>/_history/<str:version_id>", views.version, name="vread"),
    path("oauth/token", views.token, name="token"),
]
