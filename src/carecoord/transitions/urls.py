"""
Transitions pages. URL names start with the kind of record their `public_id` names (episode_, patient_),
which is how the tenant-isolation matrix finds the record to try.
"""

from django.urls import path

from . import views

app_name = "transitions"

urlpatterns = [
    path("transitions/", views.dashboard, name="dashboard"),
    path("transitions/episodes/<uuid:public_id>/", views.episode_detail, name="episode_detail"),
    path("transitions/episodes/<uuid:public_id>/steps/", views.episode_step, name="episode_step"),
    path("transitions/episodes/<uuid:public_id>/complexity/", views.episode_complexity, name="episode_complexity"),
    path("transitions/episodes/<uuid:public_id>/checklist/", views.episode_checklist, name="episode_checklist"),
    path("patients/<uuid:public_id>/hospital-stays/", views.patient_stays, name="patient_stays"),
]
