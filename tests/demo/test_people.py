"""The demo's pure makers: NPIs, phone numbers, birth dates and problem lists (no database)."""

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from carecoord.demo import clinical
from carecoord.demo.icd10 import ICD10
from carecoord.demo.people import PhoneBook, birth_date_for_age, npi_is_valid, npi_make
from carecoord.patients.domain import normalize_phone, validate_condition_code

TODAY = dt.date(2026, 11, 26)


def test_made_npis_pass_the_luhn_check_over_80840():
    rng, used = random.Random(1), set()
    npis = [npi_make(rng, used) for _ in range(500)]
    assert len(set(npis)) == 500
    assert all(len(n) == 10 and n[0] in "12" and luhn.is_valid("80840" + n) for n in npis)


def test_npi_check_rejects_a_wrong_check_digit():
    assert npi_is_valid("1234567893")  # the worked example in CMS's NPI check digit guidance
    assert not npi_is_valid("1234567890")
    assert not npi_is_valid("0")
    assert not npi_is_valid("3234567891")


def test_phone_book_hands_out_fictional_numbers_once():
    book = PhoneBook(random.Random(2))
    numbers = [book.number(("773",)) for _ in range(250)]
    assert len(set(numbers)) == 250
    assert all(normalize_phone(n) == n and n[5:10] == "55501" for n in numbers)
    assert sum(n.startswith("+1773") for n in numbers) == 100  # then it falls back to other area codes


@pytest.mark.parametrize("age", [1, 17, 64, 99])
def test_birth_date_gives_exactly_the_age(age):
    rng = random.Random(age)
    for _ in range(50):
        born = birth_date_for_age(rng, TODAY, age)
        assert TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day)) == age


def test_catalog_codes_are_well_formed_icd10cm():
    for code, display in ICD10.items():
        assert validate_condition_code("http://hl7.org/fhir/sid/icd-10-cm", code) == code
        assert display
        assert display == display.strip()


def test_catalog_codes_are_billable_with_official_displays():
    """Checked against the CMS code set as packaged by simple-icd-10-cm (a test dependency)."""
    import simple_icd_10_cm as icd

    for code, display in ICD10.items():
        assert icd.is_valid_item(code), code
        assert icd.is_leaf(code), code
        assert icd.get_description(code) == display, code


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 10**9),
    age=st.integers(0, 104),
    days=st.integers(0, 364),
    sex=st.sampled_from("FM"),
    setting=st.sampled_from([clinical.CLINIC, clinical.HOSPITAL, clinical.NURSING_HOME, clinical.COORDINATION]),
    lives_alone=st.booleans(),
)
def test_problem_lists_are_never_empty_and_onsets_fall_in_the_patients_life(seed, age, days, sex, setting, lives_alone):
    born = min(birth_date_for_age(random.Random(seed), TODAY, age) + dt.timedelta(days=days % 30), TODAY)
    profile = clinical.conditions_for(
        random.Random(seed), birth_date=born, today=TODAY, sex=sex, setting=setting, lives_alone=lives_alone
    )
    assert profile.conditions
    for condition in profile.conditions:
        assert ICD10[condition.code] == condition.display
        assert born <= condition.onset <= TODAY
        assert condition.abatement is None or condition.onset <= condition.abatement <= TODAY


def test_hypertension_takes_the_combined_code_with_kidney_disease_or_heart_failure():
    for seed in range(400):
        profile = clinical.conditions_for(
            random.Random(seed), birth_date=dt.date(1940, 5, 1), today=TODAY, sex="F", setting=clinical.HOSPITAL
        )
        codes = profile.codes
        ckd = bool(codes & {"N18.30", "N18.31", "N18.32", "N18.4", "N18.6"})
        hf = bool(codes & {"I50.9", "I50.22", "I50.32"})
        if "I10" in codes:
            assert not ckd
            assert not hf
        if "I13.0" in codes or "I13.2" in codes:
            assert ckd
            assert hf
        assert not ("E11.9" in codes and ckd and "E11.22" not in codes)
