"""Patient matching: identifier first, then demographics with documented thresholds; unsure -> review."""

import datetime as dt

import pytest

from carecoord.interop.hl7v2.matching import AUTO_MATCH, REVIEW, match_patient
from carecoord.interop.hl7v2.parse import Identifier, PatientData
from carecoord.patients.models import Patient, PatientIdentifier

from ...factories import PatientFactory

BORN = dt.date(1948, 3, 7)


def pid(**overrides) -> PatientData:
    values = {
        "identifiers": (Identifier("H5001", "LGH", "MR"), Identifier("123-45-6789", "USSSA", "SS")),
        "family_name": "DOE", "given_name": "JANE", "middle_name": "M", "birth_date": BORN, "sex": "F",
        "address_line1": "12 Elm St", "city": "Springfield", "state": "IL", "postal_code": "62701",
        "phone": "(217) 555-0143",
    }  # fmt: skip
    return PatientData(**{**values, **overrides})


@pytest.fixture
def jane(org):
    return PatientFactory(organization=org, given_name="Jane", family_name="Doe", birth_date=BORN, gender="female")


def test_thresholds_are_ordered():
    assert 0 < REVIEW < AUTO_MATCH <= 100


def test_an_identifier_from_the_same_authority_matches(org, jane):
    PatientIdentifier.objects.create(organization=org, patient=jane, type="MR", system="LGH", value="H5001")
    result = match_patient(org, pid(family_name="SMITH"), create_unknown=True)  # name changed since: still her
    assert (result.patient, result.how) == (jane, "identifier")


def test_the_same_number_from_another_authority_is_not_a_match(org, jane):
    PatientIdentifier.objects.create(organization=org, patient=jane, type="MR", system="OTHER", value="H5001")
    other = PatientFactory(organization=org, given_name="Zed", family_name="Quill", birth_date=dt.date(1990, 1, 1))
    result = match_patient(org, pid(), create_unknown=True)
    assert result.patient != other
    assert result.how == "demographics"  # found as Jane by name and birth date instead


def test_the_organizations_own_mrn_matches_when_it_is_the_authority(org, jane):
    result = match_patient(org, pid(identifiers=(Identifier(jane.mrn, org.slug, "MR"),)), create_unknown=True)
    assert (result.patient, result.how) == (jane, "identifier")


def test_an_identifier_with_another_birth_date_goes_to_review(org, jane):
    PatientIdentifier.objects.create(organization=org, patient=jane, type="MR", system="LGH", value="H5001")
    result = match_patient(org, pid(birth_date=dt.date(1950, 1, 1)), create_unknown=True)
    assert result.patient is None
    assert result.how == "review"
    assert result.candidates[0]["patient"] == str(jane.public_id)


def test_identifiers_naming_two_patients_go_to_review(org, jane):
    PatientIdentifier.objects.create(organization=org, patient=jane, type="MR", system="LGH", value="H5001")
    twin = PatientFactory(organization=org, birth_date=BORN)
    PatientIdentifier.objects.create(organization=org, patient=twin, type="MB", system="BCBS", value="M77")
    data = pid(identifiers=(Identifier("H5001", "LGH", "MR"), Identifier("M77", "BCBS", "MB")))
    assert match_patient(org, data, create_unknown=True).how == "review"


def test_a_certain_demographic_match_records_the_hospital_identifier_but_never_the_ssn(org, jane):
    result = match_patient(org, pid(), create_unknown=True)
    assert (result.patient, result.how) == (jane, "demographics")
    assert list(jane.identifiers.values_list("system", "value")) == [("LGH", "H5001")]
    assert match_patient(org, pid(), create_unknown=True).how == "identifier"  # next time


@pytest.mark.parametrize(
    "data",
    [pid(given_name="JEAN"),  # a close name
     pid(birth_date=dt.date(1948, 7, 3)),  # day and month swapped
     pid(sex="M")],  # administrative sex disagrees
)  # fmt: skip
def test_uncertain_matches_go_to_review_with_candidates(org, jane, data):
    result = match_patient(org, data, create_unknown=True)
    assert result.patient is None
    assert result.how == "review"
    assert [c["patient"] for c in result.candidates] == [str(jane.public_id)]
    assert 0 < result.candidates[0]["score"] <= 100


def test_two_equally_good_candidates_go_to_review(org, jane):
    PatientFactory(organization=org, given_name="Jane", family_name="Doe", birth_date=BORN, gender="female",
                   mrn="DUP-2")  # fmt: skip
    result = match_patient(org, pid(), create_unknown=True)
    assert result.how == "review"
    assert len(result.candidates) == 2


def test_an_unknown_patient_is_created_from_pid(org):
    result = match_patient(org, pid(), create_unknown=True)
    assert result.how == "created"
    patient = result.patient
    assert (patient.given_name, patient.middle_name, patient.family_name) == ("Jane", "M", "Doe")
    assert (patient.birth_date, patient.gender, patient.state, patient.phone_primary) == (BORN, "female", "IL",
                                                                                          "+12175550143")  # fmt: skip
    assert patient.mrn.startswith("H-")
    assert list(patient.identifiers.values_list("type", "system", "value")) == [("MR", "LGH", "H5001")]


def test_a_refused_address_does_not_stop_the_registration(org):
    result = match_patient(org, pid(phone="not a phone", postal_code="ABCDEFGHIJKLMNOP"), create_unknown=True)
    assert result.how == "created"
    assert result.patient.phone_primary == ""


def test_a_pid_zip_code_that_is_not_one_is_left_out_and_the_rest_of_the_address_kept(org):
    result = match_patient(org, pid(postal_code="ABCDE"), create_unknown=True)
    assert result.how == "created"
    patient = result.patient
    assert (patient.address_line1, patient.city, patient.state, patient.postal_code) == ("12 Elm St", "Springfield",
                                                                                         "IL", "")  # fmt: skip
    assert patient.phone_primary == "+12175550143"


def test_a_pid_zip_plus_4_is_kept_with_its_hyphen(org):
    assert match_patient(org, pid(postal_code="627011234"), create_unknown=True).patient.postal_code == "62701-1234"


def test_unknown_patients_go_to_review_when_the_feed_does_not_create_them(org):
    result = match_patient(org, pid(), create_unknown=False)
    assert result.how == "review"
    assert result.candidates == []
    assert not Patient.objects.exists()


def test_pid_without_a_birth_date_is_not_enough_for_a_new_record(org):
    assert match_patient(org, pid(birth_date=None), create_unknown=True).how == "review"


def test_another_organizations_patients_are_never_candidates(org, other_org):
    PatientFactory(organization=other_org, given_name="Jane", family_name="Doe", birth_date=BORN)
    result = match_patient(org, pid(), create_unknown=True)
    assert result.how == "created"
    assert result.patient.organization == org
