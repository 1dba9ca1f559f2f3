"""
The demo's insurance: each organization's payer directory (three invented payers: a Medicare Advantage plan,
a state Medicaid managed care plan and a commercial insurer that also sells Marketplace plans), coverage for
most of its own patients (the plan fitting the patient's age: Medicare Advantage from 65, Medicaid or a
parent's employer plan for children, an employer, Marketplace or Medicaid plan in between; some people on
both Medicare and Medicaid, some with the employer plan they had before Medicare), a few eligibility checks
and a few prior authorizations in every status, one of them denied with its appeal filed. At the community
health center more people are on Medicaid or have no insurance yet, and its coordinators work on state
benefits: Medicaid, All Kids, SNAP, LIHEAP and Medicare Savings Program applications in every status
(`_benefits`), with the missing-document and renewal tasks the funding services put on the worklist.

Payers are each organization's own directory (coverage.models.Payer), so every organization gets its own
rows; a patient shared with the coordination organization shows the home organization's coverage there.

Map: `coverage_create` (called by world.py after the hospital discharges), per organization and acting as
one of its coordinators: the payers through `payer_create`; the population's coverages (`_insure`, drawn for
the patients the coordinator sees) with one bulk_create, as world.py inserts the patients under its one
`demo.load` audit entry per organization (through `coverage_add` each row costs about 15 queries, and the
demo's whole load has a budget of a few seconds); then the stories through the services, with their access
checks, rules and audit: eligibility checks (`_eligibility`) and prior authorizations (`_authorizations`:
each moved along the app's own status transitions, on past days the services accept, a denial appealed).
The services stamp the present; what they wrote is then dated when it happened in the demo's story
(`_dated`), as transitions.py does.
"""

import datetime as dt
import random
from dataclasses import dataclass

from django.db.models import Case, F, Value, When

from carecoord.careplans.models import Task, TaskEvent
from carecoord.checkins.selectors import coordinator_of
from carecoord.core import clock
from carecoord.core.access import Actor, actor_for
from carecoord.core.choices import OrganizationKind, Role
from carecoord.core.models import Membership, Organization
from carecoord.coverage import funding_services, services
from carecoord.coverage import priorauth_services as auths
from carecoord.coverage.choices import (
    AppealStatus,
    ApplicationStatus,
    CoverageStatus,
    EligibilityMethod,
    EligibilityStatus,
    FundingProgram,
    PriorAuthStatus,
    ProductType,
    SubscriberRelationship,
)
from carecoord.coverage.models import Coverage, EligibilityCheck, FundingApplication, Payer, PriorAuthorization
from carecoord.coverage.priorauth_services import FOCUS as AUTH_FOCUS
from carecoord.directory.models import ExternalOrganization, ExternalOrganizationKind, Practitioner
from carecoord.patients.choices import CodeSystem, Relationship
from carecoord.patients.models import Condition, Patient
from carecoord.patients.selectors import patients_visible_to, visibility_memo

from .directory import ADULT_PCP

COVERED_SHARE = 0.85  # patients with insurance on file; the others have none recorded yet
SELF_PAY_SHARE = 0.03
DUAL_SHARE = {"maple-grove": 0.5}  # Medicare and Medicaid (long-term care residents often are both)
DUAL_DEFAULT = 0.2
HEALTH_CENTER = OrganizationKind.COMMUNITY_HEALTH_CENTER
# By the organization's kind: patients with insurance on file, children on Medicaid rather than a parent's
# plan (when they have a parent on file), adults under 65 on Medicaid. A health center serves more of both.
COVERED_BY_KIND = {HEALTH_CENTER: 0.78}
CHILD_MEDICAID_BY_KIND = {HEALTH_CENTER: 0.8}
ADULT_MEDICAID_BY_KIND = {HEALTH_CENTER: 0.6}


@dataclass(frozen=True)
class PayerSpec:
    key: str
    name: str
    payer_id: str
    phone: str
    fax: str
    portal_url: str
    appeal_deadline_days: int
    directory_name: str = ""  # the payer's record in the demo directories (directory.py OUTSIDE), if any


