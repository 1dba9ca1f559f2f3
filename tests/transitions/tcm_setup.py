"""Set-up shared by the tests of a transition episode beside the patient's TCM care plan."""

import datetime as dt
from zoneinfo import ZoneInfo

from carecoord.careplans.builtin import sync_builtin_templates
from carecoord.careplans.models import CarePlanTemplate
from carecoord.careplans.services import careplan_template_apply
from carecoord.core.choices import Role
from carecoord.transitions import services
from carecoord.transitions.models import TransitionEpisode

from ..factories import make_actor

CHICAGO = ZoneInfo("America/Chicago")
EPISODE_FOCUS = "transitions.TransitionEpisode"
OPEN = ("requested", "accepted", "ready", "in-progress", "on-hold", "received")
# The TCM template's task titles, written out here so the tests do not take them from the code they test.
PLAN_TITLES = {
    "contact": "Interactive contact within 2 business days",
    "med_rec": "Medication reconciliation",
    "visit": "Schedule face-to-face visit",
}


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHICAGO)


def tcm_template() -> CarePlanTemplate:
    sync_builtin_templates()
    return CarePlanTemplate.objects.get(organization=None, key="post-discharge-tcm")


def apply_tcm(org, patient, start: dt.date):
    """A provider applies the TCM template, so the plan is active at once."""
    provider = make_actor(org, Role.PROVIDER)
    return careplan_template_apply(actor=provider, patient=patient, template=tcm_template(), start_date=start)


def discharge(org, patient, hospital, when=None, **extra) -> TransitionEpisode:
    data = {
        "visit_number": "V1", "encounter_class": "IMP", "admission_type": "R", "admitted_at": at(2026, 2, 27, 9),
        "discharged_at": when or at(2026, 3, 2, 11), "discharge_disposition": "01", "diagnoses": [], **extra,
    }  # fmt: skip
    _, episode = services.encounter_discharge(organization=org, patient=patient, facility=hospital, data=data,
                                              source={"event": "A03"})  # fmt: skip
    return episode
