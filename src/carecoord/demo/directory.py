"""
The demo organizations' directories: their own clinicians, the outside organizations they work with
(St. Brendan Medical Center, community practices, pharmacies, a home health agency, payers, and each
other), those organizations' clinicians, and locations with opening hours.

Map: `TAXONOMY` (NUCC codes with the directory app's "classification, specialization" wording), the
outside organizations (`OUTSIDE`), each tenant's plan (`PLANS`), `registry_create` (clinicians and
organization NPIs and lines drawn once, so a clinician keeps one NPI in every directory that lists them) and
`directory_create` (one tenant's rows).
"""

import random
from dataclasses import dataclass, field

from carecoord.core.models import Organization
from carecoord.directory.models import ExternalOrganization, ExternalOrganizationKind, Location, Practitioner

from .names import GROUP_BY_KEY
from .people import NameMaker, PhoneBook, npi_make, staff_email

# code: (display, credentials, title)
TAXONOMY = {
    "207Q00000X": ("Family Medicine", ("MD", "MD", "DO"), "Dr."),
    "207R00000X": ("Internal Medicine", ("MD", "MD", "DO"), "Dr."),
    "207RG0300X": ("Internal Medicine, Geriatric Medicine", ("MD",), "Dr."),
    "207RC0000X": ("Internal Medicine, Cardiovascular Disease", ("MD",), "Dr."),
    "207RE0101X": ("Internal Medicine, Endocrinology, Diabetes & Metabolism", ("MD",), "Dr."),
    "207RG0100X": ("Internal Medicine, Gastroenterology", ("MD",), "Dr."),
    "207RH0003X": ("Internal Medicine, Hematology & Oncology", ("MD",), "Dr."),
    "207RN0300X": ("Internal Medicine, Nephrology", ("MD",), "Dr."),
    "207RP1001X": ("Internal Medicine, Pulmonary Disease", ("MD", "DO"), "Dr."),
    "208M00000X": ("Hospitalist", ("MD", "DO"), "Dr."),
    "207P00000X": ("Emergency Medicine", ("MD", "DO"), "Dr."),
    "208000000X": ("Pediatrics", ("MD", "DO"), "Dr."),
    "2084N0400X": ("Psychiatry & Neurology, Neurology", ("MD",), "Dr."),
    "2084P0800X": ("Psychiatry & Neurology, Psychiatry", ("MD", "DO"), "Dr."),
    "2084P0805X": ("Psychiatry & Neurology, Geriatric Psychiatry", ("MD",), "Dr."),
    "207X00000X": ("Orthopaedic Surgery", ("MD",), "Dr."),
    "163W00000X": ("Registered Nurse", ("RN",), ""),
    "163WC0400X": ("Registered Nurse, Case Management", ("RN", "BSN, RN"), ""),
    "163WH0200X": ("Registered Nurse, Home Health", ("RN",), ""),
    "363LA2200X": ("Nurse Practitioner, Adult Health", ("NP", "APRN"), ""),
    "363LF0000X": ("Nurse Practitioner, Family", ("NP", "FNP-BC"), ""),
    "363LG0600X": ("Nurse Practitioner, Gerontology", ("NP", "APRN"), ""),
    "363A00000X": ("Physician Assistant", ("PA-C",), ""),
    "225100000X": ("Physical Therapist", ("PT, DPT", "PT"), ""),
    "225X00000X": ("Occupational Therapist", ("OTR/L",), ""),
    "235Z00000X": ("Speech-Language Pathologist", ("CCC-SLP",), ""),
    "1041C0700X": ("Social Worker, Clinical", ("LCSW",), ""),
    "103T00000X": ("Psychologist", ("PsyD", "PhD"), "Dr."),
    "172V00000X": ("Community Health Worker", ("CHW",), ""),
    "183500000X": ("Pharmacist", ("PharmD",), ""),
    "133V00000X": ("Dietitian, Registered", ("RD", "RDN"), ""),
}

ADULT_PCP = frozenset({"207Q00000X", "207R00000X", "207RG0300X", "363LF0000X", "363LA2200X", "363LG0600X",
                       "363A00000X"})  # fmt: skip
CHILD_PCP = frozenset({"208000000X", "207Q00000X", "363LF0000X"})
SPECIALTY_FOR_TAG = {
    "cardio": ("207RC0000X",), "renal": ("207RN0300X",), "pulm": ("207RP1001X",), "endo": ("207RE0101X",),
    "neuro": ("2084N0400X",), "onc": ("207RH0003X",), "psych": ("2084P0800X", "2084P0805X", "103T00000X",
    "1041C0700X"), "rehab": ("225100000X", "225X00000X", "235Z00000X"),
}  # fmt: skip


