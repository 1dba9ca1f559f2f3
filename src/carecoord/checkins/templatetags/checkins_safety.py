"""Template tags of check-ins that the chart header shows on every tab (the PHQ-9 item 9 safety banner)."""

from django import template

from carecoord.checkins.selectors import safety_alert_for

register = template.Library()


@register.simple_tag(takes_context=True)
def safety_alert(context, patient):
    """The open safety alert of `patient` for the page's actor, or None (one query)."""
    actor = context.get("actor")
    if actor is None or patient is None:
        return None
    return safety_alert_for(actor, patient)
