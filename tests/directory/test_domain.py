"""The directory's pure rules: NPI check digits, taxonomy codes, ZIP and state codes, opening hours."""

import datetime as dt

import pytest

from carecoord.core.errors import ValidationError
from carecoord.directory.domain import (
    format_time,
    hours_rows,
    normalize_hours,
    normalize_languages,
    normalize_npi,
    normalize_state,
    normalize_zip,
)
from carecoord.directory.taxonomy import SPECIALTIES, TAXONOMY_CODE_RE, resolve_specialty

from .helpers import CMS_EXAMPLE_NPI, valid_npi


class TestNpi:
    def test_accepts_the_cms_example_and_strips_spaces_and_dashes(self):
        assert normalize_npi(CMS_EXAMPLE_NPI) == CMS_EXAMPLE_NPI
        assert normalize_npi(" 123-456-7893 ") == CMS_EXAMPLE_NPI

    def test_empty_means_not_recorded(self):
        assert normalize_npi("") == ""
        assert normalize_npi("   ") == ""

    def test_a_wrong_check_digit_says_so(self):
        with pytest.raises(ValidationError) as caught:
            normalize_npi("1234567890")
        assert "1234567890 fails the NPI check digit" in caught.value.message
        assert caught.value.field == "npi"

    def test_nine_digits_is_too_short(self):
        with pytest.raises(ValidationError, match="has 10 digits; “123456789” has 9"):
            normalize_npi("123456789")

    def test_eleven_digits_is_too_long(self):
        with pytest.raises(ValidationError, match="has 11"):
            normalize_npi("12345678931")

    def test_letters_are_refused(self):
        with pytest.raises(ValidationError, match="digits only"):
            normalize_npi("12345X7893")

    def test_an_npi_starts_with_1_or_2(self):
        stem = "312345678"
        from carecoord.directory.domain import npi_check_digit

        with pytest.raises(ValidationError, match="starts with 1 or 2"):
            normalize_npi(stem + npi_check_digit(stem))

    @pytest.mark.parametrize("n", [0, 1, 7, 42, 99_999_999])
    def test_generated_test_npis_are_valid(self, n):
        assert normalize_npi(valid_npi(n)) == valid_npi(n)

    def test_every_single_digit_typo_is_caught(self):
        for position in range(10):
            digit = int(CMS_EXAMPLE_NPI[position])
            typo = CMS_EXAMPLE_NPI[:position] + str((digit + 1) % 10) + CMS_EXAMPLE_NPI[position + 1 :]
            with pytest.raises(ValidationError):
                normalize_npi(typo)


class TestTaxonomy:
    def test_the_curated_list_is_well_formed(self):
        codes = [s.code for s in SPECIALTIES]
        assert len(codes) >= 40
        assert len(set(codes)) == len(codes), "a code is listed twice"
        assert all(TAXONOMY_CODE_RE.match(code) for code in codes)
        assert all(s.display for s in SPECIALTIES)

    @pytest.mark.parametrize(
        ("code", "display"),
        [
            ("207Q00000X", "Family Medicine"),
            ("207R00000X", "Internal Medicine"),
            ("207RC0000X", "Internal Medicine, Cardiovascular Disease"),
            ("225100000X", "Physical Therapist"),
            ("225X00000X", "Occupational Therapist"),
            ("235Z00000X", "Speech-Language Pathologist"),
            ("363L00000X", "Nurse Practitioner"),
            ("163W00000X", "Registered Nurse"),
            ("171M00000X", "Case Manager/Care Coordinator"),
        ],
    )
    def test_well_known_codes_carry_their_nucc_names(self, code, display):
        assert resolve_specialty(code, "") == (code, display)

    def test_a_listed_code_takes_the_curated_display(self):
        assert resolve_specialty(" 207q00000x ", "GP") == ("207Q00000X", "Family Medicine")

    def test_an_unlisted_well_formed_code_needs_its_display(self):
        with pytest.raises(ValidationError) as caught:
            resolve_specialty("207RI0008X", "")
        assert caught.value.field == "specialty_display"
        assert resolve_specialty("207RI0008X", " Internal Medicine,  Hepatology ") == (
            "207RI0008X",
            "Internal Medicine, Hepatology",
        )

    @pytest.mark.parametrize("code", ["207Q00000", "207Q00000Y", "ABCQ00000X", "207Q0-000X", "cardiology"])
    def test_a_malformed_code_is_refused(self, code):
        with pytest.raises(ValidationError) as caught:
            resolve_specialty(code, "Something")
        assert caught.value.field == "specialty_code"

    def test_a_display_without_a_code_is_refused(self):
        with pytest.raises(ValidationError):
            resolve_specialty("", "Cardiology")
        assert resolve_specialty("", "") == ("", "")


