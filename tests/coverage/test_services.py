"""Payers, coverages in order, and eligibility checks, against the real database."""

import datetime as dt

import pytest

from carecoord.careplans.models import Task
from carecoord.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import AuditEvent
from carecoord.coverage import services
from carecoord.coverage.models import Coverage, EligibilityCheck
from carecoord.coverage.selectors import coverages_for_patient, coverages_visible_to
from carecoord.coverage.x12 import parse_270

from ..factories import PatientFactory, PractitionerFactory
from .factories import make_coverage, make_payer, x12_sample


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Adaeze", family_name="Okafor", birth_date=dt.date(1958, 4, 12))


def orders(actor, patient):
    return [(c.plan_name, c.order) for c in coverages_for_patient(actor, patient, include_ended=False)]


def test_payer_ids_are_unique_in_an_organization(actor, other_actor):
    make_payer(actor, payer_id="60054")
    with pytest.raises(ValidationError, match="already has the payer ID 60054"):
        make_payer(actor, name="Other", payer_id="60054")
    make_payer(other_actor, payer_id="60054")  # another organization's directory is its own


def test_coverages_stay_in_order_without_gaps(actor, patient):
    payer = make_payer(actor)
    make_coverage(actor, patient, payer, plan_name="A")
    make_coverage(actor, patient, payer, plan_name="B")
    assert orders(actor, patient) == [("A", 1), ("B", 2)]
    c = make_coverage(actor, patient, payer, plan_name="C", position=1)
    assert c.order == 1
    assert orders(actor, patient) == [("C", 1), ("A", 2), ("B", 3)]
    a = Coverage.objects.get(plan_name="A")
    services.coverage_update(actor=actor, coverage=a, data={}, expected_version=a.version, position=3)
    assert orders(actor, patient) == [("C", 1), ("B", 2), ("A", 3)]
    c.refresh_from_db()
    services.coverage_end(actor=actor, coverage=c, end_date=dt.date(2026, 2, 1), expected_version=c.version)
    assert orders(actor, patient) == [("B", 1), ("A", 2)]
    assert [cov.status for cov in coverages_for_patient(actor, patient)].count("cancelled") == 1


def test_coverage_rules(actor, patient):
    payer = make_payer(actor)
    with pytest.raises(ValidationError, match="member ID"):
        make_coverage(actor, patient, payer, member_id="")
    with pytest.raises(ValidationError, match="Name the subscriber"):
        make_coverage(actor, patient, payer, relationship="child")
    with pytest.raises(ValidationError, match="ends before it starts"):
        make_coverage(actor, patient, payer, end_date=dt.date(2025, 1, 1))
    self_pay = services.coverage_add(actor=actor, patient=patient, data={"product_type": "self_pay"})
    assert self_pay.payer is None
    assert self_pay.order == 1


def test_a_stale_edit_is_refused(actor, patient):
    coverage = make_coverage(actor, patient)
    services.coverage_update(actor=actor, coverage=coverage, data={"plan_name": "X"}, expected_version=coverage.version)
    with pytest.raises(Exception, match="Someone else saved"):
        services.coverage_update(actor=actor, coverage=coverage, data={"plan_name": "Y"}, expected_version=1)


def test_another_organization_cannot_add_or_see(actor, other_actor, patient):
    make_coverage(actor, patient)
    with pytest.raises(NotFoundError):
        make_coverage(other_actor, patient)
    assert not coverages_visible_to(other_actor).exists()
    foreign_payer = make_payer(other_actor, payer_id="Z")
    with pytest.raises(NotFoundError):
        services.coverage_add(
            actor=actor, patient=patient, data={"product_type": "medicare", "member_id": "1", "payer": foreign_payer}
        )


def test_an_x12_check_makes_a_270_for_the_coverage(actor, patient):
    payer = make_payer(actor, name="Aetna", payer_id="60054")
    coverage = make_coverage(actor, patient, payer, member_id="W987")
    doctor = PractitionerFactory(organization=actor.organization, npi="1234567893", family_name="Varga")
    check = services.eligibility_check_start(
        actor=actor, coverage=coverage, service_types=["30", "98"], provider=doctor, service_date=dt.date(2026, 3, 2)
    )
    facts = parse_270(check.request_x12)
    assert (facts.payer_id, facts.member_id, facts.provider_npi) == ("60054", "W987", "1234567893")
    assert (facts.subscriber.family_name, facts.subscriber.birth_date) == ("OKAFOR", dt.date(1958, 4, 12))
    assert facts.service_types == ("30", "98")
    assert facts.service_date == dt.date(2026, 3, 2)
    assert facts.trace_number == check.trace_number
    assert facts.control_number == check.control_number
    assert check.status == "pending"
    assert AuditEvent.objects.filter(event="eligibility.start", patient_public_id=patient.public_id).exists()


