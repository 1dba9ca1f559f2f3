"""
The chart's Therapy panel (patients/patient_chart.html adds `{% therapy_chart_panel patient %}`): the patient's
therapy plans of care, "New therapy plan", and the way to the details (Progress tab) and the therapy calendars.
Shown to the roles that see the Progress tab (those who edit patient records, as patients/_chart_header.html).
"""

from django import template

from carecoord.checkins.progress_selectors import therapy_plans_for_patient

register = template.Library()


@register.inclusion_tag("checkins/partials/chart_therapy.html", takes_context=True)
def therapy_chart_panel(context, patient) -> dict:
    actor = context.get("actor")
    if actor is None or not actor.can_edit_patients:
        return {"shown": False}
    return {
        "shown": True,
        "actor": actor,
        "patient": patient,
        "plans": list(therapy_plans_for_patient(actor, patient)),
    }
