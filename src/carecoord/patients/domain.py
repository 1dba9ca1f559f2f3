"""
Pure rules of the patient registry: phone normalization, searchable names, duplicate likelihood and
code formats. No database here.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from rapidfuzz import fuzz
from stdnum import verhoeff

DEFAULT_PHONE_REGION = "US"


class PhoneError(ValueError):
    pass


def normalize_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """Returns the phone number in E.164 form, or raises PhoneError with a reason a person understands."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    # phonenumbers reads letters as a vanity number ("O" typed for "0" would become a 6); refuse them.
    if any(ch.isalpha() for ch in raw):
        raise PhoneError(f"“{raw}” is not a phone number (use digits only, without an extension).")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(f"“{raw}” is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(f"“{raw}” is not a valid phone number (check the area code and the number of digits).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """Shows an E.164 number the way people read it: (312) 555-0100 for US numbers."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 1:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# Apostrophes join a name's parts (O'Neil -> oneil) rather than splitting them.
_APOSTROPHES = str.maketrans(dict.fromkeys("'\u2018\u2019\u02bc`\u00b4"))
# Latin letters Unicode does not decompose into a base letter plus a mark.
_LATIN_EXTRA = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "\u0131": "i", "þ": "th", "æ": "ae", "œ": "oe"}
)


def fold(text: str) -> str:
    """
    Lower-cases and strips accents and punctuation: 'José-Luis O'Neil' -> 'jose luis oneil', 'Straße' ->
    'strasse'. Letters of other scripts are kept (lower-cased), so every name stays searchable.
    """
    # Compatibility forms first, then case: a styled letter with no case of its own (U+1D63C, mathematical
    # sans-serif bold italic A) becomes 'A', then 'a'.
    compatible = unicodedata.normalize("NFKD", (text or "").translate(_APOSTROPHES))
    decomposed = unicodedata.normalize("NFKD", compatible.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_LATIN_EXTRA)
    stripped = unicodedata.normalize("NFC", stripped)
    return " ".join("".join(ch if unicodedata.category(ch)[0] in "LNM" else " " for ch in stripped).split())


def search_name(*parts: str) -> str:
    """The space-padded word list the name search matches prefixes against."""
    words = []
    for part in parts:
        for word in fold(part).split():
            if word not in words:
                words.append(word)
    return " " + " ".join(words) + " "


SORT_NAME_LENGTH = 400


def sort_name(family_name: str, given_name: str) -> str:
    """
    The key patient lists are ordered by: the folded family name, then the folded given name ('Ávila', 'José'
    -> 'avila jose'), so accents and capitals do not move a name whatever the database's collation. The family
    name's words are joined by '-', which sorts after the space that ends it: De, Zoe before De La Cruz, Ana.
    """
    family = "-".join(fold(family_name).split())
    return f"{family} {fold(given_name)}"[:SORT_NAME_LENGTH]


def name_query_terms(query: str) -> list[str]:
    return fold(query).split()


def parse_loose_date(text: str) -> dt.date | None:
    """Accepts 1948-03-07, 03/07/1948 and 3/7/1948 (US order); None when the text is not a date."""
    text = (text or "").strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 -- a calendar date, no time zone
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class DuplicateCandidate:
    given_name: str
    family_name: str
    birth_date: dt.date


def duplicate_score(given_name: str, family_name: str, birth_date: dt.date, candidate: DuplicateCandidate) -> float:
    """
    How likely (0-100) the new registration is the same person as `candidate`. Names are compared
    order-insensitively (token set ratio handles swapped first/last names and added middle names); a
    birth date that differs only by swapped day and month, or one digit, still counts as close.
    """
    new_name = fold(f"{given_name} {family_name}")
    old_name = fold(f"{candidate.given_name} {candidate.family_name}")
    if not new_name or not old_name:
        return 0.0
    name_score = fuzz.token_set_ratio(new_name, old_name)
    if candidate.birth_date == birth_date:
        return name_score
    if _dates_close(birth_date, candidate.birth_date):
        return name_score * 0.9
    return 0.0


def _dates_close(a: dt.date, b: dt.date) -> bool:
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return True
    differing = sum(x != y for x, y in zip(a.isoformat(), b.isoformat(), strict=True))
    return differing == 1


DUPLICATE_THRESHOLD = 85.0

# Every letter starts a chapter or a special-purpose code (U07.1 COVID-19, U09.9 post COVID-19 condition).
ICD10CM_PATTERN = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


def validate_condition_code(system: str, code: str) -> str:
    """Returns the code in canonical form, or raises ValueError saying what is wrong with it."""
    code = (code or "").strip().upper()
    if system.endswith("icd-10-cm"):
        if len(code) > 3 and "." not in code:
            code = f"{code[:3]}.{code[3:]}"
        if not ICD10CM_PATTERN.match(code):
            raise ValueError(
                f"“{code}” is not an ICD-10-CM code (a letter, two characters, then an optional dot part)."
            )
        return code
    if system.endswith("snomed.info/sct"):
        if not code.isdigit() or not 6 <= len(code) <= 18:
            raise ValueError(f"“{code}” is not a SNOMED CT concept id (6 to 18 digits).")
        if not verhoeff.is_valid(code):
            raise ValueError(f"“{code}” fails the SNOMED CT check digit.")
        return code
    raise ValueError("Unknown code system.")
