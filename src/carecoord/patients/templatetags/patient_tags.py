from django import template

from carecoord.patients.domain import format_phone
from carecoord.patients.selectors import banner_for

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """Shows an E.164 phone number the way people read it."""
    return format_phone(value)


@register.inclusion_tag("patients/_patient_banner.html", takes_context=True)
def patient_banner(context, patient) -> dict:
    """
    The chart's patient banner on a page about one patient outside the chart's tabs (a plan, a note, a referral):
    the page has its own heading, so the name is not one, and the record actions stay on the chart.
    """
    actor = context["actor"]
    return {"actor": actor, "request": context.get("request"), **banner_for(actor, patient)}
