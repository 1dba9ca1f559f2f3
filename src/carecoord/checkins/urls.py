"""
Check-in pages. URL names start with the kind of record their `public_id` names (patient_, cadence_,
outreach_, note_, assessment_, measurement_, time_, enrollment_, therapy_, goal_), which is how the
tenant-isolation matrix finds the record to try.
"""

from django.urls import path  # noqa: F401 -- sections fill in as features land

app_name = "checkins"

urlpatterns = [
    # --- outreach, cadence, progress notes, assessments, the chart's check-ins tab, timeline
    # --- measurements, time tracking, billing readiness, therapy plans
]
