"""The demo's insurance: payers, coverages, eligibility checks, prior authorizations and an appeal in each org."""

import datetime as dt
import zoneinfo
from collections import Counter

import pytest
from django.urls import reverse

from carecoord.careplans.choices import OPEN_TASK_STATUSES
from carecoord.careplans.models import Task
from carecoord.core import clock
from carecoord.core.access import actor_for
from carecoord.core.choices import Role
from carecoord.core.models import Membership, Organization
from carecoord.coverage.choices import AppealStatus, CoverageStatus, PriorAuthStatus, ProductType
from carecoord.coverage.models import Appeal, Coverage, EligibilityCheck, Payer, PriorAuthorization
from carecoord.coverage.priorauth_services import FOCUS, TRANSITIONS
from carecoord.coverage.selectors import coverages_for_patient, payers_for
from carecoord.demo.coverage import PAYERS
from carecoord.demo.world import COORDINATION_SLUG, DEMO_SLUGS
from carecoord.patients.models import Patient, PatientShare

pytestmark = pytest.mark.django_db
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
MEDICARE = (ProductType.MEDICARE, ProductType.MEDICARE_ADVANTAGE)


def coordinator(slug: str):
    org = Organization.objects.get(slug=slug)
    member = Membership.objects.filter(organization=org, role=Role.COORDINATOR).order_by("pk").first()
    return actor_for(member.user, org)


def test_every_organization_has_its_own_payer_directory(world):
    assert world.counts["payers"] == len(DEMO_SLUGS) * len(PAYERS)
    for slug in DEMO_SLUGS:
        actor = coordinator(slug)
        payers = list(payers_for(actor))
        assert sorted(p.name for p in payers) == sorted(spec.name for spec in PAYERS)
        assert all(p.organization_id == actor.organization.pk and p.payer_id for p in payers)
        linked = [p for p in payers if p.external_organization is not None]
        assert linked  # the two payers the demo directories list are linked to their directory records
        assert all(p.external_organization.organization_id == actor.organization.pk for p in linked)
    for coverage in Coverage.objects.exclude(payer=None).select_related("payer"):
        assert coverage.payer.organization_id == coverage.organization_id == coverage.patient.organization_id


def test_most_patients_of_every_organization_have_coverage_fitting_their_age(world):
    today = clock.today_in(CHICAGO)
    assert world.counts["coverages"] == Coverage.objects.count()
    for slug in DEMO_SLUGS:
        patients = Patient.objects.filter(organization__slug=slug)
        active = Coverage.objects.filter(organization__slug=slug, status=CoverageStatus.ACTIVE).select_related(
            "patient"
        )
        covered = {c.patient_id for c in active}
        assert len(covered) >= 0.6 * patients.count(), slug
        for coverage in active:
            age = coverage.patient.age_on(today)
            if coverage.order == 1 and coverage.payer_id:
                assert (coverage.product_type in MEDICARE) == (age >= 65), (slug, age, coverage.product_type)
            if coverage.product_type != ProductType.SELF_PAY:
                assert coverage.member_id
            assert coverage.start_date <= today
            assert coverage.start_date >= coverage.patient.birth_date.replace(day=1)
        # Active coverages of a patient are ordered 1, 2... without gaps (the constraint only forbids ties).
        orders: dict[int, list[int]] = {}
        for coverage in active:
            orders.setdefault(coverage.patient_id, []).append(coverage.order)
        assert all(sorted(o) == list(range(1, len(o) + 1)) for o in orders.values())
    kinds = Counter(Coverage.objects.values_list("product_type", flat=True))
    for kind in (ProductType.MEDICARE_ADVANTAGE, ProductType.MEDICAID, ProductType.COMMERCIAL):
        assert kinds[kind] >= 10, kind
    assert Coverage.objects.filter(status=CoverageStatus.CANCELLED, end_date__lt=today).exists()
    assert Coverage.objects.exclude(group_id="").exists()