# Invented payers; payer IDs in the shape clearinghouses use, phone numbers in the fictional 555-01xx range.
PAYERS = (
    PayerSpec("medicare_advantage", "Great Lakes Health Plan", "GLHP1", "(800) 555-0142", "(312) 555-0171",
              "https://providers.greatlakeshealthplan.example", 65, "Great Lakes Health Plan (Medicare Advantage)"),
    PayerSpec("medicaid", "Prairie State Community Care Plan", "PSCC7", "(800) 555-0157", "(312) 555-0176",
              "https://portal.prairiestatecare.example", 60, "Prairie State Community Care Plan (Medicaid)"),
    PayerSpec("commercial", "Ridgeway Mutual Health", "RMH24", "(800) 555-0163", "(847) 555-0182",
              "https://providers.ridgewaymutual.example", 180),
)  # fmt: skip
MA_PLANS = ("Great Lakes Advantage (HMO)", "Great Lakes Advantage Plus (PPO)", "Great Lakes Dual Complete (HMO D-SNP)")
MEDICAID_PLAN = "Prairie State HealthChoice (Medicaid managed care)"
EMPLOYER_PLANS = ("Ridgeway Choice PPO", "Ridgeway Select HMO", "Ridgeway HSA 3000")
MARKETPLACE_PLANS = ("Ridgeway Silver 70 HMO", "Ridgeway Bronze 60 PPO", "Ridgeway Gold 80 PPO")
EMPLOYERS = (
    "Halsted Street Logistics", "Lakefront Hospitality Group", "Prairie Ridge School District 41",
    "Kedzie Tool & Die", "North Branch Credit Union", "Calumet Metalworks", "Wicker Park Dental Associates",
)  # fmt: skip
PARENTS = (Relationship.MTH, Relationship.FTH)

# Prior authorizations: (ICD-10-CM prefixes the patient's problems should match, service, CPT/HCPCS codes,
# units requested, days authorized, the diagnosis when no problem matches). The first that fits a patient is
# used; the last fits anyone.
SERVICES = (
    (("I50", "I25", "I21"), "Outpatient cardiac rehabilitation", ["93798"], 36, 120, ""),
    (("J44", "J43", "J84"), "Pulmonary rehabilitation", ["94625"], 24, 90, ""),
    (("G47.3",), "Home CPAP device and supplies", ["E0601", "A7030"], 1, 90, ""),
    (("E11", "E10"), "Continuous glucose monitor supplies", ["A4239"], 3, 90, ""),
    (("M17", "M16", "M54", "S72"), "Outpatient physical therapy", ["97110", "97140", "97530"], 12, 60, ""),
    (("F32", "F33", "F41", "F43"), "Outpatient psychotherapy, 53 minutes", ["90837"], 12, 90, ""),
    (("N18", "I12", "L89"), "Home health skilled nursing visits", ["G0299"], 8, 60, ""),
    ((), "Home health physical therapy visits", ["G0151"], 10, 60, "R26.81"),  # unsteadiness on feet
)
# Who may ask for each service (NUCC taxonomy codes): the specialist who orders or gives it, else the patient's
# primary care clinician (ADULT_PCP); never, say, a pharmacist for physical therapy.
SERVICE_PROVIDERS = {
    "Outpatient cardiac rehabilitation": ("207RC0000X",),  # cardiology
    "Pulmonary rehabilitation": ("207RP1001X",),  # pulmonology
    "Home CPAP device and supplies": ("207RP1001X",),
    "Continuous glucose monitor supplies": ("207RE0101X",),  # endocrinology
    "Outpatient physical therapy": ("225100000X", "207X00000X"),  # physical therapist, orthopaedic surgeon
    "Outpatient psychotherapy, 53 minutes": ("103T00000X", "1041C0700X", "2084P0800X"),  # psychologist, LCSW
    "Home health skilled nursing visits": (),
    "Home health physical therapy visits": ("225100000X",),
}
MAX_VISITS = 4
# The story of each demo authorization in every organization: (status it ends in, days ago it was drafted).
STORIES = (
    (PriorAuthStatus.DRAFT, 1),
    (PriorAuthStatus.SUBMITTED, 4),
    (PriorAuthStatus.PENDED, 12),
    (PriorAuthStatus.APPROVED, 35),
    (PriorAuthStatus.PARTIALLY_APPROVED, 28),
    (PriorAuthStatus.DENIED, 30),
)
DENIAL = "Not medically necessary: the records sent do not show that the plan's criteria for this service are met."
APPEAL_NOTE = "Letter of medical necessity from the ordering clinician, with the last three office notes."
PENDED_NOTE = "Payer asked for the last two office notes; faxed."


