"""
Insurance pages. URL names start with the kind of record their `public_id` names (patient_, coverage_,
eligibility_, priorauth_, visit_, appeal_, document_, application_, payer_), which is how the tenant-isolation
matrix finds the record to try. Lists (payer_list, priorauth_list) take no id, so the matrix leaves them to
the list and search sweeps (tests/security/test_matrix_searches.py).
"""

from django.urls import path

from . import priorauth_list_views, priorauth_views, views

app_name = "coverage"

urlpatterns = [
    path("patients/<uuid:public_id>/insurance/", views.patient_insurance, name="patient_insurance"),
    path("patients/<uuid:public_id>/insurance/coverages/", views.patient_coverage_add, name="patient_coverage_add"),
    path(
        "patients/<uuid:public_id>/insurance/prior-auths/",
        priorauth_views.patient_priorauth_add,
        name="patient_priorauth_add",
    ),
    path(
        "patients/<uuid:public_id>/insurance/applications/",
        priorauth_views.patient_application_add,
        name="patient_application_add",
    ),
    path("insurance/coverages/<uuid:public_id>/end/", views.coverage_end, name="coverage_end"),
    path("insurance/coverages/<uuid:public_id>/order/", views.coverage_order, name="coverage_order"),
    path(
        "insurance/coverages/<uuid:public_id>/eligibility/",
        views.coverage_eligibility_start,
        name="coverage_eligibility_start",
    ),
    path(
        "insurance/coverages/<uuid:public_id>/eligibility/result/",
        views.coverage_eligibility_record,
        name="coverage_eligibility_record",
    ),
    path("insurance/eligibility/<uuid:public_id>/", views.eligibility_detail, name="eligibility_detail"),
    path("insurance/eligibility/<uuid:public_id>/270/", views.eligibility_request, name="eligibility_request"),
    path("insurance/eligibility/<uuid:public_id>/271/", views.eligibility_upload, name="eligibility_upload"),
    path("insurance/prior-auths/", priorauth_list_views.priorauth_list, name="priorauth_list"),
    path("insurance/prior-auths/<uuid:public_id>/", priorauth_views.priorauth_detail, name="priorauth_detail"),
    path("insurance/prior-auths/<uuid:public_id>/status/", priorauth_views.priorauth_status, name="priorauth_status"),
    path(
        "insurance/prior-auths/<uuid:public_id>/decision/",
        priorauth_views.priorauth_decision_edit,
        name="priorauth_decision_edit",
    ),
    path(
        "insurance/prior-auths/<uuid:public_id>/decision/correct/",
        priorauth_views.priorauth_decision_correct,
        name="priorauth_decision_correct",
    ),
    path(
        "insurance/prior-auths/<uuid:public_id>/follow-ups/",
        priorauth_views.priorauth_follow_up,
        name="priorauth_follow_up",
    ),
    path(
        "insurance/prior-auths/<uuid:public_id>/visits/",
        priorauth_views.priorauth_visit_add,
        name="priorauth_visit_add",
    ),
    path(
        "insurance/prior-auths/<uuid:public_id>/appeals/",
        priorauth_views.priorauth_appeal_add,
        name="priorauth_appeal_add",
    ),
    path("insurance/visits/<uuid:public_id>/void/", priorauth_views.visit_void, name="visit_void"),
    path("insurance/appeals/<uuid:public_id>/status/", priorauth_views.appeal_status, name="appeal_status"),
    path(
        "insurance/appeals/<uuid:public_id>/documents/",
        priorauth_views.appeal_document_add,
        name="appeal_document_add",
    ),
    path("insurance/documents/<uuid:public_id>/", priorauth_views.document_download, name="document_download"),
    path("insurance/applications/<uuid:public_id>/", priorauth_views.application_detail, name="application_detail"),
    path(
        "insurance/applications/<uuid:public_id>/documents/",
        priorauth_views.application_document_mark,
        name="application_document_mark",
    ),
    path("insurance/payers/", views.payer_list, name="payer_list"),
    path("insurance/payers/<uuid:public_id>/", views.payer_edit, name="payer_edit"),
]
