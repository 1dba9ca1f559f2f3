"""
Medication pages. URL names start with the kind of record their `public_id` names (patient_, list_, line_,
reconciliation_), which is how the tenant-isolation matrix finds the record to try.
"""

from django.urls import path

from . import views

app_name = "medications"

urlpatterns = [
    path("patients/<uuid:public_id>/medications/", views.patient_medications, name="patient_medications"),
    path("patients/<uuid:public_id>/medications/lists/new/", views.patient_list_new, name="patient_list_new"),
    path(
        "patients/<uuid:public_id>/medications/reconcile/",
        views.patient_reconciliation_start,
        name="patient_reconciliation_start",
    ),
    path(
        "patients/<uuid:public_id>/medications/history/",
        views.patient_medication_history,
        name="patient_medication_history",
    ),
    path("medication-lists/<uuid:public_id>/", views.list_detail, name="list_detail"),
    path("medication-lists/<uuid:public_id>/error/", views.list_enter_in_error, name="list_enter_in_error"),
    path("medication-lines/<uuid:public_id>/error/", views.line_enter_in_error, name="line_enter_in_error"),
    path("reconciliations/<uuid:public_id>/", views.reconciliation_detail, name="reconciliation_detail"),
    path("reconciliations/<uuid:public_id>/decide/", views.reconciliation_decide, name="reconciliation_decide"),
    path("reconciliations/<uuid:public_id>/sign/", views.reconciliation_sign, name="reconciliation_sign"),
    path("reconciliations/<uuid:public_id>/discard/", views.reconciliation_discard, name="reconciliation_discard"),
]
