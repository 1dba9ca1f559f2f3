"""
What to do after a discharge, by where the patient went (the discharge disposition, NUBC patient status
codes). Each checklist is data: a key, a title for the worklist task and its steps. The episode keeps its
own copy of the steps ({key, label, done_at}), so changing a checklist here never rewrites past episodes.
"""

from dataclasses import dataclass

from .choices import DischargeDisposition as D


@dataclass(frozen=True)
class Checklist:
    key: str
    title: str
    steps: tuple[tuple[str, str], ...]  # (key, label)


HOME = Checklist("home", "Discharge home: follow-up checklist", (
    ("discharge_summary", "Get the discharge summary and the discharge medication list"),
    ("contact", "Reach the patient or caregiver: how they are, symptoms to watch, questions"),
    ("med_rec", "Reconcile medications against the discharge list"),
    ("follow_up_visit", "Book the follow-up visit with the primary care provider"),
    ("services", "Confirm equipment, prescriptions filled and transport to the visit"),
))  # fmt: skip

HOME_HEALTH = Checklist("home_health", "Discharge with home health: follow-up checklist", (
    ("discharge_summary", "Get the discharge summary and the discharge medication list"),
    ("agency", "Confirm the home health agency, the start-of-care date and the orders it received"),
    ("contact", "Reach the patient or caregiver: first home visit done, questions"),
    ("med_rec", "Reconcile medications with the agency nurse's list"),
    ("follow_up_visit", "Book the follow-up visit; the provider signs the home health plan of care"),
))  # fmt: skip

NURSING_FACILITY = Checklist("nursing_facility", "Nursing-home handoff checklist", (
    ("facility_contact", "Reach the nursing facility's admissions nurse or social worker"),
    ("send_records", "Send the care plan, problem list, advance directives and medication list"),
    ("care_team", "Name the facility's attending clinician on the care team"),
    ("family", "Tell the family or proxy who to call at the facility"),
    ("goals", "Agree on the goals of the stay and the expected discharge home"),
    ("notify_back", "Ask the facility to notify us before it discharges the patient"),
))  # fmt: skip

HOSPICE = Checklist("hospice", "Hospice handoff checklist", (
    ("hospice_contact", "Reach the hospice team and confirm who leads care now"),
    ("send_records", "Send the care plan, advance directives and medication list"),
    ("family", "Reach the family or proxy: support, questions, who to call"),
    ("stop_outreach", "Stop routine outreach and reminders that no longer fit"),
))  # fmt: skip

REHAB = Checklist("rehab", "Rehabilitation or long-term hospital handoff checklist", (
    ("facility_contact", "Reach the facility's case manager"),
    ("send_records", "Send the care plan, problem list and medication list"),
    ("therapy_goals", "Record the therapy goals and the expected length of stay"),
    ("notify_back", "Ask the facility to notify us before it discharges the patient"),
))  # fmt: skip

AMA = Checklist("ama", "Left against medical advice: outreach checklist", (
    ("contact", "Reach the patient today: safety, symptoms, why they left"),
    ("provider", "Tell the primary care provider"),
    ("med_rec", "Reconcile medications: what they left with, what they still need"),
    ("follow_up_visit", "Offer the earliest follow-up visit"),
    ("caregiver", "Involve a caregiver or proxy if the patient allows"),
))  # fmt: skip

OTHER_HOSPITAL = Checklist("other_hospital", "Transfer to another hospital: handoff checklist", (
    ("facility_contact", "Find out where the patient went and reach that hospital's case manager"),
    ("send_records", "Send the care plan and medication list"),
    ("notify_back", "Ask the hospital to notify us at discharge"),
))  # fmt: skip

UNKNOWN = Checklist("unknown", "Discharge: find out where the patient went", (
    ("where", "Find out where the patient went after discharge"),
    ("discharge_summary", "Get the discharge summary and the discharge medication list"),
    ("contact", "Reach the patient or caregiver"),
))  # fmt: skip

BY_DISPOSITION: dict[str, Checklist] = {
    D.HOME: HOME,
    D.HOME_HEALTH: HOME_HEALTH,
    D.SNF: NURSING_FACILITY,
    D.ICF: NURSING_FACILITY,
    D.SWING_BED: NURSING_FACILITY,
    D.MEDICAID_NF: NURSING_FACILITY,
    D.HOSPICE_HOME: HOSPICE,
    D.HOSPICE_FACILITY: HOSPICE,
    D.IRF: REHAB,
    D.LTCH: REHAB,
    D.LEFT_AMA: AMA,
    D.SHORT_TERM_HOSPITAL: OTHER_HOSPITAL,
    D.OTHER_INSTITUTION: OTHER_HOSPITAL,
    D.FEDERAL_HOSPITAL: OTHER_HOSPITAL,
    D.PSYCHIATRIC: OTHER_HOSPITAL,
    D.CRITICAL_ACCESS: OTHER_HOSPITAL,
}


def checklist_for(disposition: str) -> Checklist:
    """The checklist a discharge disposition picks; an unknown or missing disposition asks where they went."""
    return BY_DISPOSITION.get(disposition, UNKNOWN)


def episode_checklist(disposition: str) -> list[dict]:
    """The steps as an episode stores them."""
    return [{"key": key, "label": label, "done_at": None} for key, label in checklist_for(disposition).steps]
