"""
Template tags of check-ins for tasks: a "Log call" action that opens the patient's Check-ins tab with the
outreach form focused on the task (careplans/task_detail.html adds `{% log_call_action task %}`, a worklist row
of a call or check-in `{% worklist_log_call row %}`). The link carries `next`, the page it was on, where the
form returns once the call is saved.
"""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from carecoord.careplans.choices import OPEN_TASK_STATUSES

register = template.Library()


def _next_query(context) -> str:
    """`&next=<this page>` for a page shown by a GET; a row redrawn after a POST goes back to the worklist."""
    request = context.get("request")
    if request is None:
        return ""
    here = request.get_full_path() if request.method == "GET" else reverse("careplans:worklist")
    return "&" + urlencode({"next": here})


@register.inclusion_tag("checkins/partials/log_call_action.html", takes_context=True)
def log_call_action(context, task) -> dict:
    """The "Log call" link of an open task, for people who may record outreach; nothing otherwise."""
    actor = context.get("actor")
    if actor is None or not actor.can_edit_patients or task.status not in OPEN_TASK_STATUSES:
        return {"url": None}
    url = reverse("checkins:patient_checkins", args=[task.patient.public_id])
    return {"url": f"{url}?task={task.public_id}{_next_query(context)}#log-outreach"}


@register.inclusion_tag("checkins/partials/log_call_action.html", takes_context=True)
def worklist_log_call(context, row: dict) -> dict:
    """The "Log call" link of a worklist row (careplans.worklist_rows: `log_call_url`), back to the worklist."""
    actor = context.get("actor")
    if actor is None or not actor.can_edit_patients or not row.get("log_call_url"):
        return {"url": None}
    return {"url": f"{row['log_call_url']}{_next_query(context)}#log-outreach", "small": True}
