"""Writes on the patient registry (patients.services) against the real database."""

import datetime as dt

import pytest
import time_machine

from carecoord.core.choices import AuditAction, AuditOutcome, Role
from carecoord.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import AuditEvent
from carecoord.patients import services
from carecoord.patients.choices import ConsentScope, ConsentStatus
from carecoord.patients.models import CareTeamMember, Condition, Consent, Patient, PatientShare, RelatedPerson
from carecoord.patients.selectors import patient_get, patients_visible_to
from carecoord.patients.services import PossibleDuplicateError
from tests.factories import (
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    RelatedPersonFactory,
    UserFactory,
    make_actor,
)

NOW = dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC)  # 10:00 in Chicago
TODAY = dt.date(2026, 6, 15)
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def registration(**overrides) -> dict:
    data = {
        "mrn": "A100", "given_name": "Rosa", "family_name": "Delgado", "birth_date": dt.date(1950, 4, 2),
        "gender": "female", "sex_at_birth": "F", "phone_primary": "(312) 555-0142", "email": "Rosa.D@Example.org",
        "state": "IL", "preferred_language": "es",
    }  # fmt: skip
    return data | overrides


class AuditWatch:
    """The audit events written inside the `with` block."""

    def __enter__(self):
        last = AuditEvent.objects.order_by("-id").first()
        self.since = last.pk if last else 0
        return self

    def __exit__(self, *exc):
        return False

    @property
    def events(self) -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(id__gt=self.since).order_by("id"))

    def one(self, event: str, *, actor, patient, action: str | None = None) -> AuditEvent:
        events = self.events
        assert [e.event for e in events] == [event]
        (entry,) = events
        assert entry.user == actor.user
        assert entry.acting_organization == actor.organization
        assert entry.tenant_organization_id == patient.organization_id
        assert entry.patient_public_id == patient.public_id
        assert entry.outcome == AuditOutcome.SUCCESS
        if action:
            assert entry.action == action
        return entry


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Patient, RelatedPerson, CareTeamMember, Condition, Consent, PatientShare, AuditEvent)
    }


@pytest.fixture
def patient(actor):
    return PatientFactory(organization=actor.organization, given_name="Rosa", family_name="Delgado",
                          birth_date=dt.date(1950, 4, 2), mrn="A100")  # fmt: skip


def shared(patient, home_actor, grantee_org, **consent_overrides):
    """Shares `patient` with `grantee_org` under a fresh consent; returns (consent, share)."""
    values = {"grantee": grantee_org, "signed_on": TODAY, "signed_by": "Rosa Delgado", "method": "Signed form"}
    consent = services.consent_record(actor=home_actor, patient=patient, **(values | consent_overrides))
    return consent, services.share_grant(actor=home_actor, patient=patient, consent=consent)


# --- patient_register -------------------------------------------------------------------------------------


def test_register_normalizes_and_audits(actor):
    with AuditWatch() as audit:
        patient = services.patient_register(actor=actor, data=registration(preferred_name="Rosie"))
    patient.refresh_from_db()
    assert patient.organization == actor.organization
    assert patient.phone_primary == "+13125550142"
    assert patient.email == "rosa.d@example.org"
    assert patient.search_name == " rosa delgado rosie "
    assert patient.version == 1
    entry = audit.one("patient.create", actor=actor, patient=patient, action=AuditAction.CREATE)
    assert entry.detail == {"possible_duplicate_overridden": False}
    assert "Rosa" not in str(entry.detail)


def test_register_ignores_fields_that_are_not_demographics(actor, other_org):
    patient = services.patient_register(
        actor=actor, data=registration(organization=other_org, version=99, active=False, search_name="x")
    )
    patient.refresh_from_db()
    assert patient.organization == actor.organization
    assert patient.version == 1
    assert patient.active


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"birth_date": dt.date(2026, 6, 16)}, "birth_date"),  # tomorrow
        ({"birth_date": dt.date(1899, 12, 31)}, "birth_date"),
        ({"birth_date": "1950-04-02"}, "birth_date"),
        ({"birth_date": None}, "birth_date"),
        ({"phone_primary": "555-0100"}, "phone_primary"),
        ({"phone_primary": "12345"}, "phone_primary"),
        ({"phone_secondary": "call me"}, "phone_secondary"),
        ({"email": "rosa@"}, "email"),
        ({"email": "not an email"}, "email"),
        ({"given_name": ""}, "given_name"),
        ({"given_name": "   "}, "given_name"),
        ({"family_name": ""}, "family_name"),
        ({"mrn": " "}, "mrn"),
        ({"state": "XX"}, "state"),
        ({"postal_code": "ZZZ"}, "postal_code"),
        ({"postal_code": "6060"}, "postal_code"),
        ({"postal_code": "60601-12"}, "postal_code"),
        ({"postal_code": "60601 1234"}, "postal_code"),
        ({"gender": "robot"}, "gender"),
        ({"preferred_language": "xx"}, "preferred_language"),
        ({"given_name": "R" * 101}, "given_name"),
    ],
)
def test_register_rejects_bad_input_and_writes_nothing(actor, overrides, field):
    before = counts()
    with pytest.raises(ValidationError) as info:
        services.patient_register(actor=actor, data=registration(**overrides))
    assert info.value.field == field
    assert info.value.message
    assert counts() == before