def coverage_create(rng: random.Random, *, organizations: dict[str, Organization], today: dt.date, counts,
                    benefits_rng: random.Random | None = None) -> None:  # fmt: skip
    """Payers, coverages, eligibility checks and prior authorizations for each demo organization."""
    with visibility_memo():  # the services ask who may see each patient: build that query once per actor
        for org in organizations.values():
            _organization(rng, org, today, counts, benefits_rng or rng)


def _organization(rng: random.Random, org: Organization, today: dt.date, counts, benefits_rng) -> None:
    actor = first_coordinator(org)
    payers = _payers(actor)
    patients = list(
        patients_visible_to(actor)
        .filter(organization=org, active=True, deceased_date__isnull=True)
        .select_related("organization")
        .prefetch_related("related_persons")
        .order_by("mrn")
    )
    rows = []
    for patient in patients:
        if rng.random() < COVERED_BY_KIND.get(org.kind, COVERED_SHARE):
            rows.extend(_insure(rng, patient, payers, today))
    Coverage.objects.bulk_create(rows)  # one insert for the population (see the module's docstring)
    counts["payers"] += len(payers)
    counts["coverages"] += len(rows)
    primaries = [c for c in rows if c.order == 1 and c.payer_id]
    counts["eligibility_checks"] += _eligibility(rng, actor, primaries, today)
    counts["prior_auths"] += _authorizations(rng, actor, primaries, today)
    if org.kind == HEALTH_CENTER:
        counts["funding_applications"] += _benefits(benefits_rng, actor, patients, rows, today)


