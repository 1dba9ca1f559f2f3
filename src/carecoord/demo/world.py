"""
The demo world: five Illinois organizations (a coordination organization, a hospital, a clinic, a nursing
home and a community health center), their staff in every role, their directories, about 200 patients with
families, problem lists and care teams, the coordination organization's consented shares of clinic and
hospital patients, and care plans with goals and tasks that give every coordinator a worklist (careplans.py),
the hospital discharges behind the transitional-care plans (transitions.py), a community resource directory
(community.py) and, at the community health center, the state benefits work: applications (coverage.py) and
community referrals (community.py).

`world_create` builds it in one transaction from a seed (the same world every time, except the password,
which the caller chooses); rows go in with bulk_create and the audit log gets one `demo.load` entry per
organization rather than one per row.
"""

import datetime as dt
import random
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from carecoord.core import clock
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, OrganizationKind, Role
from carecoord.core.errors import ConflictError, ValidationError
from carecoord.core.models import Membership, Organization, User
from carecoord.core.services import organization_create
from carecoord.patients.domain import DUPLICATE_THRESHOLD, DuplicateCandidate, duplicate_score, fold
from carecoord.patients.models import CareTeamMember, Condition, Consent, Patient, PatientShare, RelatedPerson

from .careplans import careplans_create
from .careteams import Tenant, care_team_rows, condition_rows, share_rows
from .checkins import COUNT_LABELS as CHECKIN_COUNT_LABELS
from .checkins import checkins_create
from .community import community_create, referrals_create
from .coverage import coverage_create
from .directory import PLANS, directory_create, registry_create
from .people import NameMaker, PhoneBook, staff_email
from .population import PatientDraft, patient_draw
from .scheduling import scheduling_create
from .transitions import transitions_create

DEMO_SEED = 2026
DEMO_PATIENTS = 200
TIMEZONE = "America/Chicago"


@dataclass(frozen=True)
class TenantSpec:
    slug: str
    name: str
    kind: str
    domain: str
    patient_share: float
    mrn_prefix: str
    mrn_digits: int


TENANTS = (
    TenantSpec("prairie", "Prairie Care Partners", OrganizationKind.COORDINATION_ORGANIZATION, "prairie.demo",
               0.10, "PR", 6),
    TenantSpec("lakeshore", "Lakeshore General Hospital", OrganizationKind.HOSPITAL, "lakeshore.demo", 0.25, "10", 6),
    TenantSpec("northside", "Northside Family Clinic", OrganizationKind.CLINIC, "northside.demo", 0.40, "N", 6),
    TenantSpec("maple-grove", "Maple Grove Nursing & Rehab", OrganizationKind.NURSING_HOME, "maplegrove.demo",
               0.15, "MG", 5),
    TenantSpec("riverside", "Riverside Community Health Center", OrganizationKind.COMMUNITY_HEALTH_CENTER,
               "riverside.demo", 0.10, "RC", 6),
)  # fmt: skip
DEMO_SLUGS = tuple(t.slug for t in TENANTS)
COORDINATION_SLUG = "prairie"
CLINIC_SLUG = "northside"
SHARED_FROM = ("northside", "lakeshore")
SHARE_FRACTION = 0.2  # the coordination organization coordinates about 40 of 200