def test_a_child_is_asked_about_as_the_dependent(actor, patient):
    coverage = make_coverage(actor, patient, relationship="child", subscriber_family_name="Okafor",
                             subscriber_given_name="Chidi")  # fmt: skip
    check = services.eligibility_check_start(actor=actor, coverage=coverage)
    facts = parse_270(check.request_x12)
    assert facts.subscriber.given_name == "CHIDI"
    assert facts.dependent.given_name == "ADAEZE"


def test_x12_needs_the_payer_id(actor, patient):
    coverage = make_coverage(actor, patient, make_payer(actor, payer_id=""))
    with pytest.raises(ValidationError, match="payer ID"):
        services.eligibility_check_start(actor=actor, coverage=coverage)


def _answer_for(check, sample="subscriber-health-benefit-check.271") -> str:
    return x12_sample(sample).replace("93175-012547", check.trace_number)


def test_uploading_the_271_updates_the_check(actor, patient):
    check = services.eligibility_check_start(actor=actor, coverage=make_coverage(actor, patient))
    check = services.eligibility_response_upload(actor=actor, check=check, text=_answer_for(check))
    check.refresh_from_db()
    assert check.status == "active"
    assert check.plan_name == "GOLD 123 PLAN"
    assert {b["code"] for b in check.benefits} == {"1", "L", "B"}
    assert check.response_x12.startswith("ISA*")
    assert check.responded_at is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (x12_sample("subscriber-health-benefit-check-error.271"), "malformed"),
        (x12_sample("subscriber-health-benefit-check.271"), "answers another inquiry"),
        ("hello", "not an X12 file"),
    ],
)
def test_a_bad_271_changes_nothing(actor, patient, text, message):
    check = services.eligibility_check_start(actor=actor, coverage=make_coverage(actor, patient))
    with pytest.raises(ValidationError, match=message):
        services.eligibility_response_upload(actor=actor, check=check, text=text)
    check.refresh_from_db()
    assert check.status == "pending"
    assert check.response_x12 == ""
    assert check.version == 1


def test_an_inactive_result_puts_one_task_on_the_worklist(actor, patient):
    coverage = make_coverage(actor, patient)
    check = services.eligibility_result_record(actor=actor, coverage=coverage, method="portal", status="inactive")
    task = Task.objects.get(focus_id=check.public_id)
    assert task.source == "coverage"
    assert task.priority == "urgent"
    check2 = services.eligibility_check_start(actor=actor, coverage=coverage)
    inactive = (
        _answer_for(check2)
        .replace("EB*1**30**GOLD 123 PLAN~", "EB*6**30**GOLD 123 PLAN~")
        .replace("EB*1**1^33", "EB*6**1^33")
    )
    services.eligibility_response_upload(actor=actor, check=check2, text=inactive)
    assert EligibilityCheck.objects.get(pk=check2.pk).status == "inactive"
    assert Task.objects.filter(source="coverage").count() == 2


def test_a_shared_organization_reads_but_cannot_change(actor, patient, other_org):
    from carecoord.core.choices import Role
    from carecoord.patients.models import Consent, PatientShare

    from ..factories import make_actor

    coverage = make_coverage(actor, patient)
    consent = Consent.objects.create(organization=actor.organization, patient=patient, grantee=other_org,
                                     signed_on=dt.date(2026, 1, 1), signed_by="A", method="form",
                                     recorded_by=actor.user)  # fmt: skip
    PatientShare.objects.create(patient=patient, organization=other_org, consent=consent, granted_by=actor.user)
    partner = make_actor(other_org, Role.COORDINATOR)
    assert list(coverages_for_patient(partner, patient)) == [coverage]
    with pytest.raises(PermissionDeniedError):
        services.coverage_update(actor=partner, coverage=coverage, data={}, expected_version=coverage.version)
