from django.urls import path

from . import panels, views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_register, name="register"),
    path("<uuid:public_id>/", views.patient_chart, name="chart"),
    path("<uuid:public_id>/edit/", views.patient_edit, name="edit"),
    path("<uuid:public_id>/restrict/", views.patient_restrict, name="restrict"),
    path("<uuid:public_id>/family/", panels.family_add, name="family_add"),
    path("<uuid:public_id>/family/<uuid:person_id>/remove/", panels.family_remove, name="family_remove"),
    path("<uuid:public_id>/care-team/", panels.care_team_add, name="care_team_add"),
    path("<uuid:public_id>/care-team/<uuid:member_id>/end/", panels.care_team_end, name="care_team_end"),
    path("<uuid:public_id>/problems/", panels.condition_add, name="condition_add"),
    path("<uuid:public_id>/problems/<uuid:condition_id>/status/", panels.condition_status, name="condition_status"),
    path("<uuid:public_id>/identifiers/", panels.identifier_add, name="identifier_add"),
    path("<uuid:public_id>/sharing/", panels.share_add, name="share_add"),
    path("<uuid:public_id>/sharing/<uuid:share_id>/revoke/", panels.share_revoke, name="share_revoke"),
]
