"""Screening to the chart, the directory, referrals both sides, the overdue job - against the real database."""

import datetime as dt

import pytest
import time_machine

from carecoord.careplans.models import Task
from carecoord.community import services
from carecoord.community.choices import Need, ReferralStatus
from carecoord.community.domain import zip_code_center
from carecoord.community.models import Referral, ReferralEvent, ResourceLocation
from carecoord.community.selectors import directory_search, incoming_referral_get, referral_get, zip_centroid
from carecoord.core.audit import AuditEvent
from carecoord.core.choices import Role
from carecoord.core.errors import InvalidStateError, NotFoundError, PermissionDeniedError, ValidationError
from carecoord.patients.models import Condition
from carecoord.patients.selectors import patient_get

from ..factories import make_actor
from .factories import AgencyFactory, ServiceFactory, offered_at
from .test_screening import answers

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def screen(actor, patient, **changes):
    return services.screening_record(actor=actor, patient=patient, answers=answers(**changes), occurred_at=NOW)


def test_positive_domains_become_health_concerns_once(actor, patient):
    screening, added = screen(actor, patient, food_1="LA6729-3", transportation="LA33-6")
    assert screening.needs == [Need.FOOD_INSECURITY, Need.TRANSPORTATION_INSECURITY]
    codes = sorted(Condition.objects.filter(patient=patient).values_list("code", "category", "code_system"))
    assert codes == [
        ("713458007", "health-concern", "http://snomed.info/sct"),
        ("733423003", "health-concern", "http://snomed.info/sct"),
    ]
    assert {c.onset_date for c in added} == {dt.date(2026, 3, 10)}
    _, again = screen(actor, patient, food_2="LA28397-0")
    assert again == []  # still active: not added twice
    assert Condition.objects.filter(patient=patient).count() == 2
    assert AuditEvent.objects.filter(event="screening.create", patient_public_id=patient.public_id).count() == 2


def test_a_negative_screen_adds_nothing_and_a_bad_one_nothing_at_all(actor, patient):
    screening, added = screen(actor, patient)
    assert (screening.needs, added) == ([], [])
    with pytest.raises(ValidationError, match="Answer every question"):
        services.screening_record(actor=actor, patient=patient, answers={"food-1": "LA6729-3"}, occurred_at=NOW)
    assert patient.social_screenings.count() == 1


def test_screening_needs_a_visible_patient_and_an_editor(patient, other_actor, org):
    with pytest.raises(NotFoundError):
        screen(other_actor, patient)
    with pytest.raises(PermissionDeniedError):
        screen(make_actor(org, Role.SCHEDULER), patient)


def test_directory_search_by_need_zip_distance_language_and_age(actor, org, pantry_service):
    far = ServiceFactory(agency=AgencyFactory(organization=org), name="Suburban pantry", languages=",en,")
    offered_at(far, postal_code="60540", latitude=41.7508, longitude=-88.1535)  # Naperville, ~28 miles
    teens = ServiceFactory(agency=far.agency, name="Teen meals", minimum_age=13, maximum_age=19)
    offered_at(teens, postal_code="60614", latitude=41.925, longitude=-87.65)
    ServiceFactory(agency=far.agency, name="Bus passes", needs=",transportation-insecurity,")

    hits, origin = directory_search(actor, need=Need.FOOD_INSECURITY, postal_code="60614", age=40)
    assert [h.service.name for h in hits] == ["Weekly groceries", "Suburban pantry"]
    assert origin == pytest.approx((41.9229, -87.6483), abs=1e-3)  # the ZIP's centre from the US table
    assert hits[0].distance < 1
    assert 20 < hits[1].distance < 35
    near, _ = directory_search(actor, need=Need.FOOD_INSECURITY, postal_code="60614", radius_miles=10, age=40)
    assert [h.service.name for h in near] == ["Weekly groceries"]
    spanish, _ = directory_search(actor, language="es")
    assert [h.service.name for h in spanish] == ["Weekly groceries"]
    teen, _ = directory_search(actor, need=Need.FOOD_INSECURITY, postal_code="60614", age=15, radius_miles=5)
    assert {h.service.name for h in teen} == {"Teen meals", "Weekly groceries"}


@pytest.mark.parametrize(
    ("zip_code", "place"),
    [
        ("60660", dict(postal_code="60640", latitude=41.9688, longitude=-87.6594)),  # Broadway at Lawrence, Uptown
        ("60540", dict(postal_code="60563", latitude=41.7895, longitude=-88.1690)),  # north Naperville
    ],
)
def test_a_zip_without_listed_services_finds_those_nearby(actor, org, zip_code, place):
    nearby = ServiceFactory(agency=AgencyFactory(organization=org), name="Nearby pantry")
    offered_at(nearby, **place)
    assert not ResourceLocation.objects.filter(postal_code__startswith=zip_code).exists()
    hits, origin = directory_search(actor, need=Need.FOOD_INSECURITY, postal_code=zip_code, radius_miles=5)
    assert origin == zip_code_center(zip_code)
    assert [h.service.name for h in hits] == ["Nearby pantry"]
    assert 1 < hits[0].distance < 2.5
    assert directory_search(actor, need=Need.FOOD_INSECURITY, postal_code=zip_code, radius_miles=1)[0] == []