def first_coordinator(org: Organization) -> Actor:
    """The organization's first coordinator (by membership), who does the demo's work in its name."""
    member = (
        Membership.objects.filter(organization=org, role=Role.COORDINATOR, active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return actor_for(member.user, org)


def _payers(actor: Actor) -> dict[str, Payer]:
    """The organization's payer directory, linked to the payers' records in its directory where it has them."""
    found = {
        ext.name: ext
        for ext in ExternalOrganization.objects.filter(
            organization=actor.organization, kind=ExternalOrganizationKind.PAYER
        )
    }
    payers = {}
    for spec in PAYERS:
        data = {
            "name": spec.name, "payer_id": spec.payer_id, "phone": spec.phone, "fax": spec.fax,
            "portal_url": spec.portal_url, "appeal_deadline_days": spec.appeal_deadline_days,
            "external_organization": found.get(spec.directory_name),
        }  # fmt: skip
        payers[spec.key] = services.payer_create(actor=actor, data=data)
    return payers


def _first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months_back(today: dt.date, months: int) -> dt.date:
    index = today.year * 12 + today.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randint(10 ** (n - 1), 10**n - 1))


def _insure(rng: random.Random, patient: Patient, payers: dict[str, Payer], today: dt.date) -> list[Coverage]:
    """The patient's coverages (unsaved): active ones ordered 1 (primary), 2...; an ended one has no order."""
    age = patient.age_on(today)
    born = _first_of_month(patient.birth_date)
    if 19 <= age < 65 and rng.random() < SELF_PAY_SHARE:
        note = "Uninsured; screened for Medicaid and the hospital's financial assistance."
        return [_row(patient, None, ProductType.SELF_PAY, "", "", _months_back(today, rng.randint(1, 18)), note=note)]
    if age >= 65:
        return _medicare(rng, patient, payers, today)
    kind = patient.organization.kind
    parent = next((p for p in patient.related_persons.all() if p.relationship in PARENTS), None)
    if age < 19 and (parent is None or rng.random() < CHILD_MEDICAID_BY_KIND.get(kind, 0.5)):
        return [_row(patient, payers["medicaid"], ProductType.MEDICAID, MEDICAID_PLAN, _digits(rng, 9),
                     max(born, _months_back(today, rng.randint(3, 60))))]  # fmt: skip
    if age < 19:
        start = max(patient.birth_date, dt.date(today.year - rng.randint(0, 6), 1, 1))
        return [_employer(rng, patient, payers, start, parent=parent)]
    draw, medicaid = rng.random(), ADULT_MEDICAID_BY_KIND.get(kind, 0.3)
    if draw < medicaid:
        return [_row(patient, payers["medicaid"], ProductType.MEDICAID, MEDICAID_PLAN, _digits(rng, 9),
                     _months_back(today, rng.randint(3, 60)))]  # fmt: skip
    if draw < medicaid + 0.15:
        return [_row(patient, payers["commercial"], ProductType.MARKETPLACE, rng.choice(MARKETPLACE_PLANS),
                     f"RMX{_digits(rng, 8)}", dt.date(today.year, 1, 1), end=dt.date(today.year, 12, 31))]  # fmt: skip
    start = min(dt.date(today.year - rng.randint(0, 8), rng.choice((1, 7)), 1), _first_of_month(today))
    return [_employer(rng, patient, payers, start)]


def _row(patient, payer, product_type, plan, member_id, start, *, end=None, order=1, status=CoverageStatus.ACTIVE,
         **extra) -> Coverage:  # fmt: skip
    return Coverage(
        organization_id=patient.organization_id, patient=patient, payer=payer, product_type=product_type,
        plan_name=plan, member_id=member_id, start_date=start, end_date=end, order=order,
        status=status, **extra,
    )  # fmt: skip


def _employer(rng, patient, payers, start: dt.date, *, parent=None, **extra) -> Coverage:
    extra |= {"group_id": _digits(rng, 7), "group_name": rng.choice(EMPLOYERS)}
    member = f"RMH{_digits(rng, 8)}"
    if parent is not None:  # a child on a parent's employer plan
        extra |= {"relationship": SubscriberRelationship.CHILD, "subscriber_given_name": parent.given_name,
                  "subscriber_family_name": parent.family_name}  # fmt: skip
        member = f"{member}-0{rng.randint(2, 4)}"
    return _row(patient, payers["commercial"], ProductType.COMMERCIAL, rng.choice(EMPLOYER_PLANS), member, start,
                **extra)  # fmt: skip


def _medicare(rng, patient, payers, today: dt.date) -> list[Coverage]:
    """Medicare Advantage from the month the patient turned 65 (or a later plan year); maybe Medicaid too."""
    turned_65 = patient.birth_date.replace(year=patient.birth_date.year + 65, day=1)
    start = max(turned_65, dt.date(today.year - rng.randint(0, 6), 1, 1))
    dual = rng.random() < DUAL_SHARE.get(patient.organization.slug, DUAL_DEFAULT)
    plan = MA_PLANS[2] if dual else rng.choice(MA_PLANS[:2])
    rows = [_row(patient, payers["medicare_advantage"], ProductType.MEDICARE_ADVANTAGE, plan, f"GL{_digits(rng, 9)}",
                 start, group_id=f"H5{_digits(rng, 3)}-00{rng.randint(1, 9)}")]  # fmt: skip
    if dual:
        rows.append(_row(patient, payers["medicaid"], ProductType.MEDICAID, MEDICAID_PLAN, _digits(rng, 9),
                         max(start, _months_back(today, rng.randint(3, 48))), order=2))  # fmt: skip
    if patient.age_on(today) < 68 and rng.random() < 0.5:  # the employer plan they had until Medicare
        since = dt.date(start.year - rng.randint(3, 12), 1, 1)
        ended = {"end": start - dt.timedelta(days=1), "order": None, "status": CoverageStatus.CANCELLED}
        rows.append(_employer(rng, patient, payers, since, **ended))
    return rows


# State benefits at the community health center -----------------------------------------------------------

MEDICAID_APP = "Illinois Medicaid (ABE application)"
ALL_KIDS = "All Kids (Illinois CHIP)"
SNAP = "SNAP (Illinois Link card)"
LIHEAP = "LIHEAP energy bill assistance"
MSP = "Medicare Savings Program (QMB)"
PROGRAMS = {
    MEDICAID_APP: FundingProgram.MEDICAID,
    ALL_KIDS: FundingProgram.CHIP,
    SNAP: FundingProgram.SNAP,
    LIHEAP: FundingProgram.LIHEAP,
    MSP: FundingProgram.MSP,
}
# Documents an Illinois caseworker asks for; an open application misses one or two of them.
DOCUMENTS = {
    MEDICAID_APP: ("Proof of income (last 30 days of pay stubs)", "Photo ID", "Proof of Illinois address"),
    ALL_KIDS: ("Child's birth certificate", "Proof of household income"),
    SNAP: ("Proof of income (last 30 days of pay stubs)", "Rent receipt or lease", "Photo ID"),
    LIHEAP: ("Current gas or electric bill", "Proof of household income", "Social Security numbers for household"),
    MSP: ("Medicare card", "Bank statements (last 2 months)"),
}
# (status it is in, share of the applications): most are under way, some decided.
BENEFIT_STATUSES = (
    (ApplicationStatus.PREPARING, 3),
    (ApplicationStatus.SUBMITTED, 3),
    (ApplicationStatus.APPROVED, 4),
    (ApplicationStatus.DENIED, 1),
)
DENIED_NOTES = {
    MEDICAID_APP: "Denied: income over the limit for the household size; helping with a Marketplace plan instead.",
    ALL_KIDS: "Denied: the caseworker says the birth certificate was not received; reapplying with a copy.",
    SNAP: "Denied: missed the phone interview; a new interview is being scheduled.",
    LIHEAP: "Denied: this season's funds ran out at the local agency; on the list for the next round.",
    MSP: "Denied: savings above the asset limit.",
}
APPROVED_NOTES = {
    SNAP: "Approved; Link card arrived. Recertification due before the renewal date.",
    LIHEAP: "Approved; one-time payment sent to the utility.",
}


def _benefits(rng: random.Random, actor: Actor, patients: list[Patient], rows: list[Coverage],
              today: dt.date) -> int:  # fmt: skip
    """The health center's benefit applications, through the funding services (tasks included), as each patient's
    coordinator: Medicaid or All Kids for the uninsured, SNAP and LIHEAP for many adults, the Medicare Savings
    Program for older ones, and Medicaid renewals for some of those on it."""
    insured = {c.patient_id for c in rows if c.order == 1 and c.payer_id}
    on_medicaid = {c.patient_id for c in rows if c.product_type == ProductType.MEDICAID and c.order}
    made = 0
    for patient in patients:
        age = patient.age_on(today)
        wanted = []
        if patient.pk not in insured:
            wanted.append(ALL_KIDS if age < 19 else MSP if age >= 65 else MEDICAID_APP)
        if age >= 18 and rng.random() < 0.45:
            wanted.append(SNAP)
        if age >= 18 and rng.random() < 0.25:
            wanted.append(LIHEAP)
        if age >= 65 and patient.pk in insured and rng.random() < 0.3:
            wanted.append(MSP)
        renewal = patient.pk in on_medicaid and age >= 19 and rng.random() < 0.3
        if not wanted and not renewal:
            continue
        coordinator = coordinator_of(actor.organization, patient)
        who = actor_for(coordinator, actor.organization) if coordinator else actor
        for name in dict.fromkeys(wanted):
            status = rng.choices([s for s, _ in BENEFIT_STATUSES], weights=[w for _, w in BENEFIT_STATUSES])[0]
            _application(rng, who, patient, name, status, today)
            made += 1
        if renewal:  # approved last year: the renewal paperwork is due soon (the services add the task)
            _application(rng, who, patient, MEDICAID_APP, ApplicationStatus.APPROVED, today, renewing=True)
            made += 1
    return made


def _application(rng: random.Random, actor: Actor, patient: Patient, name: str, status: str, today: dt.date, *,
                 renewing: bool = False) -> FundingApplication:  # fmt: skip
    program = PROGRAMS[name]
    data = {"program": program, "program_name": name, "status": status}
    started = today - dt.timedelta(days=rng.randint(1, 12))
    received: list[str] = []
    if status == ApplicationStatus.PREPARING:
        # The program's whole checklist; the ones not drawn as missing have come in already.
        missing = rng.sample(DOCUMENTS[name], rng.randint(1, 2))
        data["documents"] = list(DOCUMENTS[name])
        received = [d for d in DOCUMENTS[name] if d not in missing]
    elif status == ApplicationStatus.SUBMITTED:
        submitted = today - dt.timedelta(days=rng.randint(3, 28))
        started = submitted - dt.timedelta(days=rng.randint(2, 10))
        data |= {"submitted_on": submitted, "reference_number": f"IL{_digits(rng, 9)}"}
        if rng.random() < 0.4:  # the caseworker asked for one more document
            data["documents"] = rng.sample(DOCUMENTS[name], 1)
    else:
        decided = today - dt.timedelta(days=rng.randint(320, 350) if renewing else rng.randint(5, 120))
        submitted = decided - dt.timedelta(days=rng.randint(14, 40))
        started = submitted - dt.timedelta(days=rng.randint(2, 10))
        data |= {"submitted_on": submitted, "decided_on": decided, "reference_number": f"IL{_digits(rng, 9)}"}
        if status == ApplicationStatus.APPROVED:
            months = 6 if name == SNAP else 12
            data["renewal_date"] = _add_months(decided, months) if name != LIHEAP else None
            data["note"] = "Annual Medicaid redetermination coming up." if renewing else APPROVED_NOTES.get(name, "")
        else:
            data["note"] = DENIED_NOTES[name]
    mark = clock.now()
    app = funding_services.application_create(actor=actor, patient=patient, data=data)
    for document in app.documents.filter(name__in=received):
        app.refresh_from_db(fields=["version"])
        funding_services.application_document_mark(
            actor=actor, document=document, received=True, expected_version=app.version
        )
    at = min(_at(started, rng, actor.organization.tz), mark)
    # The documents that came in did so the day after the application was started (no draw: the demo stays put).
    came_in = min(at + dt.timedelta(days=1), mark) if received else at
    app.documents.filter(received_at__isnull=False).update(received_at=came_in)
    FundingApplication.objects.filter(pk=app.pk).update(created_at=at, updated_at=came_in)
    return app


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, min(day.day, 28))