@dataclass(frozen=True)
class Outside:
    key: str
    name: str
    kind: str
    address: tuple[str, str, str]  # line, city, ZIP
    area_code: str
    staff: tuple[tuple[str, int], ...] = ()  # (taxonomy, how many)
    hours: dict | None = None


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE = {day: [["08:00", "17:00"]] for day in WEEKDAYS} | {"sat": [], "sun": []}
ALWAYS = {day: [["00:00", "23:59"]] for day in (*WEEKDAYS, "sat", "sun")}
PHARMACY = {day: [["08:00", "21:00"]] for day in WEEKDAYS} | {"sat": [["09:00", "18:00"]], "sun": [["10:00", "17:00"]]}
K = ExternalOrganizationKind

OUTSIDE: tuple[Outside, ...] = (
    Outside("st_brendan", "St. Brendan Medical Center", K.HOSPITAL, ("2233 W Division St", "Chicago", "60622"), "312",
            (("207RC0000X", 2), ("207RP1001X", 1), ("2084N0400X", 1), ("207RH0003X", 1), ("207X00000X", 1),
             ("207RG0100X", 1)), ALWAYS),
    Outside("lincoln_square_im", "Lincoln Square Internal Medicine", K.CLINIC, ("4750 N Lincoln Ave", "Chicago",
            "60625"), "773", (("207R00000X", 3), ("363LA2200X", 1)), OFFICE),
    Outside("south_side_fhc", "South Side Family Health Center", K.CLINIC, ("7901 S Cottage Grove Ave", "Chicago",
            "60619"), "773", (("207Q00000X", 3), ("208000000X", 1)), OFFICE),
    Outside("pilsen_health", "Pilsen Neighborhood Health", K.CLINIC, ("1850 W 18th St", "Chicago", "60608"), "312",
            (("207Q00000X", 2), ("208000000X", 1)), OFFICE),
    Outside("riverbend_pt", "Riverbend Physical Therapy", K.THERAPY, ("1620 Oak Ave", "Evanston", "60201"), "847",
            (("225100000X", 2), ("225X00000X", 1)), OFFICE),
    Outside("heartland_hh", "Heartland Home Health", K.HOME_HEALTH, ("1550 N Northwest Hwy", "Park Ridge", "60068"),
            "847", (("163WH0200X", 2), ("225100000X", 1))),
    Outside("devon_pharmacy", "Devon Avenue Community Pharmacy", K.PHARMACY, ("2611 W Devon Ave", "Chicago", "60659"),
            "773", (), PHARMACY),
    Outside("clark_pharmacy", "Clark Street Pharmacy", K.PHARMACY, ("5210 N Clark St", "Chicago", "60640"), "773",
            (), PHARMACY),
    Outside("archer_pharmacy", "Archer Avenue Pharmacy", K.PHARMACY, ("3301 S Archer Ave", "Chicago", "60608"), "773",
            (), PHARMACY),
    Outside("great_lakes_plan", "Great Lakes Health Plan (Medicare Advantage)", K.PAYER, ("150 N Franklin St",
            "Chicago", "60606"), "312"),
    Outside("prairie_state_plan", "Prairie State Community Care Plan (Medicaid)", K.PAYER, ("500 W Monroe St",
            "Chicago", "60661"), "312"),
    Outside("midwest_lab", "Midwest Reference Laboratory", K.LABORATORY, ("1000 W Fulton Market", "Chicago", "60607"),
            "312"),
    Outside("uptown_services", "Uptown Senior & Community Services", K.COMMUNITY, ("4750 N Sheridan Rd", "Chicago",
            "60640"), "773"),
)  # fmt: skip
OUTSIDE_BY_KEY = {o.key: o for o in OUTSIDE}


@dataclass(frozen=True)
class Plan:
    """One tenant's directory: own staff (taxonomy, count), and outside listings (key, taxonomies, limit)."""

    staff: tuple[tuple[str, int], ...]
    listings: tuple[tuple[str, tuple[str, ...], int], ...]
    locations: tuple[tuple[str, str, str, str, dict], ...]  # name, line, city, ZIP, hours
    area_code: str
    extra_kind: str = K.CLINIC  # the kind under which other tenants list this one


