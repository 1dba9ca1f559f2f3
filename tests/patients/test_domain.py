"""Pure rules of the patient registry (no database): phones, names, loose dates, duplicates, codes."""

import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from carecoord.patients.domain import (
    DUPLICATE_THRESHOLD,
    DuplicateCandidate,
    PhoneError,
    fold,
    format_phone,
    name_query_terms,
    normalize_phone,
    parse_loose_date,
    search_name,
    validate_condition_code,
)

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"


# --- phones -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "(312) 555-0142",
        "312-555-0142",
        "312.555.0142",
        "312 555 0142",
        "3125550142",
        "13125550142",
        "1 (312) 555-0142",
        "+1 312 555 0142",
        "+13125550142",
        "  (312) 555-0142  ",
    ],
)
def test_normalize_phone_accepts_us_formats(raw):
    assert normalize_phone(raw) == "+13125550142"


def test_normalize_phone_keeps_international_numbers():
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_normalize_phone_of_nothing_is_empty(raw):
    assert normalize_phone(raw) == ""


@pytest.mark.parametrize(
    "raw",
    [
        "12345",  # too short
        "555-0100",  # no area code
        "abc",  # not a number at all
        "call me",
        "312-555-ABCD",  # letters would be silently turned into digits (vanity numbers)
        "312-555-O142",  # letter O typed for a zero: must not become 312-555-6142
        "1-800-FLOWERS",
        "(012) 555-0142",  # no US area code starts with 0
        "312555014299999",  # too long
    ],
)
def test_normalize_phone_rejects_bad_input(raw):
    with pytest.raises(PhoneError):
        normalize_phone(raw)


def test_phone_error_names_the_input():
    with pytest.raises(PhoneError, match="555-0100"):
        normalize_phone("555-0100")


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+13125550142", "(312) 555-0142"),
        ("+442079460958", "+44 20 7946 0958"),
        ("", ""),
        ("not a phone", "not a phone"),
    ],
)
def test_format_phone(e164, shown):
    assert format_phone(e164) == shown


@given(st.from_regex(r"[2-9][0-8][0-9][2-9][0-9]{6}", fullmatch=True))
def test_normalized_phone_is_stable_and_formats_back(digits):
    try:
        e164 = normalize_phone(digits)
    except PhoneError:
        return  # not every area code/exchange is assigned
    assert e164.startswith("+1")
    assert normalize_phone(e164) == e164
    assert normalize_phone(format_phone(e164)) == e164


# --- names ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("José-Luis O'Neil", "jose luis oneil"),
        ("O\u2019Brien", "obrien"),  # typographic apostrophe
        ("D\u02bcAngelo", "dangelo"),  # modifier-letter apostrophe
        ("MÜLLER", "muller"),
        ("Nguyễn Thị Minh", "nguyen thi minh"),
        ("Straße", "strasse"),  # ß does not decompose; it must not split the word
        ("Østergaard", "ostergaard"),  # ø does not decompose; it must not be dropped
        ("Łukasz Wałęsa", "lukasz walesa"),
        ("  Mary   Ann  ", "mary ann"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_fold_keeps_names_in_other_scripts():
    assert fold("王 小明") == "王 小明"
    assert fold("АЛЕКСЕЙ Иванов") == fold("алексей иванов") != ""
    assert search_name("李", "华") == " 李 华 "


def test_search_name_is_padded_and_deduplicated():
    assert search_name("Mary", "", "Smith", "Mary") == " mary smith "
    assert search_name("José", "O'Neil") == " jose oneil "


def test_name_query_terms():
    assert name_query_terms("  Smi, JO ") == ["smi", "jo"]
    assert name_query_terms("o'ne") == ["one"]


@example("\U0001d63c")  # MATHEMATICAL SANS-SERIF BOLD ITALIC CAPITAL A: no case until NFKD makes it "A"
@given(st.text(max_size=40))
def test_fold_output_is_normalized(text):
    folded = fold(text)
    assert folded == folded.strip()
    assert "  " not in folded
    assert fold(folded) == folded
    assert "'" not in folded


# --- dates ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("1948-03-07", dt.date(1948, 3, 7)),
        ("03/07/1948", dt.date(1948, 3, 7)),
        ("3/7/1948", dt.date(1948, 3, 7)),
        ("03-07-1948", dt.date(1948, 3, 7)),
        (" 12/31/2001 ", dt.date(2001, 12, 31)),
    ],
)
def test_parse_loose_date(text, day):
    assert parse_loose_date(text) == day


@pytest.mark.parametrize("text", ["", None, "smith", "1948", "13/07/1948", "02/30/1948", "1948-02-30", "A100"])
def test_parse_loose_date_rejects_non_dates(text):
    assert parse_loose_date(text) is None


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_parse_loose_date_round_trips(day):
    assert parse_loose_date(day.isoformat()) == day
    assert parse_loose_date(day.strftime("%m/%d/%Y")) == day
    assert parse_loose_date(f"{day.month}/{day.day}/{day.year}") == day


# --- duplicates -------------------------------------------------------------------------------------------

BORN = dt.date(1950, 4, 2)


def score(given_name, family_name, born, candidate):
    from carecoord.patients.domain import duplicate_score

    return duplicate_score(given_name, family_name, born, DuplicateCandidate(*candidate))