def test_register_reports_every_bad_field_at_once(actor):
    before = counts()
    bad = {"given_name": "", "birth_date": dt.date(2030, 1, 1), "phone_primary": "abc", "postal_code": "ZZZ"}
    with pytest.raises(ValidationError) as info:
        services.patient_register(actor=actor, data=registration(**bad))
    assert set(info.value.field_errors) == {"given_name", "birth_date", "phone_primary", "postal_code"}
    assert info.value.field_errors["birth_date"] == ["The date of birth cannot be in the future."]
    assert (info.value.field, info.value.message) == ("birth_date", "The date of birth cannot be in the future.")
    assert counts() == before


@pytest.mark.parametrize(
    ("typed", "kept"), [("60601", "60601"), (" 60601-1234 ", "60601-1234"), ("606011234", "60601-1234"), ("", "")]
)
def test_register_keeps_a_us_zip_code_or_zip_plus_4(actor, typed, kept):
    assert services.patient_register(actor=actor, data=registration(postal_code=typed)).postal_code == kept


@pytest.mark.parametrize("born", [dt.date(1900, 1, 1), TODAY])
def test_register_accepts_the_edge_birth_dates(actor, born):
    assert services.patient_register(actor=actor, data=registration(birth_date=born)).birth_date == born


def test_register_judges_a_future_birth_date_in_the_organizations_time_zone(actor, fixed_clock):
    fixed_clock.move_to(dt.datetime(2026, 6, 16, 3, 0, tzinfo=dt.UTC))  # still June 15 in Chicago
    with pytest.raises(ValidationError) as info:
        services.patient_register(actor=actor, data=registration(birth_date=dt.date(2026, 6, 16)))
    assert info.value.field == "birth_date"


@pytest.mark.parametrize("mrn", ["A100", "a100", " A100 "])
def test_register_refuses_a_taken_mrn_in_the_same_organization(actor, patient, mrn):
    before = counts()
    with pytest.raises(ConflictError) as info:
        services.patient_register(
            actor=actor, data=registration(mrn=mrn, given_name="Other", family_name="Person"),
            allow_possible_duplicate=True,
        )  # fmt: skip
    assert info.value.field == "mrn"
    assert counts() == before


def test_the_same_mrn_in_another_organization_is_fine(actor, other_actor, patient):
    other = services.patient_register(actor=other_actor, data=registration(mrn="A100"))
    assert other.organization == other_actor.organization


@pytest.mark.parametrize(
    "overrides",
    [
        {"given_name": "Rosa", "family_name": "Delgado"},
        {"given_name": "Delgado", "family_name": "Rosa"},
        {"given_name": "Rossa", "family_name": "Delgado"},
        {"birth_date": dt.date(1950, 2, 4)},
    ],
)
def test_register_stops_at_a_possible_duplicate(actor, patient, overrides):
    before = counts()
    with pytest.raises(PossibleDuplicateError) as info:
        services.patient_register(actor=actor, data=registration(mrn="B200", **overrides))
    assert info.value.candidates == [patient]
    assert isinstance(info.value, ConflictError)
    assert counts() == before


def test_register_anyway_when_confirmed_not_a_duplicate(actor, patient):
    with AuditWatch() as audit:
        created = services.patient_register(actor=actor, data=registration(mrn="B200"), allow_possible_duplicate=True)
    entry = audit.one("patient.create", actor=actor, patient=created)
    assert entry.detail == {"possible_duplicate_overridden": True}
    assert Patient.objects.filter(organization=actor.organization).count() == 2


def test_patients_of_other_organizations_are_not_duplicate_candidates(actor, other_actor, patient):
    assert services.patient_register(actor=other_actor, data=registration(mrn="B200"))


def test_register_needs_a_role_that_registers_patients(org):
    """The scheduler (front desk) registers patients (tests/patients/test_scheduler_registration.py)."""
    with pytest.raises(PermissionDeniedError):
        services.patient_register(actor=make_actor(org, Role.AUDITOR), data=registration())
    assert not Patient.objects.exists()


