"""The demo's community health center: its children on school plans, its adults' state benefits work."""

import zoneinfo
from collections import Counter

import pytest

from carecoord.careplans.models import CarePlan, Task
from carecoord.community.choices import ReferralStatus
from carecoord.community.models import Referral
from carecoord.core import clock
from carecoord.core.choices import OrganizationKind, Role
from carecoord.core.models import Membership
from carecoord.coverage.choices import ApplicationStatus, FundingProgram, ProductType
from carecoord.coverage.models import ApplicationDocument, Coverage, FundingApplication
from carecoord.demo.world import DEMO_PATIENTS, TENANTS
from carecoord.patients.models import Patient

pytestmark = pytest.mark.django_db
TODAY = clock.today_in(zoneinfo.ZoneInfo("America/Chicago"))
SCHOOL = "pediatric-school-readiness"
BACK_TO_SCHOOL = "pediatric-back-to-school"


@pytest.fixture
def chc(world):
    return world.organizations["riverside"]


def test_the_shares_still_make_two_hundred_patients():
    assert sum(t.patient_share for t in TENANTS) == pytest.approx(1.0)
    assert sum(round(DEMO_PATIENTS * t.patient_share) for t in TENANTS) == DEMO_PATIENTS


def test_the_health_center_has_patients_and_staff_in_every_role(chc):
    assert chc.kind == OrganizationKind.COMMUNITY_HEALTH_CENTER
    assert (chc.name, chc.state, chc.timezone) == ("Riverside Community Health Center", "IL", "America/Chicago")
    roles = Counter(Membership.objects.filter(organization=chc).values_list("role", flat=True))
    assert set(roles) == set(Role.values)
    assert roles[Role.COORDINATOR] >= 2
    assert Membership.objects.filter(organization=chc, user__email="lucia.morales@riverside.demo").exists()
    assert Patient.objects.filter(organization=chc).count() >= 15


def test_children_from_three_are_on_the_school_plan_for_their_age(chc):
    children = [p for p in Patient.objects.filter(organization=chc) if 3 <= p.age_on(TODAY) < 18]
    assert len(children) >= 5
    plans = CarePlan.objects.filter(organization=chc, template__key__in=(SCHOOL, BACK_TO_SCHOOL), patient__in=children)
    on_plan = dict(plans.values_list("patient_id", "template__key"))
    # Readiness is for starting school (3 to 5); a school-age child gets the back-to-school plan.
    assert on_plan == {p.pk: SCHOOL if p.age_on(TODAY) <= 5 else BACK_TO_SCHOOL for p in children}
    assert BACK_TO_SCHOOL in on_plan.values()
    # The plans are real worklist: tasks owned by the health center's coordinators.
    tasks = Task.objects.filter(careplan__in=plans)
    assert tasks.exists()
    owners = set(tasks.exclude(owner=None).values_list("owner_id", flat=True))
    assert owners
    assert owners <= set(Membership.objects.filter(organization=chc).values_list("user_id", flat=True))


def test_adults_have_benefit_applications_in_several_statuses(chc):
    apps = FundingApplication.objects.filter(organization=chc).select_related("patient")
    adults = [a for a in apps if a.patient.age_on(TODAY) >= 18]
    assert len(adults) >= 5
    names = {a.program_name for a in apps}
    assert any("SNAP" in n for n in names) or any("LIHEAP" in n for n in names)
    assert {a.program for a in apps} & {FundingProgram.MEDICAID, FundingProgram.MSP, FundingProgram.CHIP}
    statuses = {a.status for a in apps}
    assert ApplicationStatus.APPROVED in statuses
    assert statuses & {ApplicationStatus.PREPARING, ApplicationStatus.SUBMITTED}
    for app in apps:
        assert app.patient.organization_id == chc.pk
        if app.status in (ApplicationStatus.APPROVED, ApplicationStatus.DENIED):
            assert app.submitted_on <= app.decided_on <= TODAY
    # Open applications missing documents put "Get ..." tasks on the worklist.
    preparing = apps.filter(status=ApplicationStatus.PREPARING, documents__received_at=None).distinct()
    missing = list(preparing)
    assert missing
    for app in missing:
        assert Task.objects.filter(focus_id=app.public_id, title__startswith="Get ").exists()
    # Their checklists show documents already received, with who marked them.
    received = ApplicationDocument.objects.filter(organization=chc).exclude(received_at=None)
    assert received.exists()
    assert not received.filter(received_by=None).exists()
    for document in received.select_related("application"):  # on the story's dates, not the build's
        assert document.application.created_at < document.received_at <= document.application.updated_at
    # No other demo organization has this work.
    assert not FundingApplication.objects.exclude(organization=chc).exists()


def test_adults_are_referred_to_community_services_and_many_have_medicaid(chc):
    referrals = Referral.objects.filter(organization=chc).select_related("patient", "service")
    assert referrals.count() >= 5
    assert all(r.patient.age_on(TODAY) >= 18 and r.service is not None for r in referrals)
    assert all(r.sent_at <= clock.now() and r.consent_on <= TODAY for r in referrals)
    assert {r.status for r in referrals} & {ReferralStatus.COMPLETED}
    assert {r.status for r in referrals} & {ReferralStatus.SENT, ReferralStatus.ACCEPTED}
    primaries = Coverage.objects.filter(organization=chc, order=1)
    medicaid = primaries.filter(product_type=ProductType.MEDICAID).count()
    assert medicaid >= primaries.count() / 3
