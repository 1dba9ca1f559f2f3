"""
Scheduling pages. URL names start with the kind of record their `public_id` names (appointment_,
patient_, practitioner_, location_, type_, hours_, away_, closed_, series_, plan_, waitlist_, feed_),
which is how the tenant-isolation matrix finds the record to try.
"""

from django.urls import path  # noqa: F401 -- sections fill in as features land

from . import availability_views, calendar_views, feed_views, outside_views, plan_views, views, waitlist_views  # noqa: F401

app_name = "scheduling"

urlpatterns = [
    # --- booking: find a slot, book, the appointment page and its actions, the chart's schedule tab
    # --- calendars: day and week views
    # --- availability: appointment types, weekly hours, time away, closed dates, reminder policy
    # --- visit plans and recurring series
    # --- outside appointments
    # --- waitlist
    # --- calendar feeds (iCalendar)
]