# --- patient_update ---------------------------------------------------------------------------------------


def test_update_saves_and_audits_the_changed_fields(actor, patient):
    with AuditWatch() as audit:
        updated = services.patient_update(
            actor=actor, patient=patient, expected_version=patient.version,
            data={"given_name": "Rosalia", "phone_primary": "312.555.0199", "city": "Chicago"},
        )  # fmt: skip
    patient.refresh_from_db()
    assert (patient.given_name, patient.phone_primary, patient.city) == ("Rosalia", "+13125550199", "Chicago")
    assert patient.search_name == " rosalia delgado "
    assert patient.version == updated.version == 2
    entry = audit.one("patient.update", actor=actor, patient=patient, action=AuditAction.UPDATE)
    assert entry.detail == {"fields": ["city", "given_name", "phone_primary"]}


def test_update_does_not_report_a_phone_typed_differently_as_changed(actor, patient):
    Patient.objects.filter(pk=patient.pk).update(phone_primary="+13125550142", email="rosa@example.org")
    with AuditWatch() as audit:
        services.patient_update(
            actor=actor, patient=patient, expected_version=patient.version,
            data={"phone_primary": "(312) 555-0142", "email": "Rosa@Example.org", "city": "Evanston"},
        )  # fmt: skip
    assert audit.events[0].detail == {"fields": ["city"]}


def test_two_edits_from_the_same_version_the_second_conflicts(actor, patient):
    colleague = make_actor(actor.organization, Role.COORDINATOR)
    version = patient.version
    services.patient_update(actor=actor, patient=patient, data={"city": "Chicago"}, expected_version=version)
    with AuditWatch() as audit, pytest.raises(ConflictError) as info:
        services.patient_update(actor=colleague, patient=patient, data={"city": "Joliet", "given_name": "Rose"},
                                expected_version=version)  # fmt: skip
    assert info.value.field is None
    assert "reload" in info.value.message
    patient.refresh_from_db()
    assert (patient.city, patient.given_name, patient.version) == ("Chicago", "Rosa", version + 1)
    assert audit.events == []


def test_update_with_bad_input_changes_nothing(actor, patient):
    with AuditWatch() as audit, pytest.raises(ValidationError) as info:
        services.patient_update(actor=actor, patient=patient, data={"city": "Chicago", "birth_date": TODAY
                                + dt.timedelta(days=1)}, expected_version=patient.version)  # fmt: skip
    assert info.value.field == "birth_date"
    patient.refresh_from_db()
    assert patient.city == ""
    assert patient.version == 1
    assert audit.events == []


def test_update_reports_every_bad_field_at_once_and_changes_nothing(actor, patient):
    data = {"city": "Chicago", "family_name": "", "birth_date": dt.date(2030, 1, 1), "phone_secondary": "abc"}
    with AuditWatch() as audit, pytest.raises(ValidationError) as info:
        services.patient_update(actor=actor, patient=patient, data=data, expected_version=patient.version)
    assert set(info.value.field_errors) == {"family_name", "birth_date", "phone_secondary"}
    patient.refresh_from_db()
    assert (patient.city, patient.family_name, patient.version) == ("", "Delgado", 1)
    assert audit.events == []


def test_update_refuses_a_postal_code_that_is_not_a_zip_code(actor, patient):
    with AuditWatch() as audit, pytest.raises(ValidationError) as info:
        services.patient_update(actor=actor, patient=patient, data={"city": "Cicero", "postal_code": "ZZZ"},
                                expected_version=patient.version)  # fmt: skip
    assert info.value.field == "postal_code"
    assert "ZIP" in info.value.message
    patient.refresh_from_db()
    assert (patient.city, patient.postal_code, patient.version) == ("", "", 1)
    assert audit.events == []


def test_update_refuses_a_taken_mrn(actor, patient):
    other = PatientFactory(organization=actor.organization, mrn="B200")
    with pytest.raises(ConflictError) as info:
        services.patient_update(actor=actor, patient=other, data={"mrn": "a100"}, expected_version=other.version)
    assert info.value.field == "mrn"


def test_roles_that_do_not_register_patients_cannot_update(org, patient):
    with pytest.raises(PermissionDeniedError):
        services.patient_update(
            actor=make_actor(org, Role.AUDITOR), patient=patient, data={"city": "X"}, expected_version=1
        )
    patient.refresh_from_db()
    assert patient.city == ""


def test_another_organization_cannot_update_and_learns_nothing(other_actor, patient):
    with pytest.raises(NotFoundError) as info:
        services.patient_update(actor=other_actor, patient=patient, data={"city": "X"}, expected_version=1)
    assert info.value.message == "Not found."
    patient.refresh_from_db()
    assert patient.city == ""


