"""
Template tags of check-ins for the task page: a "Log call" action that opens the patient's Check-ins tab
with the outreach form focused on the task (careplans/task_detail.html adds `{% log_call_action task %}`).
"""

from django import template
from django.urls import reverse

from carecoord.careplans.choices import OPEN_TASK_STATUSES

register = template.Library()


@register.inclusion_tag("checkins/partials/log_call_action.html", takes_context=True)
def log_call_action(context, task) -> dict:
    """The "Log call" link of an open task, for people who may record outreach; nothing otherwise."""
    actor = context.get("actor")
    if actor is None or not actor.can_edit_patients or task.status not in OPEN_TASK_STATUSES:
        return {"url": None}
    url = reverse("checkins:patient_checkins", args=[task.patient.public_id])
    return {"url": f"{url}?task={task.public_id}#log-outreach"}