# Eligibility ------------------------------------------------------------------------------------------------


def _at(day: dt.date, rng: random.Random, tz) -> dt.datetime:
    minutes = rng.randint(8 * 60 + 30, 16 * 60 + 30)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=tz)


def _eligibility(rng: random.Random, actor: Actor, primaries: list[Coverage], today: dt.date) -> int:
    """Checks made on the payer's portal or by phone in the past weeks, and one X12 270 waiting to be sent."""
    chosen = rng.sample(primaries, min(4, len(primaries)))
    tz = actor.organization.tz
    for n, coverage in enumerate(chosen[:3]):
        method = (EligibilityMethod.PORTAL, EligibilityMethod.PHONE)[n % 2]
        mark = clock.now()
        check = services.eligibility_result_record(
            actor=actor, coverage=coverage, method=method, status=EligibilityStatus.ACTIVE,
            plan_name=coverage.plan_name, note="Active; no change since the last check." if n else "",
        )  # fmt: skip
        at = min(_at(today - dt.timedelta(days=rng.randint(2, 40)), rng, tz), mark)
        EligibilityCheck.objects.filter(pk=check.pk).update(
            requested_at=at, responded_at=at, created_at=at, updated_at=at
        )
    selfs = [c for c in chosen[3:] if c.relationship == SubscriberRelationship.SELF]
    for coverage in selfs:
        services.eligibility_check_start(actor=actor, coverage=coverage)
    return min(3, len(chosen)) + len(selfs)


