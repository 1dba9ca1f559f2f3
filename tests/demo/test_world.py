"""The demo world, built once for the module (see conftest.py) and checked the way a reviewer would."""

import itertools
import re
import zoneinfo
from collections import Counter

import pytest
from django.contrib.auth.hashers import check_password

from carecoord.core import clock
from carecoord.core.access import actor_for
from carecoord.core.choices import OrganizationKind, Role
from carecoord.core.models import AuditEvent, Membership, Organization, User
from carecoord.demo.directory import TAXONOMY
from carecoord.demo.icd10 import ICD10
from carecoord.demo.people import npi_is_valid
from carecoord.demo.world import COORDINATION_SLUG, DEMO_SLUGS
from carecoord.directory.models import ExternalOrganization, Location, Practitioner
from carecoord.patients.choices import CareTeamRole, CodeSystem, ConsentScope, ConsentStatus
from carecoord.patients.domain import (
    DUPLICATE_THRESHOLD,
    DuplicateCandidate,
    duplicate_score,
    normalize_phone,
    search_name,
    validate_condition_code,
)
from carecoord.patients.models import CareTeamMember, Condition, Consent, Patient, PatientShare, RelatedPerson
from carecoord.patients.selectors import patients_visible_to

from .conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db
TODAY = clock.today_in(zoneinfo.ZoneInfo("America/Chicago"))  # the demo's "today"
FICTIONAL_PHONE = re.compile(r"^\+1[2-9][0-9]{2}55501[0-9]{2}$")


def test_five_organizations_in_illinois_without_required_two_factor(world):
    kinds = dict(Organization.objects.filter(slug__in=DEMO_SLUGS).values_list("slug", "kind"))
    assert kinds == {
        "prairie": OrganizationKind.COORDINATION_ORGANIZATION,
        "lakeshore": OrganizationKind.HOSPITAL,
        "northside": OrganizationKind.CLINIC,
        "maple-grove": OrganizationKind.NURSING_HOME,
        "riverside": OrganizationKind.COMMUNITY_HEALTH_CENTER,
    }
    for org in world.organizations.values():
        assert (org.state, org.timezone, org.require_mfa) == ("IL", "America/Chicago", False)


def test_every_organization_has_every_role_and_two_or_three_coordinators(world):
    for org in world.organizations.values():
        roles = Counter(Membership.objects.filter(organization=org).values_list("role", flat=True))
        assert set(roles) == set(Role.values), org.slug
        assert 2 <= roles[Role.COORDINATOR] <= 4, org.slug


def test_one_user_belongs_to_two_organizations(world):
    maria = User.objects.get(email="maria.lopez@prairie.demo")
    assert set(maria.memberships.values_list("organization__slug", flat=True)) == {"prairie", "northside"}
    assert actor_for(maria, world.organizations["northside"]).has_role(Role.COORDINATOR)
    assert maria.last_organization == world.organizations["prairie"]  # she signs in to her own organization first


def test_logins_list_every_membership_and_the_password_works(world):
    memberships = Membership.objects.filter(organization__slug__in=DEMO_SLUGS)
    assert len(world.logins) == memberships.count()
    assert {login.password for login in world.logins} == {DEMO_PASSWORD}
    assert all(login.email.endswith(".demo") for login in world.logins)
    user = User.objects.get(email=world.logins[0].email)
    assert check_password(DEMO_PASSWORD, user.password)


def test_about_two_hundred_patients_mostly_at_the_clinic_and_hospital(world):
    per_org = Counter(Patient.objects.values_list("organization__slug", flat=True))
    assert 190 <= sum(per_org.values()) <= 210
    assert per_org["northside"] + per_org["lakeshore"] > sum(per_org.values()) / 2
    assert all(per_org[slug] > 0 for slug in DEMO_SLUGS)
    for org in world.organizations.values():  # MRNs are unique per organization (also a constraint)
        mrns = list(Patient.objects.filter(organization=org).values_list("mrn", flat=True))
        assert len(mrns) == len(set(mrns))