def test_prior_authorizations_in_several_statuses_with_dates_the_app_allows(world):
    today = clock.today_in(CHICAGO)
    for slug in DEMO_SLUGS:
        auths = PriorAuthorization.objects.filter(organization__slug=slug).select_related("coverage")
        statuses = Counter(a.status for a in auths)
        for status in (PriorAuthStatus.DRAFT, PriorAuthStatus.SUBMITTED, PriorAuthStatus.APPROVED,
                       PriorAuthStatus.DENIED):  # fmt: skip
            assert statuses[status] >= 1, (slug, status)
        assert len(statuses) >= 5
        for auth in auths:
            assert auth.coverage.patient_id == auth.patient_id
            assert auth.coverage.status == CoverageStatus.ACTIVE
            assert auth.coverage.product_type != ProductType.SELF_PAY
            assert auth.procedure_codes
            assert auth.created_at.astimezone(CHICAGO).date() < today
            assert auth.created_at <= auth.updated_at <= clock.now()
            if auth.status == PriorAuthStatus.DRAFT:
                assert auth.submitted_on is None
            else:
                assert auth.submitted_on <= today
            if auth.decided_on is not None:
                assert auth.submitted_on <= auth.decided_on <= today
            if auth.status in (PriorAuthStatus.APPROVED, PriorAuthStatus.PARTIALLY_APPROVED):
                assert auth.reference_number
                assert 1 <= auth.units_approved <= auth.units_requested
                assert auth.end_date >= today  # not yet for the expiry job
                for visit in auth.visits.all():
                    assert auth.start_date <= visit.service_date < today
            if auth.status == PriorAuthStatus.PARTIALLY_APPROVED:
                assert auth.units_approved < auth.units_requested
            if auth.status == PriorAuthStatus.PENDED:
                assert auth.note  # what the payer asked for
            # The history tells the story on its dates, not the day the demo was built.
            events = list(auth.events.order_by("at", "id"))
            assert all(auth.created_at <= e.at <= auth.updated_at for e in events)
            submitted = [e for e in events if e.to_status == PriorAuthStatus.SUBMITTED]
            assert [e.at.astimezone(CHICAGO).date() for e in submitted] == [auth.submitted_on] * len(submitted)
        # Every status reached is one the app's transitions lead to from a draft.
        reachable, frontier = {PriorAuthStatus.DRAFT}, [PriorAuthStatus.DRAFT]
        while frontier:
            for nxt in TRANSITIONS[frontier.pop()] - reachable:
                reachable.add(nxt)
                frontier.append(nxt)
        assert set(statuses) <= reachable
    assert world.counts["prior_auths"] == PriorAuthorization.objects.count()


def test_each_denial_has_its_first_level_appeal_filed_and_its_task_done(world):
    today = clock.today_in(CHICAGO)
    denied = PriorAuthorization.objects.filter(status=PriorAuthStatus.DENIED)
    assert denied.count() >= len(DEMO_SLUGS)
    for auth in denied:
        assert auth.denial_reason
        appeal = Appeal.objects.get(authorization=auth)
        assert appeal.level == 1
        assert appeal.status == AppealStatus.FILED
        assert auth.decided_on <= appeal.filed_on <= min(today, appeal.filing_deadline)
        assert appeal.filing_deadline == auth.decided_on + dt.timedelta(days=auth.appeal_deadline_days)
        tasks = Task.objects.filter(focus_type=FOCUS, focus_id=auth.public_id)
        assert tasks.exists()
        assert not tasks.filter(status__in=OPEN_TASK_STATUSES).exists()
        for task in tasks:
            assert task.created_at.astimezone(CHICAGO).date() == auth.decided_on
            assert task.completed_at.astimezone(CHICAGO).date() == appeal.filed_on


def test_eligibility_checks_in_every_organization(world):
    now = clock.now()
    for slug in DEMO_SLUGS:
        checks = EligibilityCheck.objects.filter(organization__slug=slug).select_related("coverage")
        assert checks.count() >= 3, slug
        for check in checks:
            assert check.coverage.status == CoverageStatus.ACTIVE
            assert check.requested_at <= now
            assert check.coverage.organization_id == check.organization_id
    assert world.counts["eligibility_checks"] == EligibilityCheck.objects.count()


def test_a_shared_patient_s_coverage_is_the_home_organization_s(world):
    """The coordination organization reads the home organization's coverage of a shared patient, not its payers."""
    actor = coordinator(COORDINATION_SLUG)
    shared = PatientShare.objects.filter(organization=actor.organization).values_list("patient", flat=True)
    covered = Patient.objects.filter(pk__in=shared, coverages__status=CoverageStatus.ACTIVE).distinct()
    assert covered.exists()
    for patient in covered[:5]:
        seen = list(coverages_for_patient(actor, patient))
        assert seen
        assert all(c.organization_id == patient.organization_id for c in seen)
    assert not Payer.objects.filter(organization=actor.organization).filter(coverages__patient__in=shared).exists()


def test_a_coordinator_sees_the_insurance_tab_with_coverage_and_authorizations(world, client):
    auth = PriorAuthorization.objects.filter(status=PriorAuthStatus.DENIED, organization__slug="northside").first()
    actor = actor_for(auth.created_by, auth.organization)
    client.force_login(actor.user)
    page = client.get(reverse("coverage:patient_insurance", args=[auth.patient.public_id]))
    assert page.status_code == 200
    body = page.content.decode()
    assert auth.coverage.payer.name in body
    assert auth.coverage.member_id in body  # a coordinator may see the member ID
    assert auth.service in body
    assert "Your payer directory is empty" not in body