# --- identifiers ------------------------------------------------------------------------------------------


def test_identifier_add_and_its_uniqueness(actor, patient):
    with AuditWatch() as audit:
        identifier = services.identifier_add(actor=actor, patient=patient, type="MA", system=" IL Medicaid ",
                                             value=" 123456789 ")  # fmt: skip
    assert (identifier.system, identifier.value) == ("IL Medicaid", "123456789")
    audit.one("identifier.create", actor=actor, patient=patient)
    other = PatientFactory(organization=actor.organization)
    with pytest.raises(ConflictError) as info:
        services.identifier_add(actor=actor, patient=other, type="MA", system="IL Medicaid", value="123456789")
    assert info.value.field == "value"
    with pytest.raises(ValidationError) as info:
        services.identifier_add(actor=actor, patient=other, type="ZZ", system="x", value="1")
    assert info.value.field == "type"


# --- related persons --------------------------------------------------------------------------------------


def test_related_person_add(actor, patient):
    with AuditWatch() as audit:
        person = services.related_person_add(
            actor=actor, patient=patient,
            data={"given_name": "Ana", "family_name": "Delgado", "relationship": "DAUC", "phone": "312 555 0143",
                  "may_receive_information": True, "organization": None},
        )  # fmt: skip
    assert person.phone == "+13125550143"
    assert person.organization == patient.organization
    audit.one("related_person.create", actor=actor, patient=patient, action=AuditAction.CREATE)


@pytest.mark.parametrize("contact", [{"email": "ana@example.org"}, {"address": "1 Main St, Chicago"}])
def test_related_person_needs_only_one_way_to_reach_them(actor, patient, contact):
    data = {"given_name": "Ana", "family_name": "Delgado", "relationship": "DAUC"} | contact
    assert services.related_person_add(actor=actor, patient=patient, data=data).pk


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "phone"),  # no way to reach them
        ({"phone": "555-0100"}, "phone"),
        ({"phone": "+13125550143", "relationship": "ALIEN"}, "relationship"),
        ({"email": "ana@"}, "email"),
        ({"phone": "+13125550143", "given_name": ""}, "given_name"),
    ],
)
def test_related_person_add_rejects_bad_input(actor, patient, data, field):
    values = {"given_name": "Ana", "family_name": "Delgado", "relationship": "DAUC"} | data
    before = counts()
    with pytest.raises(ValidationError) as info:
        services.related_person_add(actor=actor, patient=patient, data=values)
    assert info.value.field == field
    assert counts() == before


def test_related_person_update_is_versioned(actor, patient):
    person = RelatedPersonFactory(patient=patient)
    stale = RelatedPerson.objects.get(pk=person.pk)
    with AuditWatch() as audit:
        services.related_person_update(
            actor=actor, person=person, data={"note": "Calls on Sundays"}, expected_version=1
        )
    entry = audit.one("related_person.update", actor=actor, patient=patient, action=AuditAction.UPDATE)
    assert entry.detail == {"fields": ["note"]}
    with pytest.raises(ConflictError):
        services.related_person_update(actor=actor, person=stale, data={"note": "Other"}, expected_version=1)
    person.refresh_from_db()
    assert (person.note, person.version) == ("Calls on Sundays", 2)


def test_related_person_deactivate_ends_their_care_team_roles(actor, patient):
    person = RelatedPersonFactory(patient=patient)
    member = services.care_team_member_add(actor=actor, patient=patient, role="caregiver", related_person=person,
                                           start_date=dt.date(2026, 1, 1))  # fmt: skip
    with AuditWatch() as audit:
        services.related_person_deactivate(actor=actor, person=person)
    audit.one("related_person.deactivate", actor=actor, patient=patient)
    person.refresh_from_db()
    member.refresh_from_db()
    assert not person.active
    assert member.end_date == TODAY


# --- care team --------------------------------------------------------------------------------------------


def test_care_team_member_add_each_kind_of_member(actor, patient):
    colleague = make_actor(actor.organization, Role.PROVIDER).user
    practitioner = PractitionerFactory(organization=actor.organization)
    person = RelatedPersonFactory(patient=patient)
    start = dt.date(2026, 1, 1)
    with AuditWatch() as audit:
        services.care_team_member_add(actor=actor, patient=patient, role="coordinator", user=colleague,
                                      start_date=start)  # fmt: skip
    entry = audit.one("care_team.add", actor=actor, patient=patient, action=AuditAction.CREATE)
    assert entry.detail == {"role": "coordinator"}
    services.care_team_member_add(actor=actor, patient=patient, role="primary_care", practitioner=practitioner,
                                  start_date=start)  # fmt: skip
    services.care_team_member_add(actor=actor, patient=patient, role="caregiver", related_person=person,
                                  start_date=start, note="  Lives nearby ")  # fmt: skip
    kinds = sorted(m.member_kind for m in CareTeamMember.objects.filter(patient=patient))
    assert kinds == ["Family", "Practitioner", "Staff"]