def test_patients_are_valid_records_with_fictional_phones_and_illinois_addresses(world):
    today = TODAY
    ages = []
    for patient in Patient.objects.all():
        patient.full_clean(validate_unique=False, validate_constraints=False)
        assert patient.search_name == search_name(
            patient.given_name, patient.middle_name, patient.family_name, patient.preferred_name
        )
        for phone in (patient.phone_primary, patient.phone_secondary):
            assert not phone or (FICTIONAL_PHONE.match(phone) and normalize_phone(phone) == phone)
        assert patient.state == "IL"
        assert patient.city
        assert re.fullmatch(r"[0-9]{5}", patient.postal_code)
        assert not patient.email or patient.email.split("@")[1] in ("example.com", "example.net", "example.org")
        ages.append(patient.age_on(today))
    assert min(ages) >= 1
    assert max(ages) <= 99
    assert 5 <= sum(age < 18 for age in ages) <= 25  # a few children, for school readiness
    assert sum(age >= 65 for age in ages) > len(ages) / 3  # skewed older


def test_languages_are_mostly_english_with_interpreters_for_most_others(world):
    patients = list(Patient.objects.all())
    languages = Counter(p.preferred_language for p in patients)
    assert languages["en"] / len(patients) > 0.6
    assert 0.08 <= languages["es"] / len(patients) <= 0.25
    assert len(set(languages) - {"en", "es"}) >= 3
    others = [p for p in patients if p.preferred_language != "en"]
    assert not any(p.interpreter_needed for p in patients if p.preferred_language == "en")
    assert sum(p.interpreter_needed for p in others) > len(others) * 0.7


def test_no_deliberate_near_duplicates(world):
    for org in world.organizations.values():
        patients = list(Patient.objects.filter(organization=org))
        for a, b in itertools.combinations(patients, 2):
            candidate = DuplicateCandidate(b.given_name, b.family_name, b.birth_date)
            assert duplicate_score(a.given_name, a.family_name, a.birth_date, candidate) < DUPLICATE_THRESHOLD


def test_every_patient_has_a_condition_with_an_onset_after_birth_and_in_the_past(world):
    today = TODAY
    assert not Patient.objects.filter(conditions__isnull=True).exists()
    statuses = Counter()
    for condition in Condition.objects.select_related("patient"):
        assert condition.onset_date is not None
        assert condition.patient.birth_date <= condition.onset_date <= today, condition
        assert condition.abatement_date is None or condition.onset_date <= condition.abatement_date <= today
        statuses[condition.clinical_status] += 1
    assert statuses["active"] > 0.8 * sum(statuses.values())


def test_conditions_are_icd10cm_codes_with_their_catalog_displays(world):
    for code, display, system in Condition.objects.values_list("code", "display", "code_system").distinct():
        assert system == CodeSystem.ICD10CM
        assert validate_condition_code(system, code) == code
        assert ICD10[code] == display


def test_every_patient_has_a_coordinator_of_their_organization_and_a_primary_care_clinician(world):
    coordinators = {
        (m.user_id, m.organization_id) for m in Membership.objects.filter(role=Role.COORDINATOR, active=True)
    }
    for patient in Patient.objects.prefetch_related("care_team__practitioner"):
        team = list(patient.care_team.all())
        own = [m for m in team if m.role == CareTeamRole.COORDINATOR and m.note == ""]
        assert own, patient.mrn
        assert all((m.user_id, patient.organization_id) in coordinators for m in own), patient.mrn
        pcps = [m.practitioner for m in team if m.role == CareTeamRole.PRIMARY_CARE]
        assert len(pcps) == 1
        assert pcps[0].organization_id == patient.organization_id
        assert all(m.start_date >= patient.birth_date for m in team)


def test_care_teams_include_specialists_and_family_caregivers(world):
    roles = Counter(CareTeamMember.objects.values_list("role", flat=True))
    patients = Patient.objects.count()
    assert roles[CareTeamRole.SPECIALIST] + roles[CareTeamRole.BEHAVIORAL_HEALTH] > patients / 5
    assert roles[CareTeamRole.CAREGIVER] > patients / 2
    outside = CareTeamMember.objects.filter(practitioner__external_organization__isnull=False)
    assert outside.exists()  # some clinicians work for another organization