# The therapists' own sites: where a tenant has one, its therapists work there and nobody else does.
MAPLE_GROVE_THERAPY = "Maple Grove Outpatient Therapy"
THERAPY_SITES = frozenset({MAPLE_GROVE_THERAPY})
SPECIALISTS = ("207RC0000X", "207RP1001X", "207RN0300X", "2084N0400X", "207RH0003X", "2084P0800X")
PCPS = tuple(sorted(ADULT_PCP | CHILD_PCP))
ANY: tuple[str, ...] = ()

PLANS = {
    "northside": Plan(
        staff=(("207Q00000X", 4), ("207R00000X", 2), ("208000000X", 2), ("363LF0000X", 2), ("363A00000X", 1),
               ("207RE0101X", 1), ("1041C0700X", 1), ("103T00000X", 1), ("183500000X", 1), ("133V00000X", 1)),
        listings=(("st_brendan", ("207RC0000X", "207RP1001X", "207RH0003X"), 3),
                  ("lakeshore", ("207RN0300X", "2084N0400X", "2084P0800X"), 3), ("riverbend_pt", ANY, 1),
                  ("maple-grove", ANY, 0), ("heartland_hh", ANY, 0), ("devon_pharmacy", ANY, 0),
                  ("clark_pharmacy", ANY, 0), ("great_lakes_plan", ANY, 0), ("prairie_state_plan", ANY, 0),
                  ("midwest_lab", ANY, 0), ("prairie", ANY, 0)),
        locations=(("Northside Family Clinic — Sheridan Road", "6550 N Sheridan Rd", "Chicago", "60626",
                    OFFICE | {"thu": [["08:00", "19:00"]], "sat": [["09:00", "12:00"]]}),
                   ("Northside Family Clinic — Devon Avenue", "2740 W Devon Ave", "Chicago", "60659",
                    {day: [["08:00", "12:00"], ["13:00", "17:00"]] for day in WEEKDAYS} | {"sat": [], "sun": []})),
        area_code="773",
    ),
    "lakeshore": Plan(
        staff=(("208M00000X", 3), ("207P00000X", 1), ("207RC0000X", 2), ("207RP1001X", 1), ("207RN0300X", 1),
               ("2084N0400X", 1), ("207RH0003X", 1), ("2084P0800X", 1), ("207R00000X", 3), ("363LA2200X", 1),
               ("1041C0700X", 1), ("225100000X", 1), ("225X00000X", 1), ("163WC0400X", 1)),
        listings=(("northside", PCPS, 3), ("st_brendan", ("207X00000X", "207RG0100X"), 2),
                  ("maple-grove", ANY, 0), ("heartland_hh", ("163WH0200X",), 1), ("clark_pharmacy", ANY, 0),
                  ("archer_pharmacy", ANY, 0), ("great_lakes_plan", ANY, 0), ("prairie_state_plan", ANY, 0),
                  ("prairie", ANY, 0), ("riverside", ANY, 0)),
        locations=(("Lakeshore General Hospital — Main Campus", "2900 N Lake Shore Dr", "Chicago", "60657", ALWAYS),
                   ("Lakeshore Outpatient Pavilion", "3030 N Broadway", "Chicago", "60657",
                    {day: [["07:00", "18:00"]] for day in WEEKDAYS} | {"sat": [["08:00", "12:00"]], "sun": []}),
                   ("Lakeshore Heart & Vascular Clinic", "3150 N Halsted St", "Chicago", "60657", OFFICE)),
        area_code="773", extra_kind=K.HOSPITAL,
    ),
    "maple-grove": Plan(
        staff=(("207RG0300X", 2), ("363LG0600X", 2), ("2084P0805X", 1), ("225100000X", 2), ("225X00000X", 1),
               ("235Z00000X", 1), ("133V00000X", 1), ("1041C0700X", 1), ("163W00000X", 2), ("183500000X", 1)),
        listings=(("lakeshore", ("207RC0000X", "207RP1001X", "207RN0300X"), 3), ("st_brendan", ("207X00000X",), 1),
                  ("heartland_hh", ANY, 1), ("devon_pharmacy", ANY, 0), ("great_lakes_plan", ANY, 0),
                  ("prairie_state_plan", ANY, 0)),
        locations=(("Maple Grove Nursing & Rehab", "8400 Gross Point Rd", "Skokie", "60077",
                    {day: [["09:00", "20:00"]] for day in (*WEEKDAYS, "sat", "sun")}),
                   (MAPLE_GROVE_THERAPY, "8400 Gross Point Rd", "Skokie", "60077",
                    {day: [["08:00", "16:30"]] for day in WEEKDAYS} | {"sat": [], "sun": []})),
        area_code="847", extra_kind=K.NURSING_HOME,
    ),
    "prairie": Plan(
        staff=(("163WC0400X", 2), ("1041C0700X", 2), ("172V00000X", 2), ("183500000X", 1), ("363LA2200X", 1)),
        listings=(("lincoln_square_im", ANY, 3), ("south_side_fhc", ANY, 3), ("pilsen_health", ANY, 3),
                  ("northside", ("207Q00000X", "207R00000X"), 3), ("lakeshore", ("207RC0000X", "207RN0300X"), 2),
                  ("st_brendan", ("207RP1001X", "2084N0400X", "207RH0003X"), 3), ("heartland_hh", ANY, 0),
                  ("archer_pharmacy", ANY, 0), ("great_lakes_plan", ANY, 0), ("prairie_state_plan", ANY, 0),
                  ("uptown_services", ANY, 0), ("riverside", ("208000000X", "363LF0000X"), 2)),
        locations=(("Prairie Care Partners — Loop Office", "200 W Adams St, Suite 1400", "Chicago", "60606",
                    {day: [["08:30", "17:00"]] for day in WEEKDAYS} | {"sat": [], "sun": []}),
                   ("Prairie Care Partners — Bronzeville Community Office", "4700 S Cottage Grove Ave", "Chicago",
                    "60653", {"tue": [["10:00", "18:00"]], "thu": [["10:00", "18:00"]], "sat": [["09:00", "13:00"]]})),
        area_code="312", extra_kind=K.COMMUNITY,
    ),
    # A federally qualified community health center: primary care for all ages, community health workers and
    # benefits counselors, a school-based site.
    "riverside": Plan(
        staff=(("363LF0000X", 2), ("207Q00000X", 2), ("208000000X", 2), ("1041C0700X", 1), ("103T00000X", 1),
               ("172V00000X", 2), ("163W00000X", 1), ("183500000X", 1), ("133V00000X", 1)),
        listings=(("lakeshore", ("207RC0000X", "207RE0101X", "2084P0800X"), 2), ("pilsen_health", ANY, 2),
                  ("archer_pharmacy", ANY, 0), ("great_lakes_plan", ANY, 0), ("prairie_state_plan", ANY, 0),
                  ("midwest_lab", ANY, 0), ("prairie", ANY, 0)),
        locations=(("Riverside Community Health Center — Pilsen", "1900 S Blue Island Ave", "Chicago", "60608",
                    OFFICE | {"tue": [["08:00", "19:00"]], "sat": [["09:00", "13:00"]]}),
                   ("Riverside School-Based Health Center — Little Village", "3120 S Kostner Ave", "Chicago",
                    "60623", {day: [["07:30", "15:30"]] for day in WEEKDAYS} | {"sat": [], "sun": []})),
        area_code="312",
    ),
}  # fmt: skip