def test_a_zip_unknown_to_the_table_falls_back_to_the_directory(actor, org, pantry_service):
    assert zip_code_center("60627") is None  # an unassigned Chicago ZIP code, standing in for a newer one
    newer = ServiceFactory(agency=AgencyFactory(organization=org), name="New-ZIP pantry")
    offered_at(newer, postal_code="60627", latitude=41.9000, longitude=-87.7000)
    assert zip_centroid(actor, "60627") == pytest.approx((41.9, -87.7))
    hits, origin = directory_search(actor, need=Need.FOOD_INSECURITY, postal_code="60627", radius_miles=5)
    assert origin == pytest.approx((41.9, -87.7))
    assert [(h.service.name, h.distance) for h in hits] == [("New-ZIP pantry", 0.0), ("Weekly groceries", 2.9)]


def test_a_zip_unknown_to_the_table_and_the_directory_matches_by_zip_only(actor, pantry_service):
    assert zip_centroid(actor, "99999") is None
    hits, origin = directory_search(actor, postal_code="99999")
    assert (hits, origin) == ([], None)


def test_a_known_zip_far_from_every_service_finds_none_within_the_radius(actor, pantry_service):
    hits, origin = directory_search(actor, postal_code="99501", radius_miles=25)  # Anchorage
    assert hits == []
    assert origin == pytest.approx((61.2, -149.9), abs=0.1)


def test_deactivated_services_and_agencies_are_not_found(actor, pantry_service):
    services.service_set_status(actor=actor, service=pantry_service, status="inactive")
    assert directory_search(actor, need=Need.FOOD_INSECURITY)[0] == []
    services.service_set_status(actor=actor, service=pantry_service, status="active")
    services.agency_set_active(actor=actor, agency=pantry_service.agency, active=False)
    assert directory_search(actor, need=Need.FOOD_INSECURITY)[0] == []


def test_the_directory_is_the_organizations_own(actor, other_actor, pantry_service):
    assert directory_search(other_actor, need=Need.FOOD_INSECURITY)[0] == []
    with pytest.raises(NotFoundError):
        services.service_save(actor=other_actor, service=pantry_service, data={"name": "Mine"}, expected_version=1)


def send(actor, patient, service, **extra):
    fields = {
        "need": Need.FOOD_INSECURITY,
        "reason": "Runs out of food before payday.",
        "consent_by": "Rosa Delgado",
        "consent_method": "Verbal",
        "consent_on": dt.date(2026, 3, 10),
        "respond_by": dt.date(2026, 3, 17),
    }
    return services.referral_send(actor=actor, patient=patient, service=service, **{**fields, **extra})


def test_a_referral_closes_the_loop_with_the_receiving_organization(actor, patient, pantry_service, pantry_actor):
    referral = send(actor, patient, pantry_service)
    assert referral.receiving_organization == pantry_actor.organization
    assert referral.patient_summary == {
        "name": "Rosa Delgado",
        "birth_date": patient.birth_date.isoformat(),
        "phone": "+13125550142",
        "preferred_language": "English",
        "interpreter_needed": False,
    }
    mine = incoming_referral_get(pantry_actor, referral.public_id)
    services.referral_set_status(actor=pantry_actor, referral=mine, status="accepted", expected_version=1)
    with pytest.raises(ValidationError, match="outcome"):
        services.referral_set_status(actor=pantry_actor, referral=mine, status="completed", expected_version=2)
    services.referral_set_status(
        actor=pantry_actor, referral=mine, status="completed", outcome="service-provided", expected_version=2,
        note="Picked up groceries twice.",
    )  # fmt: skip
    referral.refresh_from_db()
    assert (referral.status, referral.outcome, referral.closed_at) == ("completed", "service-provided", NOW)
    steps = list(ReferralEvent.objects.filter(referral=referral).values_list("to_status", "by_organization__name"))
    assert steps == [("sent", "Lakeside Clinic"), ("accepted", "Northside Food Pantry"),
                     ("completed", "Northside Food Pantry")]  # fmt: skip


def test_the_receiver_sees_the_referral_but_never_the_chart(actor, patient, pantry_service, pantry_actor):
    referral = send(actor, patient, pantry_service)
    with pytest.raises(NotFoundError):
        patient_get(pantry_actor, patient.public_id)
    with pytest.raises(NotFoundError):
        referral_get(pantry_actor, referral.public_id)  # the sender's view of it (with the chart) stays closed
    with pytest.raises(NotFoundError):
        screen(pantry_actor, patient)
    assert incoming_referral_get(pantry_actor, referral.public_id) == referral