R = Role
# (given, family, role, name group, NUCC taxonomy when the user is also a clinician in the directory)
STAFF = {
    "prairie": (("María", "López", R.COORDINATOR, "hispanic", ""), ("James", "Carter", R.COORDINATOR, "black", ""),
                ("Anh", "Nguyen", R.COORDINATOR, "vietnamese", ""),
                ("Priya", "Raman", R.PROVIDER, "south_asian", "363LA2200X"),
                ("Denise", "Washington", R.SUPERVISOR, "black", ""), ("Tom", "Kowalski", R.SCHEDULER, "polish", ""),
                ("Grace", "Kim", R.ORG_ADMIN, "korean", ""), ("Robert", "Feld", R.AUDITOR, "white", "")),
    "lakeshore": (("Keisha", "Johnson", R.COORDINATOR, "black", ""), ("Daniel", "Okafor", R.COORDINATOR, "black", ""),
                  ("Sofía", "Hernández", R.COORDINATOR, "hispanic", ""),
                  ("Michael", "Chen", R.PROVIDER, "chinese", "208M00000X"),
                  ("Laura", "Bennett", R.SUPERVISOR, "white", ""), ("Jorge", "Ramírez", R.SCHEDULER, "hispanic", ""),
                  ("Sarah", "Goldberg", R.ORG_ADMIN, "white", ""), ("William", "Price", R.AUDITOR, "black", "")),
    "northside": (("Emily", "Novak", R.COORDINATOR, "white", ""), ("Carlos", "Mendoza", R.COORDINATOR, "hispanic", ""),
                  ("Fatima", "Haddad", R.COORDINATOR, "arab", ""),
                  ("David", "Park", R.PROVIDER, "korean", "207Q00000X"),
                  ("Angela", "Brooks", R.SUPERVISOR, "black", ""), ("Linh", "Tran", R.SCHEDULER, "vietnamese", ""),
                  ("Kevin", "Murphy", R.ORG_ADMIN, "white", ""), ("Rachel", "Stein", R.AUDITOR, "white", "")),
    "maple-grove": (("Tanya", "Robinson", R.COORDINATOR, "black", ""),
                    ("Piotr", "Zieliński", R.COORDINATOR, "polish", ""),
                    ("Helen", "Osei", R.PROVIDER, "black", "207RG0300X"),
                    ("Mark", "Sullivan", R.SUPERVISOR, "white", ""), ("Rosa", "Delgado", R.SCHEDULER, "hispanic", ""),
                    ("Janet", "Miller", R.ORG_ADMIN, "white", ""), ("Ahmed", "Siddiqui", R.AUDITOR, "south_asian", "")),
    # Lucía Morales is the bilingual (Spanish) coordinator of the health center's benefits work.
    "riverside": (("Lucía", "Morales", R.COORDINATOR, "hispanic", ""),
                  ("Marcus", "Bell", R.COORDINATOR, "black", ""),
                  ("Elena", "Vargas", R.PROVIDER, "hispanic", "363LF0000X"),
                  ("Patricia", "Ruiz", R.SUPERVISOR, "hispanic", ""), ("Dwayne", "Harris", R.SCHEDULER, "black", ""),
                  ("Nicole", "Adams", R.ORG_ADMIN, "white", ""), ("Hassan", "Ali", R.AUDITOR, "arab", "")),
}  # fmt: skip
# A Prairie coordinator embedded at the clinic: one login, two organizations to switch between.
SECOND_MEMBERSHIP = ("maria.lopez@prairie.demo", "northside", Role.COORDINATOR)


COUNT_LABELS = {
    "organizations": "Organizations",
    "users": "Users (one login each)",
    "practitioners": "Directory practitioners",
    "patients": "Patients",
    "related_persons": "Family members and caregivers",
    "conditions": "Conditions",
    "care_team_members": "Care team members",
    "shares": "Patients shared with the coordination organization",
    "careplans": "Care plans",
    "goals": "Goals",
    "tasks": "Tasks",
    "tasks_open": "Open tasks",
    "tasks_overdue": "Overdue tasks",
    "appointments": "Appointments (past and next 30 days)",
    "appointments_upcoming": "Upcoming appointments",
    "transitions": "Hospital discharges (transitions of care)",
    "transitions_open": "Open transition episodes",
    "community_services": "Community services (in each organization's directory)",
    "payers": "Payers (in each organization's payer directory)",
    "coverages": "Insurance coverages",
    "eligibility_checks": "Eligibility checks",
    "prior_auths": "Prior authorizations",
    "funding_applications": "Benefit applications (Medicaid, SNAP, LIHEAP...)",
    "referrals": "Community referrals",
    **CHECKIN_COUNT_LABELS,
}


@dataclass(frozen=True)
class Login:
    email: str
    organization: str
    role: str
    password: str


@dataclass
class DemoWorld:
    organizations: dict[str, Organization]
    logins: list[Login]
    counts: Counter = field(default_factory=Counter)


def demo_emails() -> list[str]:
    domains = {t.slug: t.domain for t in TENANTS}
    return [staff_email(given, family, domains[slug]) for slug, staff in STAFF.items() for given, family, *_ in staff]