@dataclass
class Person:
    """A clinician, drawn once: the same NPI wherever they are listed."""

    given: str
    family: str
    taxonomy: str
    suffix: str
    title: str
    npi: str
    languages: list[str]
    accepting: bool
    workplace: str  # a tenant slug or an Outside key


@dataclass
class DirectoryIndex:
    """A tenant's directory rows, sorted for building care teams."""

    practitioners: list[Practitioner] = field(default_factory=list)
    outside: dict[str, ExternalOrganization] = field(default_factory=dict)

    def with_taxonomy(self, codes) -> list[Practitioner]:
        return [p for p in self.practitioners if p.specialty_code in codes]


@dataclass
class Registry:
    """Everything drawn once for all directories: clinicians, and each organization's NPI and phone lines."""

    people: dict[str, list[Person]]
    npi: dict[str, str]  # organization key -> organization NPI ("" for payers and community groups)
    phone: dict[str, str]
    fax: dict[str, str]
    npis: set[str]


def registry_create(rng: random.Random, names: NameMaker, phones: PhoneBook, named: dict[str, list]) -> Registry:
    """Draws every clinician and organization line once; `named` puts the provider users first in their staff."""
    npis: set[str] = set()
    registry = Registry(people={}, npi={}, phone={}, fax={}, npis=npis)
    staff_of = {slug: plan.staff for slug, plan in PLANS.items()} | {o.key: o.staff for o in OUTSIDE}
    for key, staff in staff_of.items():
        spec = OUTSIDE_BY_KEY.get(key)
        area_code = spec.area_code if spec else PLANS[key].area_code
        has_npi = spec is None or spec.kind not in (K.PAYER, K.COMMUNITY)
        registry.npi[key] = npi_make(rng, npis) if has_npi else ""
        registry.phone[key] = phones.number((area_code,))
        registry.fax[key] = phones.number((area_code,)) if has_npi else ""
        registry.people[key] = _staff(rng, names, npis, staff, list(named.get(key, [])), key)
    return registry