def test_care_team_member_add_needs_exactly_one_member(actor, patient):
    practitioner = PractitionerFactory(organization=actor.organization)
    with pytest.raises(ValidationError):
        services.care_team_member_add(actor=actor, patient=patient, role="nurse", start_date=TODAY)
    with pytest.raises(ValidationError):
        services.care_team_member_add(actor=actor, patient=patient, role="nurse", start_date=TODAY,
                                      user=actor.user, practitioner=practitioner)  # fmt: skip
    assert not CareTeamMember.objects.exists()


def test_care_team_refuses_a_practitioner_of_another_organizations_directory(actor, other_org, patient):
    outsider = PractitionerFactory(organization=other_org)
    with pytest.raises(NotFoundError):
        services.care_team_member_add(actor=actor, patient=patient, role="specialist", practitioner=outsider,
                                      start_date=TODAY)  # fmt: skip
    assert not CareTeamMember.objects.exists()


def test_care_team_refuses_family_of_another_patient(actor, patient):
    stranger = RelatedPersonFactory(patient=PatientFactory(organization=actor.organization))
    with pytest.raises(NotFoundError):
        services.care_team_member_add(actor=actor, patient=patient, role="caregiver", related_person=stranger,
                                      start_date=TODAY)  # fmt: skip


def test_care_team_refuses_staff_of_other_organizations(actor, other_actor, patient):
    with pytest.raises(ValidationError) as info:
        services.care_team_member_add(actor=actor, patient=patient, role="nurse", user=other_actor.user,
                                      start_date=TODAY)  # fmt: skip
    assert info.value.field == "user"


def test_care_team_refuses_a_second_current_role_for_the_same_person(actor, patient):
    practitioner = PractitionerFactory(organization=actor.organization)
    first = services.care_team_member_add(actor=actor, patient=patient, role="primary_care",
                                          practitioner=practitioner, start_date=dt.date(2026, 1, 1))  # fmt: skip
    with pytest.raises(ConflictError):
        services.care_team_member_add(actor=actor, patient=patient, role="primary_care", practitioner=practitioner,
                                      start_date=TODAY)  # fmt: skip
    # Another role for the same person is fine; the same role again after the first one ended too.
    services.care_team_member_add(actor=actor, patient=patient, role="specialist", practitioner=practitioner,
                                  start_date=TODAY)  # fmt: skip
    services.care_team_member_end(actor=actor, member=first, end_date=dt.date(2026, 3, 1))
    services.care_team_member_add(actor=actor, patient=patient, role="primary_care", practitioner=practitioner,
                                  start_date=TODAY)  # fmt: skip
    assert CareTeamMember.objects.filter(role="primary_care").count() == 2


def test_care_team_refuses_an_overlapping_role_that_ends_in_the_future(actor, patient):
    practitioner = PractitionerFactory(organization=actor.organization)
    services.care_team_member_add(actor=actor, patient=patient, role="primary_care", practitioner=practitioner,
                                  start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31))  # fmt: skip
    with pytest.raises(ConflictError):
        services.care_team_member_add(actor=actor, patient=patient, role="primary_care",
                                      practitioner=practitioner, start_date=TODAY)  # fmt: skip
    assert CareTeamMember.objects.count() == 1


def test_care_team_period_and_role_are_checked(actor, patient):
    practitioner = PractitionerFactory(organization=actor.organization)
    with pytest.raises(ValidationError) as info:
        services.care_team_member_add(actor=actor, patient=patient, role="nurse", practitioner=practitioner,
                                      start_date=TODAY, end_date=TODAY - dt.timedelta(days=1))  # fmt: skip
    assert info.value.field == "end_date"
    with pytest.raises(ValidationError) as info:
        services.care_team_member_add(actor=actor, patient=patient, role="astronaut", practitioner=practitioner,
                                      start_date=TODAY)  # fmt: skip
    assert info.value.field == "role"
    member = services.care_team_member_add(actor=actor, patient=patient, role="nurse", practitioner=practitioner,
                                           start_date=TODAY)  # fmt: skip
    with pytest.raises(ValidationError) as info:
        services.care_team_member_end(actor=actor, member=member, end_date=TODAY - dt.timedelta(days=1))
    assert info.value.field == "end_date"
    with AuditWatch() as audit:
        services.care_team_member_end(actor=actor, member=member, end_date=TODAY)
    audit.one("care_team.end", actor=actor, patient=patient, action=AuditAction.UPDATE)


