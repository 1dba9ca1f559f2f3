"""
Check-in pages. URL names start with the kind of record their `public_id` names (patient_, cadence_,
outreach_, note_, assessment_, measurement_, time_, enrollment_, therapy_, goal_), which is how the
tenant-isolation matrix finds the record to try.
"""

from django.urls import path

from . import billing_views, measurement_views, therapy_views, time_views  # progress, time, therapy
from . import views as checkin_views  # outreach, cadence, notes, assessments, check-ins tab, timeline

app_name = "checkins"

urlpatterns = [
    # --- outreach, cadence, progress notes, assessments, the chart's check-ins tab, timeline
    path("patients/<uuid:public_id>/checkins/", checkin_views.patient_checkins, name="patient_checkins"),
    path("patients/<uuid:public_id>/checkins/cadence/", checkin_views.patient_cadence_set, name="patient_cadence_set"),
    path(
        "patients/<uuid:public_id>/checkins/outreach/", checkin_views.patient_outreach_add, name="patient_outreach_add"
    ),
    path("patients/<uuid:public_id>/notes/new/", checkin_views.patient_note_new, name="patient_note_new"),
    path(
        "patients/<uuid:public_id>/assessments/new/",
        checkin_views.patient_assessment_new,
        name="patient_assessment_new",
    ),
    path("patients/<uuid:public_id>/timeline/", checkin_views.patient_timeline_view, name="patient_timeline"),
    path("cadences/<uuid:public_id>/stop/", checkin_views.cadence_stop, name="cadence_stop"),
    path("notes/<uuid:public_id>/", checkin_views.note_detail, name="note_detail"),
    path("notes/<uuid:public_id>/edit/", checkin_views.note_edit, name="note_edit"),
    path("notes/<uuid:public_id>/sign/", checkin_views.note_sign, name="note_sign"),
    path("notes/<uuid:public_id>/discard/", checkin_views.note_discard, name="note_discard"),
    path("notes/<uuid:public_id>/addenda/", checkin_views.note_addendum_add, name="note_addendum_add"),
    path("notes/<uuid:public_id>/assessments/new/", checkin_views.note_assessment_new, name="note_assessment_new"),
    path("assessments/<uuid:public_id>/", checkin_views.assessment_detail, name="assessment_detail"),
    path("settings/check-ins/", checkin_views.policy_settings, name="policy_settings"),
    # --- measurements, time tracking, billing readiness, therapy plans
    path("patients/<uuid:public_id>/progress/", measurement_views.patient_progress, name="patient_progress"),
    path(
        "patients/<uuid:public_id>/measurements/",
        measurement_views.patient_measurement_add,
        name="patient_measurement_add",
    ),
    path(
        "measurements/<uuid:public_id>/error/",
        measurement_views.measurement_enter_in_error,
        name="measurement_enter_in_error",
    ),
    path("patients/<uuid:public_id>/time/start/", time_views.patient_time_start, name="patient_time_start"),
    path("patients/<uuid:public_id>/time/", time_views.patient_time_add, name="patient_time_add"),
    path("time/<uuid:public_id>/stop/", time_views.time_stop, name="time_stop"),
    path("time/<uuid:public_id>/error/", time_views.time_enter_in_error, name="time_enter_in_error"),
    path("patients/<uuid:public_id>/enrollment/", time_views.patient_enrollment_set, name="patient_enrollment_set"),
    path("enrollments/<uuid:public_id>/end/", time_views.enrollment_end, name="enrollment_end"),
    path("therapy/", therapy_views.therapy_list, name="therapy_list"),
    path("patients/<uuid:public_id>/therapy/new/", therapy_views.patient_therapy_create, name="patient_therapy_create"),
    path("therapy/<uuid:public_id>/edit/", therapy_views.therapy_edit, name="therapy_edit"),
    path("therapy/<uuid:public_id>/recount/", therapy_views.therapy_recount, name="therapy_recount"),
    path(
        "therapy/<uuid:public_id>/progress-report.pdf",
        therapy_views.therapy_progress_report,
        name="therapy_progress_report",
    ),
    path("reports/care-management/", billing_views.billing_report, name="billing_report"),
    path("reports/care-management.csv", billing_views.billing_report_csv, name="billing_report_csv"),
]
