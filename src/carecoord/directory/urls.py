from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("", views.practitioner_list, name="practitioner_list"),
    path("practitioners/new/", views.practitioner_create, name="practitioner_create"),
    path("practitioners/<uuid:public_id>/", views.practitioner_detail, name="practitioner_detail"),
    path("practitioners/<uuid:public_id>/edit/", views.practitioner_edit, name="practitioner_edit"),
    path("practitioners/<uuid:public_id>/deactivate/", views.practitioner_deactivate, name="practitioner_deactivate"),
    path("practitioners/<uuid:public_id>/reactivate/", views.practitioner_reactivate, name="practitioner_reactivate"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/<uuid:public_id>/", views.organization_detail, name="organization_detail"),
    path("organizations/<uuid:public_id>/edit/", views.organization_edit, name="organization_edit"),
    path("locations/", views.location_list, name="location_list"),
    path("locations/new/", views.location_create, name="location_create"),
    path("locations/<uuid:public_id>/", views.location_detail, name="location_detail"),
    path("locations/<uuid:public_id>/edit/", views.location_edit, name="location_edit"),
]