# Prior authorizations ---------------------------------------------------------------------------------------


def _service_for(codes: list[str]):
    """The first SERVICES entry one of the patient's problems (ICD-10-CM codes) calls for, with that code."""
    for prefixes, service, procedures, units, days, fallback in SERVICES:
        match = next((code for code in codes if code.startswith(prefixes)), None) if prefixes else fallback
        if match:
            return service, procedures, units, days, [match]
    raise AssertionError("SERVICES ends with an entry that fits anyone")


def providers_for(service: str, practitioners: list[Practitioner]) -> list[Practitioner]:
    """The practitioners whose specialty fits `service`: its specialists if any, else primary care clinicians."""
    specialists = [p for p in practitioners if p.specialty_code in SERVICE_PROVIDERS[service]]
    return specialists or [p for p in practitioners if p.specialty_code in ADULT_PCP]


def _provider(drawn: Practitioner | None, service: str, practitioners: list[Practitioner]) -> Practitioner | None:
    """
    A provider fit for `service` from a practitioner drawn among all of them: the one drawn if they fit, else the
    fitting one at the same place in the list. Drawing among all keeps the random stream (and so the rest of
    the demo) as it was.
    """
    fitting = providers_for(service, practitioners)
    if drawn is None or not fitting:
        return None
    if drawn in fitting:
        return drawn
    return fitting[practitioners.index(drawn) % len(fitting)]


