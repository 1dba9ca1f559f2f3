"""
A shared patient's records across organizations (docs/security.md, "A shared patient's records";
`patients.selectors.readable_writers_q`): the home organization reads what a partner recorded about its patient
(a care plan, a call, a medication list), on the web pages and through FHIR, and that work counts for it; a second
partner and an organization the patient is not shared with read none of it; changing a record stays with the
organization that wrote it.
"""

import datetime as dt

import pytest
from django.urls import reverse

from carecoord.careplans import services as careplans
from carecoord.careplans.selectors import careplan_get, careplans_for_patient
from carecoord.checkins import services as checkins
from carecoord.checkins.selectors import outreach_for_patient
from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError, PermissionDeniedError
from carecoord.medications import services as medications
from carecoord.medications.selectors import lists_for_patient
from carecoord.patients.models import PatientShare
from carecoord.patients.selectors import may_read_record, readable_writers_q
from tests.factories import OrganizationFactory, PatientFactory, make_actor, share_by_consent

SIGNED = dt.date(2026, 11, 1)
CALLED = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(db):
    home_org = OrganizationFactory(name="Lakeshore General", slug="lakeshore")
    partner_org = OrganizationFactory(name="Prairie Care", slug="prairie", kind="coordination_organization")
    second_org = OrganizationFactory(name="Maple Grove", slug="maple")
    outsider_org = OrganizationFactory(name="Northside", slug="northside")
    home = make_actor(home_org, Role.COORDINATOR)
    partner = make_actor(partner_org, Role.COORDINATOR)
    patient = PatientFactory(organization=home_org, family_name="Sharedhome")
    share_by_consent(home, patient, partner_org, signed_on=SIGNED)
    share_by_consent(home, patient, second_org, signed_on=SIGNED)
    plan = careplans.careplan_create(
        actor=partner,
        patient=patient,
        data={"title": "Prairie outreach plan", "category": "chronic", "start_date": dt.date(2026, 11, 20)},
    )
    call = checkins.outreach_record(
        actor=partner, patient=patient, method="phone", outcome="reached", occurred_at=CALLED
    )
    med_list = medications.medication_list_create(
        actor=partner,
        patient=patient,
        source="patient",
        list_date=dt.date(2026, 11, 20),
        lines=[{"display": "Metformin 500 mg", "rxnorm_code": "861007", "dose": "500 mg", "frequency_code": "bid"}],
    )
    return {
        "home": home,
        "partner": partner,
        "second": make_actor(second_org, Role.COORDINATOR),
        "outsider": make_actor(outsider_org, Role.COORDINATOR),
        "patient": patient,
        "plan": plan,
        "call": call,
        "list": med_list,
    }


def test_the_home_organization_reads_what_a_partner_recorded(world):
    home, patient = world["home"], world["patient"]
    assert list(careplans_for_patient(home, patient)) == [world["plan"]]
    assert careplan_get(home, world["plan"].public_id) == world["plan"]
    assert list(outreach_for_patient(home, patient)) == [world["call"]]
    assert list(lists_for_patient(home, patient)) == [world["list"]]


def test_a_second_partner_reads_none_of_the_first_partners_work(world):
    second, patient = world["second"], world["patient"]
    assert list(careplans_for_patient(second, patient)) == []
    with pytest.raises(NotFoundError):
        careplan_get(second, world["plan"].public_id)
    assert list(outreach_for_patient(second, patient)) == []
    assert list(lists_for_patient(second, patient)) == []


def test_an_organization_the_patient_is_not_shared_with_reads_nothing(world):
    outsider = world["outsider"]
    with pytest.raises(NotFoundError):
        careplan_get(outsider, world["plan"].public_id)
    assert list(outreach_for_patient(outsider, world["patient"])) == []


def test_the_home_organization_cannot_change_a_partners_plan_or_list(world):
    home, plan = world["home"], world["plan"]
    with pytest.raises(PermissionDeniedError, match="Prairie Care"):
        careplans.careplan_update(actor=home, careplan=plan, data={"title": "Renamed"}, expected_version=plan.version)
    with pytest.raises(NotFoundError, match="Only the organization that recorded a list"):
        medications.medication_list_enter_in_error(actor=home, medication_list=world["list"])
    plan.refresh_from_db()
    assert plan.title == "Prairie outreach plan"


def test_the_home_organization_keeps_reading_after_the_share_ends(world):
    home, partner, patient = world["home"], world["partner"], world["patient"]
    PatientShare.objects.filter(patient=patient, organization=partner.organization).update(revoked_at=CALLED)
    with pytest.raises(NotFoundError):
        careplan_get(partner, world["plan"].public_id)  # the partner loses the patient, and its own plan with it
    assert careplan_get(home, world["plan"].public_id) == world["plan"]  # the work was done for the home's patient


def test_the_plan_page_says_whose_plan_it_is_and_offers_no_edit(world, client_for):
    url = reverse("careplans:detail", args=[world["plan"].public_id])
    page = client_for(world["home"]).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Prairie Care wrote this plan" in text
    assert "your organization can add its own tasks" in text
    assert client_for(world["second"]).get(url).status_code == 404
    chart_plans = reverse("careplans:patient_careplans", args=[world["patient"].public_id])
    assert "Prairie outreach plan" in client_for(world["home"]).get(chart_plans).content.decode()
    assert "Prairie outreach plan" not in client_for(world["second"]).get(chart_plans).content.decode()


def test_fhir_search_gives_the_home_organization_the_partners_plan_and_no_one_else(world, fhir_as):
    subject = {"subject": f"Patient/{world['patient'].public_id}"}
    plan_id = str(world["plan"].public_id)

    def plan_ids(organization) -> list[str]:
        response = fhir_as(organization).get("CarePlan", subject)
        assert response.status_code == 200, response.content
        return [entry["resource"]["id"] for entry in response.json().get("entry", [])]

    assert plan_ids(world["home"].organization) == [plan_id]
    assert plan_ids(world["partner"].organization) == [plan_id]
    assert plan_ids(world["second"].organization) == []
    assert fhir_as(world["home"].organization).get(f"CarePlan/{plan_id}").status_code == 200
    assert fhir_as(world["second"].organization).get(f"CarePlan/{plan_id}").status_code == 404


def test_the_rule_for_one_record_and_for_many_agree(world):
    """`may_read_record` and `readable_writers_q` are the same rule: checked on every pair of reader and writer."""
    patient = world["patient"]
    actors = [world[name] for name in ("home", "partner", "second", "outsider")]
    for reader in actors:
        for writer in actors:
            expected = reader.organization.pk in (writer.organization.pk, patient.organization_id) or (
                writer.organization.pk == patient.organization_id
            )
            assert may_read_record(reader, writer.organization.pk, patient.organization_id) is expected
            plan_count = type(world["plan"]).objects.filter(pk=world["plan"].pk)
            plan_count.update(organization=writer.organization)
            for rule in (readable_writers_q(reader, patient), readable_writers_q(reader)):
                assert plan_count.filter(rule).exists() is expected, (reader, writer)


def test_the_home_organizations_check_ins_tab_names_the_partner_who_called(world, client_for):
    url = reverse("checkins:patient_checkins", args=[world["patient"].public_id])
    page = client_for(world["home"]).get(url).content.decode()
    assert f"by {world['partner'].user.full_name}, Prairie Care" in page
    assert world["call"].task is None or world["call"].task.get_absolute_url() not in page  # the task is Prairie's
    assert "Prairie Care" not in client_for(world["second"]).get(url).content.decode()
