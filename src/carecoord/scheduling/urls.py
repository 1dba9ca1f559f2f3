"""
Scheduling pages. URL names start with the kind of record their `public_id` names (appointment_,
patient_, practitioner_, location_, type_, hours_, away_, closed_, series_, plan_, waitlist_, feed_),
which is how the tenant-isolation matrix finds the record to try.
"""

from django.urls import path

from . import (
    availability_views,
    calendar_views,
    feed_views,
    outside_views,
    plan_views,
    views,
    waitlist_views,
    worklist_views,
)

app_name = "scheduling"

urlpatterns = [
    # --- booking: find a slot, book, the appointment page and its actions, the chart's schedule tab
    path("schedule/find/", views.find, name="find"),
    path("worklist/appointments/", worklist_views.worklist_appointments, name="worklist_appointments"),
    path("patients/<uuid:public_id>/schedule/", views.patient_schedule_tab, name="patient_schedule"),
    path("patients/<uuid:public_id>/schedule/book/", views.patient_book, name="patient_book"),
    path("patients/<uuid:public_id>/schedule/book/confirm/", views.patient_book_confirm, name="patient_book_confirm"),
    path("patients/<uuid:public_id>/schedule/preferences/", views.patient_preferences, name="patient_preferences"),
    path("appointments/<uuid:public_id>/", views.appointment_detail, name="appointment_detail"),
    path("appointments/<uuid:public_id>/reschedule/", views.appointment_reschedule, name="appointment_reschedule"),
    path("appointments/<uuid:public_id>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path("appointments/<uuid:public_id>/status/", views.appointment_status, name="appointment_status"),
    # --- calendars: day and week views
    path(
        "practitioners/<uuid:public_id>/calendar/", calendar_views.practitioner_calendar, name="practitioner_calendar"
    ),
    path("locations/<uuid:public_id>/calendar/", calendar_views.location_calendar, name="location_calendar"),
    path("patients/<uuid:public_id>/calendar/", calendar_views.patient_calendar, name="patient_calendar"),
    # --- availability: appointment types, weekly hours, time away, closed dates, reminder policy
    path("schedule/setup/", availability_views.setup, name="setup"),
    path("schedule/types/", availability_views.type_list, name="type_list"),
    path("schedule/types/new/", availability_views.type_new, name="type_new"),
    path("schedule/types/<uuid:public_id>/edit/", availability_views.type_edit, name="type_edit"),
    path("schedule/types/<uuid:public_id>/deactivate/", availability_views.type_deactivate, name="type_deactivate"),
    path("schedule/types/<uuid:public_id>/reactivate/", availability_views.type_reactivate, name="type_reactivate"),
    path("practitioners/<uuid:public_id>/hours/", availability_views.practitioner_hours, name="practitioner_hours"),
    path(
        "practitioners/<uuid:public_id>/hours/add/",
        availability_views.practitioner_hours_add,
        name="practitioner_hours_add",
    ),
    path(
        "practitioners/<uuid:public_id>/away/", availability_views.practitioner_away_add, name="practitioner_away_add"
    ),
    path("schedule/hours/<uuid:public_id>/edit/", availability_views.hours_edit, name="hours_edit"),
    path("schedule/hours/<uuid:public_id>/delete/", availability_views.hours_delete, name="hours_delete"),
    path("schedule/hours/import/", availability_views.hours_import, name="hours_import"),
    path("schedule/away/<uuid:public_id>/delete/", availability_views.away_delete, name="away_delete"),
    path("schedule/closed/", availability_views.closed_list, name="closed_list"),
    path("schedule/closed/new/", availability_views.closed_new, name="closed_new"),
    path("schedule/closed/<uuid:public_id>/delete/", availability_views.closed_delete, name="closed_delete"),
    path("schedule/closed/holidays/open/", availability_views.holiday_open, name="holiday_open"),
    path("schedule/closed/holidays/close/", availability_views.holiday_close, name="holiday_close"),
    path("schedule/reminders/", availability_views.reminder_policy, name="reminder_policy"),
    # --- visit plans and recurring series
    path("patients/<uuid:public_id>/visit-plans/new/", plan_views.patient_plan_new, name="patient_plan_new"),
    path("visit-plans/<uuid:public_id>/", plan_views.plan_detail, name="plan_detail"),
    path("visit-plans/<uuid:public_id>/propose/", plan_views.plan_propose, name="plan_propose"),
    path("visit-plans/<uuid:public_id>/book/", plan_views.plan_book, name="plan_book"),
    path("patients/<uuid:public_id>/series/new/", plan_views.patient_series_new, name="patient_series_new"),
    path("series/<uuid:public_id>/", plan_views.series_detail, name="series_detail"),
    path("series/<uuid:public_id>/cancel-rest/", plan_views.series_cancel_rest, name="series_cancel_rest"),
    path("series/<uuid:public_id>/change-rest/", plan_views.series_change_rest, name="series_change_rest"),
    # --- outside appointments
    path("patients/<uuid:public_id>/outside/new/", outside_views.patient_outside_new, name="patient_outside_new"),
    path("appointments/<uuid:public_id>/outside/", outside_views.appointment_outside, name="appointment_outside"),
    path("appointments/<uuid:public_id>/confirm/", outside_views.appointment_confirm, name="appointment_confirm"),
    path("appointments/<uuid:public_id>/outcome/", outside_views.appointment_outcome, name="appointment_outcome"),
    path("appointments/<uuid:public_id>/summary/", outside_views.appointment_summary, name="appointment_summary"),
    # --- waitlist
    path("schedule/waitlist/", waitlist_views.waitlist, name="waitlist"),
    path("patients/<uuid:public_id>/waitlist/add/", waitlist_views.patient_waitlist_add, name="patient_waitlist_add"),
    path("schedule/waitlist/<uuid:public_id>/accept/", waitlist_views.waitlist_accept, name="waitlist_accept"),
    path("schedule/waitlist/<uuid:public_id>/decline/", waitlist_views.waitlist_decline, name="waitlist_decline"),
    path("schedule/waitlist/<uuid:public_id>/remove/", waitlist_views.waitlist_remove, name="waitlist_remove"),
    # --- calendar feeds (iCalendar)
    path("patients/<uuid:public_id>/feeds/", feed_views.patient_feeds, name="patient_feeds"),
    path("practitioners/<uuid:public_id>/feeds/", feed_views.practitioner_feeds, name="practitioner_feeds"),
    path("feeds/<uuid:public_id>/revoke/", feed_views.feed_revoke_view, name="feed_revoke"),
    path("calendar/<str:token>.ics", feed_views.ics, name="ics"),
]