def _authorizations(rng: random.Random, actor: Actor, primaries: list[Coverage], today: dt.date) -> int:
    """One authorization per story, for adults whose primary coverage is a payer's plan, as their coordinator."""
    org = actor.organization
    adults = {c.patient_id: c for c in primaries if c.patient.age_on(today) >= 18}
    problems: dict[int, list[str]] = {}
    for patient_id, code in (
        Condition.objects.filter(patient_id__in=adults, code_system=CodeSystem.ICD10CM, clinical_status="active")
        .order_by("patient_id", "code")
        .values_list("patient_id", "code")
    ):
        problems.setdefault(patient_id, []).append(code)
    # Patients whose problems call for one of the specific services first, so requests fit the chart.
    fitting = [c for c in adults.values() if _service_for(problems.get(c.patient_id, []))[0] != SERVICES[-1][1]]
    others = [c for c in adults.values() if c not in fitting]
    chosen = rng.sample(fitting, min(len(STORIES), len(fitting)))
    chosen += rng.sample(others, min(len(STORIES) - len(chosen), len(others)))
    practitioners = list(
        Practitioner.objects.filter(organization=org, active=True, external_organization=None)
        .exclude(npi="")
        .order_by("pk")
    )
    for (status, days_ago), coverage in zip(STORIES, chosen, strict=False):
        coordinator = coordinator_of(org, coverage.patient)
        who = actor_for(coordinator, org) if coordinator else actor
        request = _service_for(problems.get(coverage.patient_id, []))
        provider = _provider(rng.choice(practitioners) if practitioners else None, request[0], practitioners)
        _authorization(rng, who, coverage, request, provider, status, today - dt.timedelta(days=days_ago), today)
    return min(len(STORIES), len(chosen))