def test_who_may_move_a_referral(actor, other_actor, patient, pantry_service, pantry_actor):
    referral = send(actor, patient, pantry_service)
    with pytest.raises(InvalidStateError, match="answers this referral in CareCoord"):
        services.referral_set_status(actor=actor, referral=referral, status="accepted", expected_version=1)
    with pytest.raises(InvalidStateError, match="Only the referring organization"):
        services.referral_set_status(actor=pantry_actor, referral=referral, status="cancelled", expected_version=1)
    with pytest.raises(NotFoundError):
        services.referral_set_status(actor=other_actor, referral=referral, status="cancelled", expected_version=1)
    with pytest.raises(ValidationError, match="why"):
        services.referral_set_status(actor=pantry_actor, referral=referral, status="declined", expected_version=1)
    services.referral_set_status(actor=actor, referral=referral, status="cancelled", expected_version=1, note="Moved")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.CANCELLED


def test_sender_records_answers_for_a_receiver_without_carecoord(actor, org, patient):
    service = ServiceFactory(agency=AgencyFactory(organization=org, name="Church pantry"))
    referral = send(actor, patient, service)
    assert referral.receiving_organization is None
    services.referral_set_status(actor=actor, referral=referral, status="accepted", expected_version=1)
    services.referral_set_status(
        actor=actor, referral=referral, status="completed", outcome="partly-provided", expected_version=2
    )
    assert Referral.objects.get(pk=referral.pk).outcome == "partly-provided"


def test_an_outcome_must_fit_the_status(actor, org, patient, pantry_service, pantry_actor):
    referral = send(actor, patient, pantry_service)
    with pytest.raises(ValidationError, match="not an outcome of a declined referral") as caught:
        services.referral_set_status(actor=pantry_actor, referral=referral, status="declined", expected_version=1,
                                     outcome="service-provided", note="Out of stock")  # fmt: skip
    assert caught.value.field == "outcome"
    with pytest.raises(ValidationError, match="has no outcome yet"):
        services.referral_set_status(actor=pantry_actor, referral=referral, status="accepted", expected_version=1,
                                     outcome="service-provided")  # fmt: skip
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT
    services.referral_set_status(actor=pantry_actor, referral=referral, status="declined", expected_version=1,
                                 outcome="no-capacity", note="Out of stock")  # fmt: skip
    assert Referral.objects.get(pk=referral.pk).outcome == "no-capacity"
    other = send(actor, patient, ServiceFactory(agency=AgencyFactory(organization=org, name="Church pantry")))
    services.referral_set_status(actor=actor, referral=other, status="accepted", expected_version=1)
    with pytest.raises(ValidationError, match="not an outcome of a cancelled referral"):
        services.referral_set_status(actor=actor, referral=other, status="cancelled", expected_version=2,
                                     outcome="partly-provided")  # fmt: skip


def test_referral_needs_consent_and_a_service_of_the_directory(actor, other_org, patient, pantry_service):
    with pytest.raises(ValidationError, match="consent"):
        send(actor, patient, pantry_service, consent_by=" ")
    foreign = ServiceFactory(agency=AgencyFactory(organization=other_org))
    with pytest.raises(ValidationError, match="your directory"):
        send(actor, patient, foreign)
    with pytest.raises(ValidationError, match="past"):
        send(actor, patient, pantry_service, respond_by=dt.date(2026, 3, 9))
    assert not Referral.objects.exists()


def test_stale_answers_are_refused(actor, patient, pantry_service, pantry_actor):
    referral = send(actor, patient, pantry_service)
    services.referral_set_status(actor=pantry_actor, referral=referral, status="received", expected_version=1)
    with pytest.raises(Exception, match="Someone else saved"):
        services.referral_set_status(actor=pantry_actor, referral=referral, status="accepted", expected_version=1)


def test_overdue_referrals_go_on_the_worklist_once(actor, org, patient, pantry_service, pantry_actor):
    due = send(actor, patient, pantry_service)
    answered = send(actor, patient, pantry_service, need=Need.TRANSPORTATION_INSECURITY)
    services.referral_set_status(actor=pantry_actor, referral=answered, status="declined", expected_version=1,
                                 note="No capacity")  # fmt: skip
    assert services.referral_overdue_tasks_create(organization=org) == []  # not due yet
    with time_machine.travel(NOW + dt.timedelta(days=8), tick=False):
        (task,) = services.referral_overdue_tasks_create(organization=org)
        assert services.referral_overdue_tasks_create(organization=org) == [task]  # deduplicated
    assert (task.source, task.kind, task.focus_id, task.owner_role) == ("community", "referral", due.public_id,
                                                                         "coordinator")  # fmt: skip
    assert task.title == "Referral overdue: food insecurity for Delgado, Rosa"
    assert Task.objects.filter(organization=org).count() == 1
    assert not Task.objects.filter(organization=pantry_actor.organization).exists()


def test_the_periodic_job_is_registered():
    from carecoord.core.periodic import REGISTRY

    assert "carecoord.community.jobs.create_overdue_referral_tasks" in REGISTRY


def test_thresholds_are_set_by_admins(org, actor):
    admin = make_actor(org, Role.ORG_ADMIN)
    row = services.threshold_set(actor=admin, program="snap", state="IL", percent=165, source="IL BBCE")
    again = services.threshold_set(actor=admin, program="snap", state="IL", percent=160)
    assert (row.pk, again.percent) == (again.pk, 160)
    with pytest.raises(PermissionDeniedError):
        services.threshold_set(actor=actor, program="snap", state="IL", percent=200)
