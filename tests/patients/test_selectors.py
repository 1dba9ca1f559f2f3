"""Reads on the patient registry: visibility, opening a chart, search and duplicate candidates."""

import datetime as dt
import uuid

import pytest
import time_machine

from carecoord.core.access import Actor
from carecoord.core.choices import AuditAction, AuditOutcome, Role
from carecoord.core.errors import NotFoundError
from carecoord.core.models import AuditEvent
from carecoord.patients import services
from carecoord.patients.choices import ConsentStatus
from carecoord.patients.models import CareTeamMember, Consent
from carecoord.patients.selectors import (
    duplicate_candidates,
    patient_get,
    patient_search,
    patients_visible_to,
    visible_patient_ids,
)
from tests.factories import OrganizationFactory, PatientFactory, make_actor

NOW = dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def smith(actor):
    return PatientFactory(organization=actor.organization, given_name="John", family_name="Smith", mrn="AB-1001",
                          birth_date=dt.date(1948, 3, 7), phone_primary="+13125550142",
                          phone_secondary="+17735550199")  # fmt: skip


@pytest.fixture
def others(actor):
    """Patients who must not turn up in searches for `smith`."""
    return [
        PatientFactory(organization=actor.organization, given_name="Mary", family_name="Jones", mrn="AB-1002",
                       birth_date=dt.date(1948, 7, 3), phone_primary="+13125550143"),
        PatientFactory(organization=actor.organization, given_name="Joanna", family_name="Goldsmith",
                       mrn="AB-1003", birth_date=dt.date(1960, 1, 1)),
    ]  # fmt: skip


def share(patient, home_actor, grantee_org, **consent_fields):
    values = {"signed_on": TODAY, "signed_by": "The patient", "method": "Signed form"} | consent_fields
    consent = services.consent_record(actor=home_actor, patient=patient, grantee=grantee_org, **values)
    return services.share_grant(actor=home_actor, patient=patient, consent=consent)


# --- patients_visible_to ----------------------------------------------------------------------------------


def test_the_home_organization_sees_its_patients(actor, smith, others, other_actor):
    PatientFactory(organization=other_actor.organization)
    assert set(patients_visible_to(actor)) == {smith, *others}


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.COORDINATOR, True),
        (Role.PROVIDER, True),
        (Role.SUPERVISOR, True),
        (Role.SCHEDULER, True),
        (Role.ORG_ADMIN, True),
        (Role.AUDITOR, False),
    ],
)
def test_visibility_by_role(org, smith, role, sees):
    assert patients_visible_to(make_actor(org, role)).exists() is sees


def test_no_actor_or_no_roles_sees_nothing(org, smith):
    assert not patients_visible_to(None).exists()
    assert not patients_visible_to(Actor(user=make_actor(org).user, organization=org)).exists()


def test_an_unrelated_organization_sees_nothing(other_actor, smith):
    assert not patients_visible_to(other_actor).exists()


def test_a_shared_organization_sees_the_shared_patient_only(actor, other_actor, smith, others):
    share(smith, actor, other_actor.organization)
    own = PatientFactory(organization=other_actor.organization)
    assert set(patients_visible_to(other_actor)) == {smith, own}
    assert not patients_visible_to(make_actor(other_actor.organization, Role.AUDITOR)).exists()
    third = make_actor(OrganizationFactory())
    assert not patients_visible_to(third).exists()


def test_a_revoked_share_hides_the_patient(actor, other_actor, smith):
    granted = share(smith, actor, other_actor.organization)
    services.share_revoke(actor=actor, share=granted, withdraw_consent=False)
    assert not patients_visible_to(other_actor).exists()


def test_a_share_ends_when_its_consent_expires(actor, other_actor, smith, fixed_clock):
    share(smith, actor, other_actor.organization, expires_on=TODAY + dt.timedelta(days=10))
    fixed_clock.move_to(NOW + dt.timedelta(days=10))
    assert patients_visible_to(other_actor).exists()  # the last day of the consent
    fixed_clock.move_to(NOW + dt.timedelta(days=11))
    assert not patients_visible_to(other_actor).exists()
    with pytest.raises(NotFoundError):
        patient_get(other_actor, smith.public_id)
    assert patients_visible_to(actor).exists()