def _authorization(rng, actor: Actor, coverage: Coverage, request, provider, status: str, drafted: dt.date,
                   today: dt.date) -> None:  # fmt: skip
    """Drafts the request on `drafted` and takes it along the story to `status`, each step on its own day."""
    tz = actor.organization.tz
    service, procedures, units, days, diagnoses = request
    if status == PriorAuthStatus.PARTIALLY_APPROVED:
        units = max(units, 4) * 2
    # The dates asked for start after the payer's usual answer time, so no visit comes before a decision.
    start = drafted + dt.timedelta(days=rng.randint(10, 14))
    data = {"coverage": coverage, "service": service, "procedure_codes": procedures, "diagnosis_codes": diagnoses,
            "provider": provider, "units_requested": units, "start_date": start,
            "end_date": start + dt.timedelta(days=days)}  # fmt: skip
    mark = clock.now()
    auth = auths.prior_auth_create(actor=actor, patient=coverage.patient, data=data)
    _dated(auth, mark, _at(drafted, rng, tz), created=True)
    if status == PriorAuthStatus.DRAFT:
        return
    submitted = drafted + dt.timedelta(days=1)
    auth = _step(auth, actor, PriorAuthStatus.SUBMITTED, submitted, rng)
    if status == PriorAuthStatus.SUBMITTED:
        return
    decided = min(submitted + dt.timedelta(days=rng.randint(4, 8)), today)
    if status == PriorAuthStatus.PENDED:
        auth = _step(auth, actor, PriorAuthStatus.PENDED, decided, rng)
        mark = clock.now()  # the coordinator notes what the payer asked for, later that day
        auth = auths.prior_auth_update(
            actor=actor, auth=auth, data={"note": PENDED_NOTE}, expected_version=auth.version
        )
        _dated(auth, mark, dt.datetime.combine(decided, dt.time(17, 15), tzinfo=tz))
        return
    reference = f"PA{decided:%y%m%d}{rng.randint(1000, 9999)}"
    if status == PriorAuthStatus.APPROVED:
        auth = _step(auth, actor, status, decided, rng, reference_number=reference)
        _visits(rng, actor, auth, today)
    elif status == PriorAuthStatus.PARTIALLY_APPROVED:
        _step(auth, actor, status, decided, rng, reference_number=reference, units_approved=units // 2)
    else:
        auth = _step(auth, actor, PriorAuthStatus.DENIED, decided, rng, denial_reason=DENIAL, tasks=True)
        _appeal(rng, actor, auth, decided, today)


def _step(auth, actor: Actor, status: str, on: dt.date, rng, *, tasks=False, **extra) -> PriorAuthorization:
    """Moves the authorization on day `on` (the service checks the move and the date) and dates the write then."""
    mark = clock.now()
    auth = auths.prior_auth_set_status(actor=actor, auth=auth, status=status, expected_version=auth.version, on=on,
                                       **extra)  # fmt: skip
    _dated(auth, mark, _at(on, rng, actor.organization.tz), tasks=tasks)
    return auth


def _visits(rng, actor: Actor, auth: PriorAuthorization, today: dt.date) -> None:
    """The first visits delivered under an approved authorization (about weekly, before today)."""
    day = auth.start_date
    for _ in range(min(MAX_VISITS, (auth.units_approved or 0) - 1)):
        if day >= today:
            return
        auths.prior_auth_visit_record(actor=actor, auth=auth, service_date=day, units=1)
        day += dt.timedelta(days=rng.choice((5, 7, 7)))


def _appeal(rng, actor: Actor, auth: PriorAuthorization, denied: dt.date, today: dt.date) -> None:
    """The coordinator opens the first-level appeal and files it; the payer has not answered yet."""
    mark = clock.now()
    appeal = auths.appeal_create(actor=actor, auth=auth)
    filed = min(denied + dt.timedelta(days=rng.randint(5, 10)), today)
    auths.appeal_set_status(
        actor=actor,
        appeal=appeal,
        status=AppealStatus.FILED,
        expected_version=appeal.version,
        on=filed,
        note=APPEAL_NOTE,
    )  # fmt: skip  (filing completes the "file an appeal" task)
    _dated(auth, mark, _at(filed, rng, actor.organization.tz), tasks=True)


def _tasks(auth: PriorAuthorization):
    return Task.objects.filter(focus_type=AUTH_FOCUS, focus_id=auth.public_id)


STAMPS = ("created_at", "updated_at", "completed_at")


def _dated(auth: PriorAuthorization, mark: dt.datetime, at: dt.datetime, *, created=False, tasks=False) -> None:
    """
    What the services wrote about the authorization since `mark` happened at `at`: the row, its appeal and (with
    `tasks`) its worklist tasks and their history. The services stamp the present; the demo's past is dated.
    """
    at = min(at, clock.now())
    PriorAuthorization.objects.filter(pk=auth.pk).update(updated_at=at, **({"created_at": at} if created else {}))
    auth.events.filter(at__gte=mark).update(at=at)
    if not tasks:
        return
    auth.appeals.filter(created_at__gte=mark).update(created_at=at, updated_at=at)
    ids = list(_tasks(auth).values_list("pk", flat=True))
    TaskEvent.objects.filter(task_id__in=ids, at__gte=mark).update(at=at)
    Task.objects.filter(pk__in=ids).update(
        **{n: Case(When(**{f"{n}__gte": mark}, then=Value(at)), default=F(n)) for n in STAMPS}
    )
