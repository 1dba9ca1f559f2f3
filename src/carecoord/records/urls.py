from django.urls import path

from . import views

app_name = "records"

urlpatterns = [
    path("patients/<uuid:patient_id>/export/", views.export_create, name="export_create"),
    path("patients/<uuid:patient_id>/delete/", views.patient_delete, name="patient_delete"),
    path("patients/<uuid:patient_id>/restore/", views.patient_restore, name="patient_restore"),
    path("patients/<uuid:patient_id>/hold/", views.hold_place, name="hold_place"),
    path("holds/<uuid:hold_id>/release/", views.hold_release, name="hold_release"),
    path("exports/<uuid:export_id>/", views.export_detail, name="export_detail"),
    path("exports/<uuid:export_id>/<str:name>", views.export_download, name="export_download"),
    path("patients/<uuid:patient_id>/amendments/", views.amendment_list, name="amendment_list"),
    path("amendments/<uuid:amendment_id>/decide/", views.amendment_decide, name="amendment_decide"),
    path("disclosures/", views.disclosure_list, name="disclosure_list"),
    path("deleted/", views.deleted_list, name="deleted_list"),
]
