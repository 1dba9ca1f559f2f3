"""Template tags of care plans that other apps' pages show (the chart banner's task badge)."""

from django import template

from carecoord.careplans.pdf import target_text
from carecoord.careplans.selectors import patient_task_counts

register = template.Library()


@register.inclusion_tag("careplans/partials/task_badge.html", takes_context=True)
def patient_task_badge(context, patient) -> dict:
    """The banner badge "N open tasks · M overdue", linking to the patient's care-plan tab."""
    actor = context.get("actor")
    if actor is None or not actor.can_see_patients:
        return {"counts": None}
    return {"patient": patient, "counts": patient_task_counts(actor, patient)}


@register.filter
def goal_target(goal) -> str:
    """A goal's target for staff: 'Hemoglobin A1c below 7 %' (Goal.target_text shows stored decimals as 7.00)."""
    return target_text(goal, goal.measure_display or "Value")