# --- conditions -------------------------------------------------------------------------------------------


def condition_data(**overrides) -> dict:
    return {"code_system": ICD, "code": "e119", "display": "Type 2 diabetes mellitus without complications",
            "onset_date": dt.date(2015, 6, 1)} | overrides  # fmt: skip


def test_condition_add_canonicalizes_the_code_and_audits(actor, patient):
    with AuditWatch() as audit:
        condition = services.condition_add(actor=actor, patient=patient, data=condition_data())
    assert condition.code == "E11.9"
    assert condition.recorded_by == actor.user
    entry = audit.one("condition.create", actor=actor, patient=patient, action=AuditAction.CREATE)
    assert entry.detail == {"code": "E11.9"}


@pytest.mark.parametrize(
    ("system", "code"), [(ICD, "U07.1"), (ICD, "J45.909"), (SNOMED, "44054006"), (SNOMED, "73211009")]
)
def test_condition_add_accepts_valid_codes(actor, patient, system, code):
    assert services.condition_add(actor=actor, patient=patient, data=condition_data(code_system=system, code=code))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "E1"}, "code"),
        ({"code": "11.9"}, "code"),
        ({"code_system": SNOMED, "code": "44054007"}, "code"),
        ({"code_system": "http://loinc.org", "code": "4548-4"}, "code"),
        ({"onset_date": dt.date(1949, 12, 31)}, "onset_date"),  # before birth
        ({"onset_date": TODAY + dt.timedelta(days=1)}, "onset_date"),
        ({"onset_date": dt.date(2020, 1, 1), "abatement_date": dt.date(2019, 1, 1)}, "abatement_date"),
        ({"display": ""}, "display"),
        ({"clinical_status": "cured"}, "clinical_status"),
    ],
)
def test_condition_add_rejects_bad_input(actor, patient, overrides, field):
    before = counts()
    with pytest.raises(ValidationError) as info:
        services.condition_add(actor=actor, patient=patient, data=condition_data(**overrides))
    assert info.value.field == field
    assert counts() == before


def test_condition_add_takes_only_condition_fields(actor, patient, other_org):
    other_patient = PatientFactory(organization=actor.organization)
    condition = services.condition_add(
        actor=actor, patient=patient,
        data=condition_data(patient=other_patient, organization=other_org, recorded_by=None, version=7),
    )  # fmt: skip
    condition.refresh_from_db()
    assert condition.patient == patient
    assert condition.organization == actor.organization
    assert condition.recorded_by == actor.user
    assert condition.version == 1


def test_condition_update_is_versioned(actor, patient):
    condition = services.condition_add(actor=actor, patient=patient, data=condition_data())
    stale = Condition.objects.get(pk=condition.pk)
    with AuditWatch() as audit:
        services.condition_update(actor=actor, condition=condition, data={"clinical_status": "resolved",
                                  "abatement_date": dt.date(2024, 1, 1)}, expected_version=1)  # fmt: skip
    entry = audit.one("condition.update", actor=actor, patient=patient, action=AuditAction.UPDATE)
    assert entry.detail == {"fields": ["abatement_date", "clinical_status"]}
    with pytest.raises(ConflictError):
        services.condition_update(actor=actor, condition=stale, data={"clinical_status": "active"},
                                  expected_version=1)  # fmt: skip
    condition.refresh_from_db()
    assert condition.clinical_status == "resolved"


def test_condition_update_cannot_move_a_condition_to_another_patient(actor, patient):
    condition = services.condition_add(actor=actor, patient=patient, data=condition_data())
    other_patient = PatientFactory(organization=actor.organization)
    services.condition_update(actor=actor, condition=condition, data={"patient": other_patient, "note": "x"},
                              expected_version=1)  # fmt: skip
    condition.refresh_from_db()
    assert condition.patient == patient
    assert condition.note == "x"


# --- consent and sharing ----------------------------------------------------------------------------------