def demo_world_exists() -> bool:
    return Organization.objects.filter(slug__in=DEMO_SLUGS).exists()


@transaction.atomic
def world_create(*, password: str, seed: int = DEMO_SEED, patients: int = DEMO_PATIENTS) -> DemoWorld:
    """Builds the whole demo world; raises ConflictError if any of it is already there."""
    if demo_world_exists():
        raise ConflictError("The demo organizations already exist; start from an empty database.")
    if User.objects.filter(email__in=demo_emails()).exists():
        raise ConflictError("Some demo users already exist; start from an empty database.")
    try:
        validate_password(password, User(email="demo@carecoord.demo", full_name="Demo"))
    except DjangoValidationError as exc:
        raise ValidationError(" ".join(exc.messages), field="password") from exc
    rng = random.Random(seed)  # noqa: S311 -- demo data, not secrets: the seed must reproduce the world
    # The health center's benefits work draws from its own stream, so it changes nothing else in the world.
    benefits_rng = random.Random(seed + 1)  # noqa: S311
    names, phones = NameMaker(rng), PhoneBook(rng)
    today = clock.today_in(zoneinfo.ZoneInfo(TIMEZONE))
    world = DemoWorld(organizations={}, logins=[])
    for spec in TENANTS:
        world.organizations[spec.slug] = organization_create(
            name=spec.name, kind=spec.kind, state="IL", timezone=TIMEZONE, require_mfa=False, slug=spec.slug
        )
    users = _users_create(world, password, names)
    named = {slug: [(g, f, tax, grp) for g, f, _, grp, tax in staff if tax] for slug, staff in STAFF.items()}
    registry = registry_create(rng, names, phones, named)
    tenants = {}
    for spec in TENANTS:
        org = world.organizations[spec.slug]
        staff = users[spec.slug]
        tenants[spec.slug] = Tenant(
            org=org, setting=spec.kind,
            coordinators=[u for u, role in staff if role == Role.COORDINATOR],
            provider=next(u for u, role in staff if role == Role.PROVIDER),
            directory=directory_create(org=org, tenants=world.organizations, registry=registry, domain=spec.domain),
        )  # fmt: skip
        world.counts["practitioners"] += len(tenants[spec.slug].directory.practitioners)
    tenants[CLINIC_SLUG].guest_coordinators = (users[COORDINATION_SLUG][0][0],)
    drafts = _population(rng, names, phones, tenants, today, patients)
    _insert(rng, drafts, tenants, today, world.counts)
    careplans_create(rng, organizations=world.organizations, users=users, coordination_slug=COORDINATION_SLUG,
                     today=today, now=clock.now(), counts=world.counts)  # fmt: skip
    scheduling_create(rng, organizations=world.organizations, coordination_slug=COORDINATION_SLUG, today=today,
                      now=clock.now(), counts=world.counts)  # fmt: skip
    transitions_create(rng, organizations=world.organizations, today=today, counts=world.counts)
    community_create(organizations=world.organizations, counts=world.counts)
    referrals_create(benefits_rng, organizations=world.organizations, today=today, counts=world.counts)
    coverage_create(rng, organizations=world.organizations, today=today, counts=world.counts, benefits_rng=benefits_rng)
    checkins_create(rng, organizations=world.organizations, today=today, counts=world.counts)
    for org in world.organizations.values():
        audit_record(event="demo.load", action=AuditAction.CREATE, organization=org, target=org,
                     detail={"seed": seed, "patients": Patient.objects.filter(organization=org).count()})  # fmt: skip
    world.counts["organizations"] = len(world.organizations)
    world.counts["users"] = sum(len(staff) for staff in STAFF.values())
    return world


