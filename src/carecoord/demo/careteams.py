"""
Care teams, problem-list rows and consented shares for the demo patients (unsaved rows for bulk insertion).
Every patient gets a coordinator of their organization, a primary care clinician from its directory, often a
specialist the problem list calls for (sometimes at an outside organization), and a family caregiver.
"""

import datetime as dt
import random
from dataclasses import dataclass

from carecoord.core.models import Organization, User
from carecoord.patients.choices import CareTeamRole, CodeSystem, ConsentScope, ConsentStatus
from carecoord.patients.models import CareTeamMember, Condition, Consent, PatientShare

from . import clinical
from .directory import ADULT_PCP, CHILD_PCP, SPECIALTY_FOR_TAG, DirectoryIndex
from .population import PatientDraft

GERIATRIC_PCP = frozenset({"207RG0300X", "363LG0600X"})
ROLE_FOR_TAG = {"psych": CareTeamRole.BEHAVIORAL_HEALTH, "rehab": CareTeamRole.THERAPIST}
CONSENT_METHOD = "Signed release form"


@dataclass
class Tenant:
    """A demo organization with what its patients' care teams draw on."""

    org: Organization
    setting: str
    coordinators: list[User]
    provider: User
    directory: DirectoryIndex
    guest_coordinators: tuple[User, ...] = ()  # members from another organization, e.g. an embedded coordinator


def _since(rng: random.Random, today: dt.date, birth_date: dt.date, low: int, high: int) -> dt.date:
    return max(today - dt.timedelta(days=rng.randint(low, high)), birth_date)


def condition_rows(draft: PatientDraft, tenant: Tenant) -> list[Condition]:
    return [
        Condition(
            organization=tenant.org,
            patient=draft.patient,
            code_system=CodeSystem.ICD10CM,
            code=c.code,
            display=c.display,
            category=c.category,
            clinical_status=c.clinical_status,
            verification_status=c.verification_status,
            onset_date=c.onset,
            abatement_date=c.abatement,
            recorded_by=tenant.provider,
        )
        for c in draft.profile.conditions
    ]


def care_team_rows(rng: random.Random, draft: PatientDraft, tenant: Tenant, today: dt.date) -> list[CareTeamMember]:
    patient, birth = draft.patient, draft.patient.birth_date

    def member(role: str, start: dt.date, **who) -> CareTeamMember:
        return CareTeamMember(organization=tenant.org, patient=patient, role=role, start_date=start, **who)

    coordinators = tenant.coordinators + [u for u in tenant.guest_coordinators if rng.random() < 0.3]
    rows = [member(CareTeamRole.COORDINATOR, _since(rng, today, birth, 14, 900), user=rng.choice(coordinators))]
    pcp = _pcp(rng, draft, tenant)
    if pcp is not None:
        rows.append(member(CareTeamRole.PRIMARY_CARE, _since(rng, today, birth, 200, 3000), practitioner=pcp))
    for tag in sorted(draft.profile.tags - {"peds"})[:3]:
        options = tenant.directory.with_taxonomy(SPECIALTY_FOR_TAG.get(tag, ()))
        if options and rng.random() < 0.7:
            role = ROLE_FOR_TAG.get(tag, CareTeamRole.SPECIALIST)
            rows.append(member(role, _since(rng, today, birth, 30, 1500), practitioner=rng.choice(options)))
    if draft.caregiver is not None:
        note = "Also the health care proxy" if draft.caregiver is draft.proxy else ""
        rows.append(member(CareTeamRole.CAREGIVER, _since(rng, today, birth, 30, 1500),
                           related_person=draft.caregiver, note=note))  # fmt: skip
    if draft.proxy is not None and draft.proxy is not draft.caregiver:
        rows.append(member(CareTeamRole.PROXY, _since(rng, today, birth, 30, 2000), related_person=draft.proxy))
    return rows


def _pcp(rng: random.Random, draft: PatientDraft, tenant: Tenant):
    if draft.age < 18:
        wanted = CHILD_PCP
    elif tenant.setting == clinical.NURSING_HOME:
        wanted = GERIATRIC_PCP
    else:
        wanted = ADULT_PCP - {"207RG0300X"} if draft.age < 65 else ADULT_PCP
    options = tenant.directory.with_taxonomy(wanted)
    if draft.age < 18:
        options = [p for p in options if p.specialty_code == "208000000X"] or options
    speakers = [p for p in options if draft.patient.preferred_language in p.languages]
    if speakers and draft.patient.preferred_language != "en" and rng.random() < 0.7:
        options = speakers
    return rng.choice(options) if options else None


def share_rows(
    rng: random.Random, drafts: list[tuple[PatientDraft, Tenant]], *, grantee: Tenant, today: dt.date, count: int
) -> tuple[list[Consent], list[PatientShare], list[CareTeamMember]]:
    """Consents and shares for the `count` most complex adults, with a grantee coordinator on each care team."""
    adults = [(d, t) for d, t in drafts if d.age >= 18]
    ranked = sorted(adults, key=lambda item: item[0].profile.chronic_count + rng.random() * 3, reverse=True)
    consents, shares, members = [], [], []
    for draft, tenant in sorted(ranked[:count], key=lambda item: item[0].patient.mrn):
        patient = draft.patient
        signed_on = max(today - dt.timedelta(days=rng.randint(10, 330)), patient.birth_date)
        signer = patient.full_legal_name
        if draft.has_dementia and draft.proxy is not None:
            signer = f"{draft.proxy.display_name} (health care proxy)"
        recorder = rng.choice(tenant.coordinators)
        consent = Consent(
            organization=tenant.org, patient=patient, scope=ConsentScope.PATIENT_PRIVACY, status=ConsentStatus.ACTIVE,
            grantee=grantee.org, signed_on=signed_on, signed_by=signer, method=CONSENT_METHOD, recorded_by=recorder,
            expires_on=signed_on + dt.timedelta(days=365) if rng.random() < 0.5 else None,
        )  # fmt: skip
        consents.append(consent)
        shares.append(PatientShare(patient=patient, organization=grantee.org, consent=consent, granted_by=recorder))
        members.append(CareTeamMember(
            organization=tenant.org, patient=patient, role=CareTeamRole.COORDINATOR, start_date=signed_on,
            user=rng.choice(grantee.coordinators), note=f"{grantee.org.name} care coordinator",
        ))  # fmt: skip
    return consents, shares, members