def _staff(rng, names: NameMaker, npis: set[str], staff, fixed: list, workplace: str) -> list[Person]:
    people = []
    for taxonomy, count in staff:
        for _ in range(count):
            if fixed and fixed[0][2] == taxonomy:
                given, family, _, group_key = fixed.pop(0)
                group = GROUP_BY_KEY[group_key]
            else:
                group = names.group()
                given, family = names.unique_person(group, rng.choice("FM"), rng.randint(1960, 1996))
            _, credentials, title = TAXONOMY[taxonomy]
            languages = ["en"]
            if group.language[0] != "en" and rng.random() < 0.6:
                languages.append(group.language[0])
            people.append(Person(
                given=given, family=family, taxonomy=taxonomy, suffix=rng.choice(credentials), title=title,
                npi=npi_make(rng, npis), languages=languages, accepting=rng.random() < 0.75, workplace=workplace,
            ))  # fmt: skip
    return people


def directory_create(*, org: Organization, tenants: dict[str, Organization], registry: Registry,
                     domain: str) -> DirectoryIndex:  # fmt: skip
    """Creates one tenant's outside organizations, practitioners and locations."""
    plan = PLANS[org.slug]
    index = DirectoryIndex()
    outside_rows = [_outside_row(org, key, tenants, registry) for key, _, _ in plan.listings]
    ExternalOrganization.objects.bulk_create(outside_rows)
    index.outside = {key: row for (key, _, _), row in zip(plan.listings, outside_rows, strict=True)}
    main_line = registry.phone[org.slug]
    for person in registry.people[org.slug]:
        email = staff_email(person.given, person.family, domain)
        index.practitioners.append(_practitioner(org, person, phone=main_line, email=email))
    for key, taxonomies, limit in plan.listings:
        listed = [p for p in registry.people[key] if not taxonomies or p.taxonomy in taxonomies][:limit]
        for person in listed:
            row = _practitioner(org, person, phone=registry.phone[key], email="")
            row.external_organization = index.outside[key]
            index.practitioners.append(row)
    Practitioner.objects.bulk_create(index.practitioners)
    Location.objects.bulk_create(_locations(org, plan, index, main_line))
    return index


def _outside_row(org: Organization, key: str, tenants: dict[str, Organization], registry: Registry):
    if key in PLANS:
        name, kind = tenants[key].name, PLANS[key].extra_kind
        _, line, city, zip_code, _ = PLANS[key].locations[0]
        website = ""
    else:
        spec = OUTSIDE_BY_KEY[key]
        name, kind, (line, city, zip_code) = spec.name, spec.kind, spec.address
        website = f"https://{key.replace('_', '-')}.example"
    return ExternalOrganization(
        organization=org, name=name, kind=kind, npi=registry.npi[key], phone=registry.phone[key],
        fax=registry.fax[key], website=website, address_line=line, city=city, state="IL", postal_code=zip_code,
    )  # fmt: skip


def _practitioner(org: Organization, person: Person, *, phone: str, email: str) -> Practitioner:
    return Practitioner(
        organization=org, npi=person.npi, prefix=person.title, given_name=person.given, family_name=person.family,
        suffix=person.suffix, specialty_code=person.taxonomy, specialty_display=TAXONOMY[person.taxonomy][0],
        languages=person.languages, accepting_new_patients=person.accepting, phone=phone, email=email,
    )  # fmt: skip


def _locations(org, plan: Plan, index: DirectoryIndex, main_line: str) -> list[Location]:
    rows = [
        Location(organization=org, name=name, address_line=line, city=city, state="IL", postal_code=zip_code,
                 phone=main_line, hours=hours)
        for name, line, city, zip_code, hours in plan.locations
    ]  # fmt: skip
    for key, outside in index.outside.items():
        spec = OUTSIDE_BY_KEY.get(key)
        if spec is None or spec.hours is None:
            continue
        rows.append(Location(
            organization=org, external_organization=outside, name=spec.name, address_line=outside.address_line,
            city=outside.city, state="IL", postal_code=outside.postal_code, phone=outside.phone, hours=spec.hours,
        ))  # fmt: skip
    return rows