class TestAddress:
    @pytest.mark.parametrize(("raw", "expected"), [("60601", "60601"), ("60601-1234", "60601-1234"),
                                                   ("606011234", "60601-1234"), (" 60601 ", "60601")])  # fmt: skip
    def test_zip_codes(self, raw, expected):
        assert normalize_zip(raw, required=True) == expected

    @pytest.mark.parametrize("raw", ["6060", "606012", "60601-12", "ABCDE", "60601 1234"])
    def test_bad_zip_codes(self, raw):
        with pytest.raises(ValidationError) as caught:
            normalize_zip(raw, required=True)
        assert caught.value.field == "postal_code"

    def test_zip_required_or_not(self):
        assert normalize_zip("", required=False) == ""
        with pytest.raises(ValidationError):
            normalize_zip("", required=True)

    def test_states(self):
        assert normalize_state(" il ", required=True) == "IL"
        assert normalize_state("PR", required=True) == "PR"
        assert normalize_state("", required=False) == ""
        with pytest.raises(ValidationError, match="not a US state"):
            normalize_state("XX", required=True)


def test_languages_keep_the_list_order_once_each():
    assert normalize_languages(["es", "en", "es"]) == ["en", "es"]
    assert normalize_languages(None) == []
    with pytest.raises(ValidationError) as caught:
        normalize_languages(["en", "klingon"])
    assert caught.value.field == "languages"


class TestHours:
    def test_normalizes_times_and_orders_days(self):
        hours = normalize_hours(
            {"sun": [], "mon": [[dt.time(8, 0), "17:30"]], "tue": [["8:00", "12:00"], ["13:00", "17:00"]]}
        )
        assert hours == {"mon": [["08:00", "17:30"]], "tue": [["08:00", "12:00"], ["13:00", "17:00"]], "sun": []}
        assert list(hours) == ["mon", "tue", "sun"]

    def test_empty_means_not_recorded(self):
        assert normalize_hours({}) == {}
        assert normalize_hours(None) == {}

    @pytest.mark.parametrize("close", ["07:00", "08:00"])
    def test_close_must_be_after_open(self, close):
        with pytest.raises(ValidationError) as caught:
            normalize_hours({"wed": [["08:00", close]]})
        assert caught.value.field == "wed_close"
        assert "Wednesday" in caught.value.message

    def test_periods_may_not_overlap(self):
        with pytest.raises(ValidationError, match="overlap"):
            normalize_hours({"fri": [["08:00", "12:00"], ["11:00", "15:00"]]})

    @pytest.mark.parametrize("bad", [{"funday": []}, {"mon": "closed"}, {"mon": [["08:00"]]}, {"mon": [["8am", "5pm"]]},
                                     {"mon": [["24:00", "25:00"]]}])  # fmt: skip
    def test_malformed_hours_are_refused(self, bad):
        with pytest.raises(ValidationError):
            normalize_hours(bad)

    def test_rows_for_display(self):
        rows = dict(hours_rows({"mon": [["08:00", "17:00"]], "sat": [["09:30", "12:00"]], "sun": []}))
        assert rows["Monday"] == "8:00 AM to 5:00 PM"
        assert rows["Saturday"] == "9:30 AM to 12:00 PM"
        assert rows["Sunday"] == "Closed"
        assert rows["Tuesday"] == "Not recorded"

    def test_format_time(self):
        assert format_time("00:15") == "12:15 AM"
        assert format_time("12:00") == "12:00 PM"
        assert format_time("23:59") == "11:59 PM"