def test_a_share_ends_when_its_consent_is_withdrawn(actor, other_actor, smith):
    granted = share(smith, actor, other_actor.organization)
    Consent.objects.filter(pk=granted.consent_id).update(status=ConsentStatus.INACTIVE)
    assert not patients_visible_to(other_actor).exists()


def test_visible_patient_ids_are_the_visible_patients(actor, other_actor, smith, others, fixed_clock):
    """The UNION read of the ids keeps every rule of the single query: restriction, deletion, shares in force."""
    restricted = PatientFactory(organization=actor.organization, restricted=True)
    on_my_team = PatientFactory(organization=actor.organization, restricted=True)
    CareTeamMember.objects.create(
        organization=actor.organization, patient=on_my_team, role="coordinator", user=actor.user, start_date=TODAY
    )
    PatientFactory(organization=actor.organization, deleted_at=NOW)
    theirs = [PatientFactory(organization=other_actor.organization) for _ in range(4)]
    share(theirs[0], other_actor, actor.organization)
    services.share_revoke(actor=other_actor, share=share(theirs[1], other_actor, actor.organization),
                          withdraw_consent=False)  # fmt: skip
    share(theirs[2], other_actor, actor.organization, expires_on=TODAY + dt.timedelta(days=1))
    fixed_clock.move_to(NOW + dt.timedelta(days=2))  # the last one's consent has expired
    for who in (actor, other_actor, make_actor(actor.organization, Role.SCHEDULER)):
        ids = visible_patient_ids(who)
        assert sorted(ids) == sorted(patients_visible_to(who).values_list("pk", flat=True))
    assert set(visible_patient_ids(actor)) == {p.pk for p in (smith, *others, on_my_team, theirs[0])}
    assert restricted.pk not in visible_patient_ids(actor)
    assert len(visible_patient_ids(actor, limit=2)) == 2
    assert visible_patient_ids(make_actor(actor.organization, Role.AUDITOR)) == []
    assert visible_patient_ids(None) == []


# --- patient_get ------------------------------------------------------------------------------------------


def test_patient_get_audits_the_view(actor, smith):
    assert patient_get(actor, smith.public_id) == smith
    assert patient_get(actor, str(smith.public_id), audit_event="patient.print") == smith
    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.event, e.action, e.outcome) for e in events] == [
        ("patient.view", AuditAction.READ, AuditOutcome.SUCCESS),
        ("patient.print", AuditAction.READ, AuditOutcome.SUCCESS),
    ]
    assert all(e.patient_public_id == smith.public_id for e in events)
    assert all(e.tenant_organization == actor.organization for e in events)


def test_patient_get_without_auditing(actor, smith):
    assert patient_get(actor, smith.public_id, audit_event=None) == smith
    assert not AuditEvent.objects.exists()


def test_a_shared_patient_is_opened_for_the_grantee_and_audited_for_the_home(actor, other_actor, smith):
    share(smith, actor, other_actor.organization)
    before = AuditEvent.objects.count()
    assert patient_get(other_actor, smith.public_id) == smith
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert (event.acting_organization, event.tenant_organization) == (other_actor.organization, actor.organization)


def assert_one_denied_without_phi(actor, patient=None):
    (event,) = AuditEvent.objects.all()
    assert event.event == "patient.view"
    assert event.outcome == AuditOutcome.DENIED
    assert event.user == actor.user
    assert event.acting_organization == actor.organization
    assert event.patient_public_id is None
    if patient is not None:
        text = " ".join(str(v) for v in (event.detail, event.object_id, event.object_type, event.user_agent))
        for phi in (patient.given_name, patient.family_name, patient.mrn, str(patient.birth_date)):
            assert phi not in text
    return event