@pytest.mark.parametrize(
    ("new", "existing"),
    [
        (("Rosa", "Delgado", BORN), ("Rosa", "Delgado", BORN)),
        (("rosa", "DELGADO", BORN), ("Rosa", "Delgado", BORN)),
        (("Delgado", "Rosa", BORN), ("Rosa", "Delgado", BORN)),  # first/last swapped
        (("Rossa", "Delgado", BORN), ("Rosa", "Delgado", BORN)),  # typo
        (("Rosa", "Delgaod", BORN), ("Rosa", "Delgado", BORN)),  # transposed letters
        (("José", "Núñez", BORN), ("Jose", "Nunez", BORN)),  # accents
        (("Rosa", "Delgado", dt.date(1950, 2, 4)), ("Rosa", "Delgado", BORN)),  # day and month swapped
        (("Rosa", "Delgado", dt.date(1950, 4, 3)), ("Rosa", "Delgado", BORN)),  # one digit off
        (("Rosa Maria", "Delgado", BORN), ("Rosa", "Delgado", BORN)),  # added middle name
        (("Rosa", "Delgado Lopez", BORN), ("Rosa", "Delgado", BORN)),  # added second family name
    ],
)
def test_duplicate_score_flags_likely_matches(new, existing):
    assert score(*new, existing) >= DUPLICATE_THRESHOLD


@pytest.mark.parametrize(
    ("new", "existing"),
    [
        (("John", "Smith", BORN), ("Mary", "Jones", BORN)),  # different person, same birthday
        (("John", "Smith", BORN), ("Jane", "Smith", BORN)),  # sibling-like
        (("Rosa", "Delgado", dt.date(1962, 9, 17)), ("Rosa", "Delgado", BORN)),  # same name, other birthday
        (("Rosa", "Delgado", dt.date(1951, 5, 2)), ("Rosa", "Delgado", BORN)),  # two digits off
        (("王", "小明", BORN), ("李", "华", BORN)),  # names in another script are still compared
        (("Ольга", "Иванова", BORN), ("Мария", "Петрова", BORN)),
    ],
)
def test_duplicate_score_separates_different_people(new, existing):
    assert score(*new, existing) < DUPLICATE_THRESHOLD


def test_duplicate_score_ranks_exact_above_fuzzy():
    exact = score("Rosa", "Delgado", BORN, ("Rosa", "Delgado", BORN))
    typo = score("Rosa", "Delgado", BORN, ("Rossa", "Delgado", BORN))
    swapped_date = score("Rosa", "Delgado", BORN, ("Rosa", "Delgado", dt.date(1950, 2, 4)))
    assert exact == 100
    assert exact > typo
    assert exact > swapped_date


@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 1, 1)),
)
def test_duplicate_score_is_symmetric_in_name_order_and_exact_is_100(given_name, family_name, born):
    assert score(given_name, family_name, born, (given_name, family_name, born)) == 100
    assert score(family_name, given_name, born, (given_name, family_name, born)) == 100
    assert 0 <= score(given_name, family_name, born, ("zz", "qq", dt.date(1899, 1, 1))) <= 100


# --- condition codes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("E11.9", "E11.9"),
        ("E119", "E11.9"),
        ("e11.9", "E11.9"),
        (" i10 ", "I10"),
        ("J45909", "J45.909"),
        ("F32.A", "F32.A"),
        ("Z3A.10", "Z3A.10"),
        ("C4A.0", "C4A.0"),
        ("S72.001A", "S72.001A"),
        ("U07.1", "U07.1"),  # COVID-19: U codes are real ICD-10-CM codes (emergency use)
        ("U071", "U07.1"),
        ("U09.9", "U09.9"),  # post COVID-19 condition
    ],
)
def test_icd10cm_codes_accepted_in_canonical_form(raw, canonical):
    assert validate_condition_code(ICD, raw) == canonical


@pytest.mark.parametrize("raw", ["", "E1", "11.9", "1E1", "E11.", "E1.19", "E11.99999", "E11-9", "EE1.9", "E11 9"])
def test_icd10cm_rejects_malformed_codes(raw):
    with pytest.raises(ValueError, match="ICD-10-CM"):
        validate_condition_code(ICD, raw)


@pytest.mark.parametrize("code", ["44054006", "73211009", "38341003", "195967001", "414545008"])
def test_snomed_ids_with_valid_check_digit(code):
    assert validate_condition_code(SNOMED, code) == code


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("44054007", "check digit"),
        ("73211008", "check digit"),
        ("12345", "6 to 18 digits"),
        ("4405400A", "6 to 18 digits"),
        ("1234567890123456789", "6 to 18 digits"),
        ("", "6 to 18 digits"),
    ],
)
def test_snomed_rejects_bad_ids(code, reason):
    with pytest.raises(ValueError, match=reason):
        validate_condition_code(SNOMED, code)


def test_unknown_code_system():
    with pytest.raises(ValueError, match="Unknown code system"):
        validate_condition_code("http://loinc.org", "4548-4")


@given(st.from_regex(r"[0-9]{6,17}", fullmatch=True))
def test_exactly_one_snomed_check_digit_is_valid(stem):
    valid = [d for d in "0123456789" if _snomed_ok(stem + d)]
    assert len(valid) == 1


def _snomed_ok(code: str) -> bool:
    try:
        validate_condition_code(SNOMED, code)
    except ValueError:
        return False
    return True