def test_consent_record_and_share_grant_are_audited(actor, other_org, patient):
    with AuditWatch() as audit:
        consent = services.consent_record(actor=actor, patient=patient, grantee=other_org, signed_on=TODAY,
                                          signed_by=" Rosa Delgado ", method=" Signed form ")  # fmt: skip
    entry = audit.one("consent.create", actor=actor, patient=patient, action=AuditAction.CREATE)
    assert entry.detail == {"grantee": str(other_org.public_id)}
    assert (consent.signed_by, consent.method, consent.status) == ("Rosa Delgado", "Signed form", "active")
    with AuditWatch() as audit:
        share = services.share_grant(actor=actor, patient=patient, consent=consent)
    entry = audit.one("share.grant", actor=actor, patient=patient, action=AuditAction.CREATE)
    assert entry.tenant_organization == actor.organization  # the home organization, not the grantee
    assert share.organization == other_org
    assert share.granted_by == actor.user


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"signed_on": TODAY + dt.timedelta(days=1)}, "signed_on"),
        ({"expires_on": TODAY}, "expires_on"),
        ({"expires_on": TODAY - dt.timedelta(days=1)}, "expires_on"),
        ({"signed_by": "  "}, "signed_by"),
        ({"method": ""}, "method"),
    ],
)
def test_consent_record_rejects_bad_input(actor, other_org, patient, overrides, field):
    values = {"grantee": other_org, "signed_on": TODAY, "signed_by": "Rosa Delgado", "method": "Signed form"}
    before = counts()
    with pytest.raises(ValidationError) as info:
        services.consent_record(actor=actor, patient=patient, **(values | overrides))
    assert info.value.field == field
    assert counts() == before


def test_consent_cannot_name_the_home_organization(actor, patient):
    with pytest.raises(ValidationError) as info:
        services.consent_record(actor=actor, patient=patient, grantee=actor.organization, signed_on=TODAY,
                                signed_by="Rosa", method="Verbal")  # fmt: skip
    assert info.value.field == "grantee"


def test_share_grant_needs_a_consent_naming_a_grantee(actor, patient):
    consent = services.consent_record(actor=actor, patient=patient, grantee=None, signed_on=TODAY,
                                      signed_by="Rosa", method="Verbal")  # fmt: skip
    with pytest.raises(ValidationError) as info:
        services.share_grant(actor=actor, patient=patient, consent=consent)
    assert info.value.field == "consent"
    assert not PatientShare.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"status": ConsentStatus.INACTIVE},
        {"status": ConsentStatus.DRAFT},
        {"scope": ConsentScope.TREATMENT},
        {"expires_on": TODAY - dt.timedelta(days=1)},
    ],
)
def test_share_grant_refuses_an_inactive_or_expired_consent(actor, other_org, patient, change):
    consent = services.consent_record(actor=actor, patient=patient, grantee=other_org,
                                      signed_on=dt.date(2025, 1, 1), signed_by="Rosa", method="Verbal")  # fmt: skip
    Consent.objects.filter(pk=consent.pk).update(**change)
    consent.refresh_from_db()
    with pytest.raises(ValidationError) as info:
        services.share_grant(actor=actor, patient=patient, consent=consent)
    assert info.value.field == "consent"
    assert not PatientShare.objects.exists()


def test_a_consent_expiring_today_still_allows_sharing_today(actor, other_org, patient):
    consent = services.consent_record(actor=actor, patient=patient, grantee=other_org,
                                      signed_on=dt.date(2026, 1, 1), expires_on=TODAY, signed_by="Rosa",
                                      method="Verbal")  # fmt: skip
    assert services.share_grant(actor=actor, patient=patient, consent=consent)


def test_share_grant_refuses_a_consent_of_another_patient(actor, other_org, patient):
    other_patient = PatientFactory(organization=actor.organization)
    consent = services.consent_record(actor=actor, patient=other_patient, grantee=other_org, signed_on=TODAY,
                                      signed_by="X", method="Verbal")  # fmt: skip
    with pytest.raises(NotFoundError):
        services.share_grant(actor=actor, patient=patient, consent=consent)


def test_a_second_active_share_with_the_same_organization_conflicts(actor, other_org, patient):
    shared(patient, actor, other_org)
    consent = services.consent_record(actor=actor, patient=patient, grantee=other_org, signed_on=TODAY,
                                      signed_by="Rosa", method="Verbal")  # fmt: skip
    with pytest.raises(ConflictError):
        services.share_grant(actor=actor, patient=patient, consent=consent)
    assert PatientShare.objects.count() == 1


def test_revoke_hides_the_patient_from_the_grantee_at_once(actor, other_actor, patient):
    consent, share = shared(patient, actor, other_actor.organization)
    assert patient_get(other_actor, patient.public_id) == patient
    with AuditWatch() as audit:
        services.share_revoke(actor=actor, share=share)
    entry = audit.one("share.revoke", actor=actor, patient=patient, action=AuditAction.UPDATE)
    assert entry.detail == {"grantee": str(other_actor.organization.public_id)}
    assert not patients_visible_to(other_actor).filter(pk=patient.pk).exists()
    with pytest.raises(NotFoundError):
        patient_get(other_actor, patient.public_id)
    share.refresh_from_db()
    consent.refresh_from_db()
    assert share.revoked_by == actor.user
    assert share.revoked_at == NOW
    assert consent.status == ConsentStatus.INACTIVE
    with pytest.raises(ConflictError):
        services.share_revoke(actor=actor, share=share)


