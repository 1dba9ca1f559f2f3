"""
Makers of believable people for the demo, no database here: names by community and generation, fictional
phone numbers that never repeat, Illinois addresses, emails at reserved example domains, and valid NPIs.
Each maker draws only from the `random.Random` it is given, so a seed reproduces the same world.
"""

import datetime as dt
import random

from stdnum import luhn

from carecoord.patients.domain import fold

from .names import GROUPS, NameGroup, feminine_family
from .places import AREA_BY_KEY, AREAS, CATCHMENTS, FAR_AREAS, SECOND_LINES, Area, fictional_number

NPI_LUHN_PREFIX = "80840"  # the NPI check digit is the Luhn digit over 80840 + the first nine digits
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # reserved for documentation (RFC 2606)
ALL_AREA_CODES = (
    "773",
    "312",
    "872",
    "847",
    "224",
    "708",
    "630",
    "331",
    "815",
    "779",
    "217",
    "309",
    "618",
    "464",
    "447",
    "730",
)  # every Illinois area code, overlays last


def npi_is_valid(value: str) -> bool:
    """True for a 10-digit NPI starting with 1 or 2 whose check digit is right."""
    return len(value) == 10 and value.isdigit() and value[0] in "12" and luhn.is_valid(NPI_LUHN_PREFIX + value)


def npi_make(rng: random.Random, used: set[str], first: str = "1") -> str:
    """A valid NPI not in `used` (and added to it); individuals' and organizations' both start 1 or 2."""
    while True:
        stem = first + "".join(str(rng.randrange(10)) for _ in range(8))
        value = stem + luhn.calc_check_digit(NPI_LUHN_PREFIX + stem)
        if value not in used:
            used.add(value)
            return value


class PhoneBook:
    """Hands out the fictional (area) 555-01xx numbers, each at most once, preferring the given area codes."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.free: dict[str, list[int]] = {}

    def _lines(self, area_code: str) -> list[int]:
        if area_code not in self.free:
            lines = list(range(100))
            self.rng.shuffle(lines)
            self.free[area_code] = lines
        return self.free[area_code]

    def number(self, area_codes: tuple[str, ...] = ("773",)) -> str:
        for area_code in (*area_codes, *ALL_AREA_CODES):
            lines = self._lines(area_code)
            if lines:
                return fictional_number(area_code, lines.pop())
        raise RuntimeError("The demo ran out of fictional phone numbers.")


class NameMaker:
    """Draws names by community and generation, never repeating a patient's full name."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[tuple[str, str]] = set()

    def group(self, weights: dict[str, float] | None = None) -> NameGroup:
        boosts = weights or {}
        return self.rng.choices(GROUPS, weights=[g.weight * boosts.get(g.key, 1.0) for g in GROUPS])[0]

    def given(self, group: NameGroup, sex: str, birth_year: int) -> str:
        old = birth_year < 1965 if self.rng.random() < 0.85 else birth_year < 1985
        if sex == "F":
            return self.rng.choice(group.female_old if old else group.female_young)
        return self.rng.choice(group.male_old if old else group.male_young)

    def family(self, group: NameGroup, sex: str) -> str:
        name = self.rng.choice(group.family)
        return feminine_family(name) if group.gendered_family and sex == "F" else name

    def unique_person(self, group: NameGroup, sex: str, birth_year: int) -> tuple[str, str]:
        """A (given, family) pair not used before; after a few tries it mixes in a second community."""
        for attempt in range(60):
            source = group if attempt < 40 else self.group()
            given = self.given(group, sex, birth_year)
            family = self.family(source, sex)
            if (fold(given), fold(family)) not in self.used:
                self.used.add((fold(given), fold(family)))
                return given, family
        raise RuntimeError("The demo ran out of distinct names.")


def email_for(rng: random.Random, given: str, family: str) -> str:
    local = ".".join(fold(f"{given} {family}").split())
    return f"{local}{rng.randint(1, 99) if rng.random() < 0.6 else ''}@{rng.choice(EMAIL_DOMAINS)}"


def staff_email(given: str, family: str, domain: str) -> str:
    return f"{fold(given).replace(' ', '')}.{fold(family).replace(' ', '')}@{domain}"


def area_for(rng: random.Random, org_key: str, group_key: str) -> Area:
    """A neighborhood of the organization's catchment, favoring those where the person's community lives."""
    areas = [AREA_BY_KEY[key] for key in CATCHMENTS[org_key]]
    favored = [area for area in areas if group_key in area.groups]
    if favored and rng.random() < 0.6:
        return rng.choice(favored)
    return rng.choice(areas)


def any_area(rng: random.Random, far: float = 0.2) -> Area:
    return rng.choice(FAR_AREAS if rng.random() < far else AREAS)


def street_address(rng: random.Random, area: Area) -> tuple[str, str, str, str]:
    """(line 1, line 2, city, ZIP) in the area."""
    street = rng.choice(area.streets)
    low, high = area.numbers.get(street.split(" ")[0], (100, 2999))
    line2 = rng.choice(SECOND_LINES) if rng.random() < area.apartments else ""
    return f"{rng.randint(low, high)} {street}", line2, area.city, rng.choice(area.zips)


def one_line_address(rng: random.Random, area: Area) -> str:
    line1, line2, city, zip_code = street_address(rng, area)
    return f"{line1}{', ' + line2 if line2 else ''}, {city}, IL {zip_code}"


def birth_date_for_age(rng: random.Random, today: dt.date, age: int) -> dt.date:
    """A birth date giving exactly `age` completed years today."""
    latest = _years_before(today, age)
    earliest = _years_before(today, age + 1) + dt.timedelta(days=1)
    return earliest + dt.timedelta(days=rng.randint(0, (latest - earliest).days))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
