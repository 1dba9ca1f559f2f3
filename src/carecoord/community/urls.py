"""
Community pages. URL names start with the kind of record their `public_id` names (patient_, screening_,
referral_, agency_, service_, threshold_), which is how the tenant-isolation matrix finds the record to try.
"""

from django.urls import path

from . import directory_views, sent_views, views

app_name = "community"

urlpatterns = [
    # --- the chart's Social needs tab and what starts from it
    path("patients/<uuid:public_id>/social-needs/", views.patient_social_needs, name="patient_social_needs"),
    path("patients/<uuid:public_id>/social-needs/screen/", views.patient_screening_new, name="patient_screening_new"),
    path("patients/<uuid:public_id>/social-needs/benefits/", views.patient_benefits, name="patient_benefits"),
    path("patients/<uuid:public_id>/social-needs/resources/", views.patient_resources, name="patient_resources"),
    path("patients/<uuid:public_id>/social-needs/refer/", views.patient_referral_new, name="patient_referral_new"),
    path("social-needs/screenings/<uuid:public_id>/", views.screening_detail, name="screening_detail"),
    path("referrals/<uuid:public_id>/", views.referral_detail, name="referral_detail"),
    path("referrals/<uuid:public_id>/status/", views.referral_status, name="referral_status"),
    path("referrals/<uuid:public_id>/notes/", views.referral_note_add, name="referral_note_add"),
    # --- the organization's directory, incoming referrals and benefit thresholds
    path("community/", directory_views.directory, name="directory"),
    path("community/agencies/new/", directory_views.agency_new, name="agency_new"),
    path("community/agencies/<uuid:public_id>/", directory_views.agency_detail, name="agency_detail"),
    path("community/agencies/<uuid:public_id>/active/", directory_views.agency_set_active, name="agency_set_active"),
    path(
        "community/agencies/<uuid:public_id>/services/", directory_views.agency_service_add, name="agency_service_add"
    ),
    path("community/services/<uuid:public_id>/", directory_views.service_detail, name="service_detail"),
    path("community/services/<uuid:public_id>/status/", directory_views.service_status, name="service_status"),
    path(
        "community/services/<uuid:public_id>/locations/",
        directory_views.service_location_add,
        name="service_location_add",
    ),
    path("community/import/", directory_views.directory_import, name="directory_import"),
    path("community/referrals/", directory_views.incoming, name="incoming"),
    path("community/referrals/sent/", sent_views.sent, name="sent"),
    path("community/referrals/<uuid:public_id>/", directory_views.referral_incoming, name="referral_incoming"),
    path("community/referrals/<uuid:public_id>/answer/", directory_views.referral_answer, name="referral_answer"),
    path("community/benefit-thresholds/", directory_views.thresholds, name="thresholds"),
    path(
        "community/benefit-thresholds/<uuid:public_id>/delete/",
        directory_views.threshold_delete,
        name="threshold_delete",
    ),
]