def _users_create(world: DemoWorld, password: str, names: NameMaker) -> dict[str, list[tuple[User, str]]]:
    """Creates every staff user with one password hash (hashing is deliberately slow; all share the password)."""
    hashed = make_password(password)
    domains = {t.slug: t.domain for t in TENANTS}
    rows: dict[str, list[tuple[User, str]]] = {}
    for slug, staff in STAFF.items():
        rows[slug] = []
        for given, family, role, _, _ in staff:
            names.used.add((fold(given), fold(family)))
            email = staff_email(given, family, domains[slug])
            # Each signs in to their own organization first (Maria Lopez also belongs to a clinic).
            home = world.organizations[slug]
            user = User(email=email, full_name=f"{given} {family}", password=hashed, last_organization=home)
            rows[slug].append((user, role))
    User.objects.bulk_create([user for staff in rows.values() for user, _ in staff])
    memberships = [Membership(user=user, organization=world.organizations[slug], role=role)
                   for slug, staff in rows.items() for user, role in staff]  # fmt: skip
    email, slug, role = SECOND_MEMBERSHIP
    second = next(user for staff in rows.values() for user, _ in staff if user.email == email)
    memberships.append(Membership(user=second, organization=world.organizations[slug], role=role))
    Membership.objects.bulk_create(memberships)
    for membership in memberships:
        org = membership.organization
        world.logins.append(Login(membership.user.email, org.name, Role(membership.role).label, password))
    return rows


def _population(rng, names, phones, tenants: dict[str, Tenant], today: dt.date, total: int):
    drafts: list[tuple[PatientDraft, Tenant]] = []
    for spec in TENANTS:
        tenant = tenants[spec.slug]
        facility = PLANS[spec.slug].locations[0][1:4]
        mrns: set[str] = set()
        seen: list[DuplicateCandidate] = []
        for _ in range(round(total * spec.patient_share)):
            while True:
                draft = patient_draw(rng, names, phones, org_key=spec.slug, setting=spec.kind, today=today,
                                     facility=facility)  # fmt: skip
                p = draft.patient
                close = [c for c in seen if _dates_close(p.birth_date, c.birth_date)]
                if all(duplicate_score(p.given_name, p.family_name, p.birth_date, c) < DUPLICATE_THRESHOLD
                       for c in close):  # fmt: skip
                    break  # a deliberate near-duplicate has no place in the demo
            seen.append(DuplicateCandidate(p.given_name, p.family_name, p.birth_date))
            p.organization = tenant.org
            p.mrn = _mrn(rng, spec, mrns)
            p.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
            drafts.append((draft, tenant))
    return drafts


def _dates_close(a: dt.date, b: dt.date) -> bool:
    """Dates the duplicate check could call close (equal, day and month swapped, or one digit apart)."""
    swapped = a.year == b.year and a.month == b.day and a.day == b.month
    return swapped or sum(x != y for x, y in zip(a.isoformat(), b.isoformat(), strict=True)) <= 1


def _mrn(rng: random.Random, spec: TenantSpec, used: set[str]) -> str:
    while True:
        mrn = f"{spec.mrn_prefix}{rng.randint(10 ** (spec.mrn_digits - 1), 10**spec.mrn_digits - 1)}"
        if mrn not in used:
            used.add(mrn)
            return mrn


def _insert(rng, drafts: list[tuple[PatientDraft, Tenant]], tenants: dict[str, Tenant], today, counts) -> None:
    Patient.objects.bulk_create([d.patient for d, _ in drafts])
    relatives = []
    for draft, tenant in drafts:
        for person in draft.family:
            person.organization, person.patient = tenant.org, draft.patient
            relatives.append(person)
    RelatedPerson.objects.bulk_create(relatives)
    conditions = [row for d, t in drafts for row in condition_rows(d, t)]
    Condition.objects.bulk_create(conditions)
    team = [row for d, t in drafts for row in care_team_rows(rng, d, t, today)]
    shared = [(d, t) for d, t in drafts if t.org.slug in SHARED_FROM]
    consents, shares, guests = share_rows(rng, shared, grantee=tenants[COORDINATION_SLUG], today=today,
                                          count=round(len(drafts) * SHARE_FRACTION))  # fmt: skip
    CareTeamMember.objects.bulk_create(team + guests)
    Consent.objects.bulk_create(consents)
    PatientShare.objects.bulk_create(shares)
    counts.update(patients=len(drafts), related_persons=len(relatives), conditions=len(conditions),
                  care_team_members=len(team) + len(guests), shares=len(shares))  # fmt: skip