def test_a_foreign_patient_is_not_found_and_the_attempt_is_audited(other_actor, smith):
    with pytest.raises(NotFoundError) as info:
        patient_get(other_actor, smith.public_id)
    assert info.value.message == "Not found."
    event = assert_one_denied_without_phi(other_actor, smith)
    assert event.detail == {"requested": str(smith.public_id)}


def test_a_missing_patient_looks_exactly_like_a_foreign_one(actor, other_actor, smith):
    with pytest.raises(NotFoundError) as foreign:
        patient_get(other_actor, smith.public_id)
    with pytest.raises(NotFoundError) as missing:
        patient_get(other_actor, uuid.uuid4())
    assert foreign.value.message == missing.value.message
    assert foreign.value.field == missing.value.field


@pytest.mark.parametrize("bad", ["not-a-uuid", "", "1 OR 1=1", None, 12345])
def test_a_bad_id_is_not_found_and_audited(actor, bad):
    with pytest.raises(NotFoundError):
        patient_get(actor, bad)
    event = assert_one_denied_without_phi(actor)
    assert event.detail == {"requested": str(bad)[:64]}


def test_an_auditor_cannot_open_a_chart(org, smith):
    auditor = make_actor(org, Role.AUDITOR)
    with pytest.raises(NotFoundError):
        patient_get(auditor, smith.public_id)
    assert_one_denied_without_phi(auditor, smith)


# --- patient_search ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["smith", "Smith", "smi", "smi jo", "jo smi", "JOHN SMITH", "smith, john", " s j "])
def test_search_by_name_prefixes_in_any_order(actor, smith, others, query):
    assert list(patient_search(actor, query)) == [smith]


@pytest.mark.parametrize("query", ["mith", "ohn", "smith mary", "smithe"])
def test_search_by_name_matches_only_word_prefixes(actor, smith, others, query):
    assert smith not in patient_search(actor, query)


def test_search_by_name_ignores_accents_and_apostrophes(actor):
    patient = PatientFactory(organization=actor.organization, given_name="José", family_name="O'Néill",
                             mrn="X1")  # fmt: skip
    for query in ("jose", "José", "oneill", "O'Neill", "o\u2019ne jo"):
        assert list(patient_search(actor, query)) == [patient], query


def test_search_finds_a_preferred_name(actor):
    patient = services.patient_register(
        actor=actor, data={"mrn": "X2", "given_name": "Margaret", "family_name": "Olsen", "preferred_name": "Peggy",
                           "birth_date": dt.date(1940, 1, 2)},
    )  # fmt: skip
    assert list(patient_search(actor, "peg ols")) == [patient]


@pytest.mark.parametrize("query", ["1948-03-07", "03/07/1948", "3/7/1948", "03-07-1948"])
def test_search_by_date_of_birth(actor, smith, others, query):
    assert list(patient_search(actor, query)) == [smith]


@pytest.mark.parametrize("query", ["AB-1001", "ab-1001", " Ab-1001 "])
def test_search_by_mrn_ignores_case(actor, smith, others, query):
    assert list(patient_search(actor, query)) == [smith]


@pytest.mark.parametrize(
    "query", ["(312) 555-0142", "312-555-0142", "312.555.0142", "3125550142", "+1 312 555 0142", "773 555 0199"]
)
def test_search_by_phone_in_any_format(actor, smith, others, query):
    assert list(patient_search(actor, query)) == [smith]


def test_search_never_crosses_organizations(actor, other_actor, smith):
    PatientFactory(organization=other_actor.organization, given_name="John", family_name="Smith", mrn="AB-1001",
                   birth_date=dt.date(1948, 3, 7), phone_primary="+13125550142")  # fmt: skip
    for query in ("smith", "AB-1001", "1948-03-07", "(312) 555-0142", ""):
        assert list(patient_search(actor, query)) == [smith], query


def test_search_finds_shared_patients(actor, other_actor, smith):
    share(smith, actor, other_actor.organization)
    assert list(patient_search(other_actor, "smi jo")) == [smith]