def test_families_have_one_to_three_members_and_older_patients_one_proxy(world):
    today = TODAY
    sizes = Counter()
    for patient in Patient.objects.prefetch_related("related_persons"):
        family = list(patient.related_persons.all())
        sizes[len(family)] += 1
        assert len(family) <= 3
        assert sum(p.is_health_care_proxy for p in family) <= 1
        if any(p.is_health_care_proxy for p in family):
            assert patient.age_on(today) >= 65
        if family:
            assert any(p.is_emergency_contact for p in family)
        for person in family:
            assert FICTIONAL_PHONE.match(person.phone)
            assert person.preferred_language
    assert sizes[0] < sum(sizes.values()) * 0.2  # most patients have family on file
    assert RelatedPerson.objects.filter(is_health_care_proxy=True).count() > 30
    assert RelatedPerson.objects.filter(may_receive_information=True).exists()


def test_every_npi_in_the_directories_is_valid(world):
    npis = list(Practitioner.objects.values_list("npi", flat=True))
    npis += [n for n in ExternalOrganization.objects.values_list("npi", flat=True) if n]
    assert npis
    assert all(npi_is_valid(npi) for npi in npis)


def test_directories_have_fifteen_to_thirty_practitioners_with_taxonomy_and_languages(world):
    for org in world.organizations.values():
        practitioners = list(Practitioner.objects.filter(organization=org))
        assert 15 <= len(practitioners) <= 30, org.slug
        for p in practitioners:
            assert TAXONOMY[p.specialty_code][0] == p.specialty_display
            assert "en" in p.languages
        assert ExternalOrganization.objects.filter(organization=org).count() >= 5
        kinds = set(ExternalOrganization.objects.filter(organization=org).values_list("kind", flat=True))
        assert {"pharmacy", "payer"} <= kinds


def test_taxonomy_wording_matches_the_directory_app():
    taxonomy = pytest.importorskip("carecoord.directory.taxonomy")
    for code, (display, _, _) in TAXONOMY.items():
        if code in taxonomy.SPECIALTY_BY_CODE:
            assert taxonomy.SPECIALTY_BY_CODE[code].display == display


def test_locations_have_weekly_hours(world):
    for location in Location.objects.all():
        assert set(location.hours) <= {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
        assert location.hours
        for periods in location.hours.values():
            assert all(re.fullmatch(r"\d\d:\d\d", t) for period in periods for t in period)
            assert all(opens < closes for opens, closes in periods)


def test_the_coordination_organization_sees_about_forty_shared_patients_by_consent(world):
    prairie = world.organizations[COORDINATION_SLUG]
    shares = PatientShare.objects.filter(organization=prairie, revoked_at__isnull=True).select_related(
        "consent", "patient__organization"
    )
    assert 35 <= shares.count() <= 45
    for share in shares:
        consent = share.consent
        assert (consent.scope, consent.status, consent.grantee_id) == (
            ConsentScope.PATIENT_PRIVACY, ConsentStatus.ACTIVE, prairie.pk,
        )  # fmt: skip
        assert consent.method == "Signed release form"
        assert consent.signed_by
        assert share.patient.organization.slug in ("northside", "lakeshore")
        assert Membership.objects.filter(user=consent.recorded_by, organization=share.patient.organization).exists()
    assert Consent.objects.count() == shares.count()
    coordinator = User.objects.get(email="james.carter@prairie.demo")
    visible = patients_visible_to(actor_for(coordinator, prairie))
    own = Patient.objects.filter(organization=prairie).count()
    assert visible.count() == own + shares.count()


def test_one_demo_load_audit_entry_per_organization(world):
    entries = AuditEvent.objects.filter(event="demo.load")
    assert sorted(entries.values_list("acting_organization__slug", flat=True)) == sorted(DEMO_SLUGS)
