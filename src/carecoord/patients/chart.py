"""
The patient chart's shape: its tabs and the context its panels render from. Later capabilities add a tab
to CHART_TABS (care plan, schedule, check-ins...) and a view that renders with `chart_context`.
"""

from dataclasses import dataclass

from carecoord.core import clock
from carecoord.core.access import Actor

from .choices import ConditionClinicalStatus
from .codes import COMMON_ICD10CM
from .forms import CareTeamMemberForm, ConditionForm, IdentifierForm, RelatedPersonForm, ShareForm
from .models import Patient
from .selectors import care_team_choices, chart_for, share_target_organizations
from .services import care_team_end_refusals, condition_change_refusals, related_person_removal_refusal


@dataclass(frozen=True)
class ChartTab:
    key: str
    label: str
    url_name: str


CHART_TABS: list[ChartTab] = [
    ChartTab("summary", "Summary", "patients:chart"),
    ChartTab("careplans", "Care plan", "careplans:patient_careplans"),
    ChartTab("schedule", "Schedule", "scheduling:patient_schedule"),
    ChartTab("checkins", "Check-ins", "checkins:patient_checkins"),
    ChartTab("medications", "Medications", "medications:patient_medications"),
    ChartTab("progress", "Progress", "checkins:patient_progress"),
    ChartTab("timeline", "Timeline", "checkins:patient_timeline"),
    ChartTab("stays", "Hospital stays", "transitions:patient_stays"),
    ChartTab("insurance", "Insurance", "coverage:patient_insurance"),
    ChartTab("social", "Social needs", "community:patient_social_needs"),
    ChartTab("education", "Education", "education:patient_education"),
]


def empty_forms(actor: Actor, patient: Patient) -> dict:
    today = clock.today_in(actor.organization.tz)
    choices = care_team_choices(actor, patient)
    return {
        "family_form": RelatedPersonForm(prefix="family", may_grant_permissions=actor.can_edit_patients),
        "care_team_form": CareTeamMemberForm(prefix="careteam", initial={"start_date": today}, **choices),
        "condition_form": ConditionForm(prefix="condition"),
        "identifier_form": IdentifierForm(prefix="identifier"),
        "share_form": ShareForm(
            prefix="share", initial={"signed_on": today}, organizations=share_target_organizations(actor)
        ),
    }


def family_removable(actor: Actor, related_persons, care_team) -> set[int]:
    """The related persons this actor may remove (services.related_person_removal_refusal), without a query."""
    if not actor.can_register_patients:
        return set()
    on_care_team = {m.related_person_id for m in care_team if m.related_person_id and m.end_date is None}
    return {
        p.pk
        for p in related_persons
        if related_person_removal_refusal(actor, p, on_care_team=p.pk in on_care_team) is None
    }


def chart_context(actor: Actor, patient: Patient, *, tab: str = "summary", **bound_forms) -> dict:
    """The context of the chart page (or one of its panels), with any bound forms that failed."""
    today = clock.today_in(actor.organization.tz)
    context = {
        "nav": "patients",
        "patient": patient,
        "age": patient.age_on(today),
        "today": today,
        "tabs": CHART_TABS,
        "active_tab": tab,
        "is_home_org": patient.organization_id == actor.organization.pk,
        "can_edit": actor.can_edit_patients,
        "can_register": actor.can_register_patients,  # demographics and insurance (the front desk too)
        "common_codes": COMMON_ICD10CM,
        "condition_statuses": ConditionClinicalStatus.choices,
        **chart_for(actor, patient),
        **empty_forms(actor, patient),
    }
    context.update(bound_forms)
    # A membership ended today is shown as ended: "End membership" means the person has left.
    current = [m for m in context["care_team"] if m.is_current(today) and m.end_date != today]
    context["current_care_team"] = current
    context["care_team_endable"] = _allowed(current, care_team_end_refusals(actor, patient, current))
    context["past_care_team"] = [m for m in context["care_team"] if m not in current]
    context["family_removable"] = family_removable(actor, context["related_persons"], context["care_team"])
    conditions = context["conditions"]
    context["conditions_changeable"] = _allowed(conditions, condition_change_refusals(actor, patient, conditions))
    # Registration data (demographics, identifiers, family) stays with the home organization (services).
    context["holds_registration"] = context["is_home_org"]
    return context


def _allowed(records, refusals: dict[int, str]) -> set[int]:
    return {record.pk for record in records if record.pk not in refusals}