def test_an_empty_query_lists_visible_patients_by_name(actor, smith, others):
    assert [p.family_name for p in patient_search(actor, "  ")] == ["Goldsmith", "Jones", "Smith"]


def test_search_with_wildcards_matches_nothing_special(actor, smith, others):
    for query in ("%", "_", "%mith", "__"):
        assert list(patient_search(actor, query)) == [], query


def test_an_auditor_searches_nothing(org, smith):
    assert not patient_search(make_actor(org, Role.AUDITOR), "smith").exists()


# --- duplicate_candidates ---------------------------------------------------------------------------------


def test_duplicate_candidates_rank_the_likely_match_first(actor, other_actor):
    born = dt.date(1950, 4, 2)
    exact = PatientFactory(organization=actor.organization, given_name="Rosa", family_name="Delgado",
                           birth_date=born)  # fmt: skip
    typo = PatientFactory(organization=actor.organization, given_name="Rossa", family_name="Delgado",
                          birth_date=dt.date(1950, 2, 4))  # fmt: skip
    PatientFactory(organization=actor.organization, given_name="Maria", family_name="Delgado", birth_date=born)
    PatientFactory(organization=actor.organization, given_name="Rosa", family_name="Delgado",
                   birth_date=dt.date(1971, 8, 19))  # fmt: skip
    PatientFactory(organization=other_actor.organization, given_name="Rosa", family_name="Delgado",
                   birth_date=born)  # fmt: skip
    assert duplicate_candidates(actor, given_name="Rosa", family_name="Delgado", birth_date=born) == [exact, typo]


def test_duplicate_candidates_match_a_preferred_name_and_swapped_names(actor):
    born = dt.date(1940, 1, 2)
    peggy = PatientFactory(organization=actor.organization, given_name="Margaret", preferred_name="Peggy",
                           family_name="Olsen", birth_date=born)  # fmt: skip
    assert duplicate_candidates(actor, given_name="Peggy", family_name="Olsen", birth_date=born) == [peggy]
    assert duplicate_candidates(actor, given_name="Olsen", family_name="Margaret", birth_date=born) == [peggy]


def test_duplicate_candidates_are_at_most_five(actor):
    born = dt.date(1950, 4, 2)
    for _ in range(7):
        PatientFactory(organization=actor.organization, given_name="Rosa", family_name="Delgado", birth_date=born)
    assert len(duplicate_candidates(actor, given_name="Rosa", family_name="Delgado", birth_date=born)) == 5


def test_no_duplicate_candidates_for_a_new_person(actor, smith, others):
    assert duplicate_candidates(actor, given_name="Rosa", family_name="Delgado", birth_date=dt.date(1950, 4, 2)) == []


def test_the_row_by_row_filter_agrees_with_patients_visible_to(actor, other_actor, smith, others, fixed_clock):
    """`visible_patient_q` (used for large patient-scoped lists) keeps exactly the rule of patients_visible_to."""
    from carecoord.careplans.models import Task
    from carecoord.patients.selectors import visible_patient_q

    granted = share(smith, actor, other_actor.organization, expires_on=TODAY + dt.timedelta(days=3))
    own = PatientFactory(organization=other_actor.organization)
    for patient in [smith, *others, own]:
        Task.objects.create(organization=other_actor.organization, patient=patient, kind="call", title="Call",
                            owner_role="coordinator")  # fmt: skip

    def seen_by_rows():
        return {t.patient for t in Task.objects.filter(visible_patient_q(other_actor))}

    assert seen_by_rows() == set(patients_visible_to(other_actor)) == {smith, own}
    fixed_clock.move_to(NOW + dt.timedelta(days=4))
    assert seen_by_rows() == set(patients_visible_to(other_actor)) == {own}
    services.share_revoke(actor=actor, share=granted, withdraw_consent=False)
    assert not Task.objects.filter(visible_patient_q(make_actor(other_actor.organization, Role.AUDITOR))).exists()