def test_a_withdrawn_consent_cannot_be_reused_to_share_again(actor, other_org, patient):
    consent, share = shared(patient, actor, other_org)
    services.share_revoke(actor=actor, share=share)  # withdraws the consent too
    with pytest.raises(ValidationError) as info:
        services.share_grant(actor=actor, patient=patient, consent=consent)  # `consent` was read before
    assert info.value.field == "consent"
    assert not patients_visible_to(make_actor(other_org)).exists()


def test_revoke_keeping_the_consent_allows_sharing_again(actor, other_org, patient):
    consent, share = shared(patient, actor, other_org)
    services.share_revoke(actor=actor, share=share, withdraw_consent=False)
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.ACTIVE
    assert services.share_grant(actor=actor, patient=patient, consent=consent)
    assert PatientShare.objects.filter(revoked_at__isnull=True).count() == 1


def test_the_grantee_adds_problems_but_not_registration_and_does_not_share_onward(actor, other_actor, patient):
    third = OrganizationFactory(name="Third Party")
    consent, share = shared(patient, actor, other_actor.organization)
    with AuditWatch() as audit:
        condition = services.condition_add(actor=other_actor, patient=patient, data=condition_data())
    entry = audit.one("condition.create", actor=other_actor, patient=patient)
    assert entry.acting_organization == other_actor.organization
    assert entry.tenant_organization == actor.organization
    assert condition.organization == patient.organization
    before = counts()
    with pytest.raises(PermissionDeniedError, match="keeps this patient's registration"):
        services.patient_update(actor=other_actor, patient=patient, data={"city": "Evanston"},
                                expected_version=patient.version)  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        services.consent_record(actor=other_actor, patient=patient, grantee=third, signed_on=TODAY,
                                signed_by="Rosa", method="Verbal")  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        services.share_grant(actor=other_actor, patient=patient, consent=consent)
    with pytest.raises(PermissionDeniedError):
        services.share_revoke(actor=other_actor, share=share)
    assert counts() == before


def test_unrelated_organizations_get_not_found_for_every_write(other_actor, patient):
    person = RelatedPersonFactory(patient=patient)
    attempts = [
        lambda: services.related_person_add(actor=other_actor, patient=patient, data={"given_name": "A",
                                            "family_name": "B", "relationship": "SIB", "phone": "+13125550143"}),
        lambda: services.related_person_deactivate(actor=other_actor, person=person),
        lambda: services.condition_add(actor=other_actor, patient=patient, data=condition_data()),
        lambda: services.identifier_add(actor=other_actor, patient=patient, type="MA", system="x", value="1"),
        lambda: services.care_team_member_add(actor=other_actor, patient=patient, role="nurse",
                                              user=other_actor.user, start_date=TODAY),
        lambda: services.consent_record(actor=other_actor, patient=patient, grantee=other_actor.organization,
                                        signed_on=TODAY, signed_by="X", method="Verbal"),
    ]  # fmt: skip
    before = counts()
    for attempt in attempts:
        with pytest.raises(NotFoundError):
            attempt()
    assert counts() == before


def test_share_with_consent_is_all_or_nothing(actor, other_org, patient):
    shared(patient, actor, other_org)
    before = counts()
    with pytest.raises(ConflictError):
        services.patient_share_with_consent(actor=actor, patient=patient, grantee=other_org, signed_on=TODAY,
                                            signed_by="Rosa", method="Verbal")  # fmt: skip
    assert counts() == before


def test_share_with_consent(actor, other_org, patient):
    with AuditWatch() as audit:
        share = services.patient_share_with_consent(actor=actor, patient=patient, grantee=other_org,
                                                    signed_on=TODAY, signed_by="Rosa", method="Verbal")  # fmt: skip
    assert [e.event for e in audit.events] == ["consent.create", "share.grant"]
    assert share.consent.grantee == other_org


def test_staff_of_the_home_organization_can_join_the_care_team_of_a_shared_patient(actor, other_actor, patient):
    shared(patient, actor, other_actor.organization)
    home_colleague = UserFactory()
    make_actor(actor.organization, Role.PROVIDER, user=home_colleague)
    for user in (other_actor.user, home_colleague):
        services.care_team_member_add(actor=other_actor, patient=patient, role="coordinator", user=user,
                                      start_date=TODAY)  # fmt: skip
    assert CareTeamMember.objects.filter(patient=patient).count() == 2
