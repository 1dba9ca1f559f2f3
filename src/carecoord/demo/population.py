"""
Demo patients and their families, drawn in memory (no database here) so the world builder can insert
them in bulk. Map: `patient_draw` (one person: name, birth date, contacts, address, language, problem list,
chart alert), `_family` (1-3 relatives with who may hear what, who is the emergency contact and who is the
health care proxy) and the small pools of wording they use.
"""

import datetime as dt
import random
from dataclasses import dataclass, field

from carecoord.patients.choices import (
    AdministrativeGender,
    BirthSex,
    ContactMethod,
    GenderIdentity,
    PhoneKind,
    Relationship,
)
from carecoord.patients.domain import search_name, sort_name
from carecoord.patients.models import Patient, RelatedPerson

from . import clinical
from .names import NICKNAMES, NameGroup
from .people import (
    NameMaker,
    PhoneBook,
    any_area,
    area_for,
    birth_date_for_age,
    email_for,
    one_line_address,
    street_address,
)
from .places import Area

# Age bands (low, high, weight) by the organization's kind.
AGE_BANDS = {
    clinical.CLINIC: ((1, 17, 12), (18, 44, 20), (45, 64, 30), (65, 79, 25), (80, 99, 13)),
    clinical.HOSPITAL: ((18, 44, 12), (45, 64, 28), (65, 79, 35), (80, 99, 25)),
    clinical.NURSING_HOME: ((62, 79, 30), (80, 99, 70)),
    clinical.COORDINATION: ((1, 17, 4), (18, 44, 10), (45, 64, 30), (65, 79, 33), (80, 99, 23)),
    # The health center's school-age children (its school readiness work) and working-age adults (benefits).
    clinical.HEALTH_CENTER: ((3, 17, 30), (18, 44, 32), (45, 64, 28), (65, 79, 8), (80, 99, 2)),
}
# Communities an organization's patients come from more often than the city's mix (the names' weights).
GROUP_BOOSTS = {clinical.HEALTH_CENTER: {"hispanic": 2.5}}
BEST_TIMES = ("Mornings", "Afternoons", "After 5 pm", "Weekdays before noon", "Any time", "Not before 10 am",
              "Evenings after 6 pm", "Tuesdays and Thursdays")  # fmt: skip
RELATIVE_NOTES = ("Works nights — text first", "Has a key to the apartment", "Visits on Sundays",
                  "Prefers email for paperwork", "Handles the bills", "Drives to appointments")  # fmt: skip
# How likely the patient lets us talk to each kind of relative about their care.
TRUST = {Relationship.SPS: 0.92, Relationship.DOMPART: 0.9, Relationship.DAU: 0.8, Relationship.SON: 0.75,
         Relationship.MTH: 1.0, Relationship.FTH: 1.0, Relationship.GRPRN: 0.6}  # fmt: skip
DEMENTIA = frozenset({"G30.9", "F03.90", "F01.50"})


@dataclass
class PatientDraft:
    """One demo patient before insertion, with what the care team and shares need to know."""

    patient: Patient
    group: NameGroup
    age: int
    profile: clinical.ClinicalProfile
    family: list[RelatedPerson] = field(default_factory=list)
    proxy: RelatedPerson | None = None
    caregiver: RelatedPerson | None = None

    @property
    def has_dementia(self) -> bool:
        return bool(self.profile.codes & DEMENTIA)


@dataclass
class Household:
    """Where the patient lives, and what the drawing of their family found out."""

    area: Area
    address: tuple[str, str, str, str]
    spouse: RelatedPerson | None = None
    members: list[RelatedPerson] = field(default_factory=list)


def _age(rng: random.Random, setting: str) -> int:
    low, high, _ = rng.choices(AGE_BANDS[setting], weights=[band[2] for band in AGE_BANDS[setting]])[0]
    if high == 99:  # the oldest band thins out towards 99
        return low + int(rng.triangular(0, high - low + 0.99, 1))
    return rng.randint(low, high)


def patient_draw(
    rng: random.Random, names: NameMaker, phones: PhoneBook, *, org_key: str, setting: str, today: dt.date,
    facility: tuple[str, str, str] | None = None,
) -> PatientDraft:  # fmt: skip
    """Draws one patient of the organization; `facility` is the nursing home's address for its residents."""
    age = _age(rng, setting)
    birth_date = birth_date_for_age(rng, today, age)
    group = names.group(GROUP_BOOSTS.get(setting))
    sex = "F" if rng.random() < (0.65 if setting == clinical.NURSING_HOME else 0.55) else "M"
    patient = Patient(birth_date=birth_date, sex_at_birth=BirthSex(sex),
                      gender=AdministrativeGender.FEMALE if sex == "F" else AdministrativeGender.MALE)  # fmt: skip
    if 18 <= age < 45 and rng.random() < 0.04:
        patient.gender, patient.gender_identity, patient.pronouns = (
            AdministrativeGender.OTHER, GenderIdentity.NONBINARY, "they/them")  # fmt: skip
    patient.given_name, patient.family_name = names.unique_person(group, sex, birth_date.year)
    if rng.random() < 0.35:
        middle = names.given(group, sex, birth_date.year)
        patient.middle_name = middle if middle != patient.given_name else ""
    if age >= 18 and patient.given_name in NICKNAMES and rng.random() < 0.4:
        patient.preferred_name = NICKNAMES[patient.given_name]
    _language(rng, patient, group, age)
    area = area_for(rng, org_key, group.key)
    home = Household(area=area, address=street_address(rng, area))
    _phones(rng, phones, patient, age, area)
    home.members = _family(rng, names, phones, patient=patient, age=age, group=group, home=home, setting=setting)
    lives_alone = age >= 60 and home.spouse is None and setting != clinical.NURSING_HOME and rng.random() < 0.5
    profile = clinical.conditions_for(rng, birth_date=birth_date, today=today, sex=sex, setting=setting,
                                      lives_alone=lives_alone)  # fmt: skip
    draft = PatientDraft(patient=patient, group=group, age=age, profile=profile, family=home.members)
    long_term = setting == clinical.NURSING_HOME and "rehab" not in profile.tags and rng.random() < 0.75
    _address(rng, patient, home, facility if long_term else None)
    _contact_preferences(rng, patient, age)
    _roles_in_family(rng, draft, home)
    patient.chart_alert = _chart_alert(rng, draft, lives_alone)
    patient.search_name = search_name(patient.given_name, patient.middle_name, patient.family_name,
                                      patient.preferred_name)  # fmt: skip
    patient.sort_name = sort_name(patient.family_name, patient.given_name)
    return draft


def _language(rng: random.Random, patient: Patient, group: NameGroup, age: int) -> None:
    code, p_old, p_adult, p_child = group.language
    chance = p_old if age >= 60 else p_adult if age >= 18 else p_child
    if code != "en" and rng.random() < chance:
        patient.preferred_language = code
        patient.interpreter_needed = rng.random() < (0.5 if age < 18 else 0.88)


def _phones(rng: random.Random, phones: PhoneBook, patient: Patient, age: int, area: Area) -> None:
    landline = age >= 75 and rng.random() < 0.45
    patient.phone_primary = phones.number(area.area_codes)
    patient.phone_primary_kind = PhoneKind.HOME if landline else PhoneKind.MOBILE
    if age >= 18 and rng.random() < 0.35:
        patient.phone_secondary = phones.number(area.area_codes)
        patient.phone_secondary_kind = PhoneKind.MOBILE if landline else PhoneKind.HOME
    if age >= 18 and rng.random() < (0.55 if age < 70 else 0.2):
        patient.email = email_for(rng, patient.given_name, patient.family_name)


def _address(rng: random.Random, patient: Patient, home: Household, facility) -> None:
    if facility:
        patient.address_line1, patient.city, patient.postal_code = facility
        patient.address_line2 = f"Room {rng.randint(101, 132) + 100 * rng.randint(0, 2)}"
    else:
        patient.address_line1, patient.address_line2, patient.city, patient.postal_code = home.address
    patient.state = "IL"


def _contact_preferences(rng: random.Random, patient: Patient, age: int) -> None:
    mobile = patient.phone_primary_kind == PhoneKind.MOBILE
    patient.consent_sms = mobile and rng.random() < 0.6
    patient.consent_email = bool(patient.email) and rng.random() < 0.65
    roll = rng.random()
    if patient.consent_sms and roll < 0.3 and not patient.interpreter_needed:
        patient.preferred_contact_method = ContactMethod.SMS
    elif patient.consent_email and roll < 0.45:
        patient.preferred_contact_method = ContactMethod.EMAIL
    elif age >= 70 and roll > 0.97:
        patient.preferred_contact_method = ContactMethod.MAIL
    if rng.random() < 0.5:
        patient.best_time_to_contact = rng.choice(BEST_TIMES)


def _relative(
    rng: random.Random, names: NameMaker, phones: PhoneBook, *, group: NameGroup, relationship: str, sex: str,
    birth_year: int, family_name: str | None, area: Area, address: str | None = None, language: str = "en",
    avoid: str = "",
) -> RelatedPerson:  # fmt: skip
    given = names.given(group, sex, birth_year)
    for _ in range(5):  # two people of one family seldom share a first name
        if given != avoid:
            break
        given = names.given(group, sex, birth_year)
    family = family_name or names.family(group, sex)
    return RelatedPerson(
        given_name=given, family_name=family, relationship=relationship, phone=phones.number(area.area_codes),
        address=address if address is not None else (one_line_address(rng, area) if rng.random() < 0.5 else ""),
        preferred_language=language,
    )  # fmt: skip


class _Kin:
    """Draws one patient's relatives: names from the patient's community, fictional phones, addresses nearby."""

    def __init__(self, rng: random.Random, names: NameMaker, phones: PhoneBook, *, patient: Patient, group: NameGroup,
                 home: Household):  # fmt: skip
        self.rng, self.names, self.phones = rng, names, phones
        self.patient, self.group, self.home = patient, group, home
        self.year, self.language = patient.birth_date.year, patient.preferred_language
        line1, line2, city, zip_code = home.address
        self.home_line = f"{line1}{', ' + line2 if line2 else ''}, {city}, IL {zip_code}"

    def make(self, relationship, sex, birth_year, family=None, area=None, address=None, lang="en") -> RelatedPerson:
        return _relative(self.rng, self.names, self.phones, group=self.group, relationship=relationship, sex=sex,
                         birth_year=birth_year, family_name=family, area=area or self.home.area, address=address,
                         language=lang, avoid=self.patient.given_name)  # fmt: skip


def _family(rng, names, phones, *, patient: Patient, age: int, group: NameGroup, home: Household,
            setting: str) -> list[RelatedPerson]:  # fmt: skip
    """1-3 relatives for most patients: parents for children; spouse, children, siblings or friends for adults."""
    kin = _Kin(rng, names, phones, patient=patient, group=group, home=home)
    members = _parents(kin) if age < 18 else _adult_family(kin, age, setting)
    return members[:3]


def _parents(kin: _Kin) -> list[RelatedPerson]:
    rng, patient, year, members = kin.rng, kin.patient, kin.year, []
    if rng.random() < 0.9:
        family = patient.family_name if rng.random() < 0.7 else None
        mother = kin.make(Relationship.MTH, "F", year - rng.randint(22, 40), family, address=kin.home_line,
                          lang=kin.language)  # fmt: skip
        mother.phone = patient.phone_primary  # a child's number is a parent's mobile
        members.append(mother)
    if rng.random() < 0.6 or not members:
        members.append(kin.make(Relationship.FTH, "M", year - rng.randint(24, 45), patient.family_name,
                                address=kin.home_line if rng.random() < 0.7 else None, lang=kin.language))  # fmt: skip
    if rng.random() < 0.25:
        members.append(kin.make(Relationship.GRPRN, rng.choice("FM"), year - rng.randint(45, 70), lang=kin.language))
    return members


def _adult_family(kin: _Kin, age: int, setting: str) -> list[RelatedPerson]:
    rng, patient, year, home, members = kin.rng, kin.patient, kin.year, kin.home, []
    married = {clinical.NURSING_HOME: 0.3}.get(setting, 0.2 if age < 30 else 0.55 if age < 80 else 0.3)
    if rng.random() < married:
        sex = ("M" if patient.sex_at_birth == "F" else "F") if rng.random() < 0.9 else patient.sex_at_birth
        relationship = Relationship.SPS if rng.random() < 0.9 else Relationship.DOMPART
        same_name = rng.random() < 0.7 and relationship == Relationship.SPS
        home.spouse = kin.make(relationship, sex, year + rng.randint(-6, 6), patient.family_name if same_name else None,
                               address=kin.home_line, lang=kin.language)  # fmt: skip
        members.append(home.spouse)
    if age >= 45:
        for _ in range(rng.choices((0, 1, 2), weights=(2, 4, 3) if age >= 65 else (5, 4, 1))[0]):
            sex = rng.choice("FM")
            family = patient.family_name if sex == "M" or rng.random() < 0.5 else None
            area = any_area(rng, far=0.15) if rng.random() < 0.4 else home.area
            lang = kin.language if rng.random() < 0.4 else "en"
            relationship = Relationship.DAU if sex == "F" else Relationship.SON
            members.append(kin.make(relationship, sex, year + rng.randint(22, 36), family, area=area, lang=lang))
    elif rng.random() < 0.3:
        sex = rng.choice("FM")
        relationship = Relationship.MTH if sex == "F" else Relationship.FTH
        members.append(kin.make(relationship, sex, year - rng.randint(20, 38), patient.family_name, lang=kin.language))
    if age >= 75 and len(members) < 3 and rng.random() < 0.15:
        members.append(kin.make(Relationship.GRNDCHILD, rng.choice("FM"), year + rng.randint(45, 60),
                                patient.family_name))  # fmt: skip
    if age >= 80 and home.spouse is None and setting != clinical.NURSING_HOME and rng.random() < 0.2:
        aide = kin.make(Relationship.CAREGIVER, "F", rng.randint(1965, 1995), kin.names.family(kin.names.group(), "F"))
        aide.note = "Paid caregiver, weekdays 9 am to 3 pm"
        members.append(aide)
    if not members and rng.random() < 0.65:
        relationship = rng.choice((Relationship.SIB, Relationship.SIB, Relationship.FRND, Relationship.NBOR))
        family = patient.family_name if relationship == Relationship.SIB else None
        members.append(kin.make(relationship, rng.choice("FM"), year + rng.randint(-8, 8), family, lang=kin.language))
    return members


def _roles_in_family(rng: random.Random, draft: PatientDraft, home: Household) -> None:
    """Who is the emergency contact, who may hear about the patient's care, and who is the proxy."""
    members = draft.family
    if not members:
        return
    for person in members:
        person.may_receive_information = rng.random() < TRUST.get(person.relationship, 0.35)
        person.is_emergency_contact = rng.random() < 0.3
        if rng.random() < 0.08:
            person.note = person.note or rng.choice(RELATIVE_NOTES)
    members[0].is_emergency_contact = True
    kin = [p for p in members if p.relationship not in (Relationship.CAREGIVER, Relationship.FRND, Relationship.NBOR)]
    if draft.age >= 65 and kin and rng.random() < 0.85:
        spouse_ok = home.spouse is not None and draft.age < 85
        children = [p for p in kin if p.relationship in (Relationship.DAU, Relationship.SON)]
        proxy = home.spouse if spouse_ok else (children or kin)[0]
        proxy.is_health_care_proxy = proxy.may_receive_information = True
        proxy.portal_access = rng.random() < 0.3
        draft.proxy = proxy
    helpers = [p for p in members if p.may_receive_information]
    draft.caregiver = next((p for p in helpers if p.relationship == Relationship.CAREGIVER), None) or (
        helpers[0] if helpers else None
    )


def _chart_alert(rng: random.Random, draft: PatientDraft, lives_alone: bool) -> str:
    codes, age = draft.profile.codes, draft.age
    options = []
    if "H91.90" in codes or (age >= 80 and rng.random() < 0.2):
        options.append("Hard of hearing — speak slowly")
    if lives_alone:
        options.append("Lives alone")
    if any(p.relationship == Relationship.DAU for p in draft.family) and (
        age >= 75 or draft.patient.preferred_language != "en"
    ):
        options.append("Prefers daughter on calls")
    if "H35.30" in codes:
        options.append("Low vision — send large-print letters")
    if "Z99.3" in codes:
        options.append("Uses a wheelchair — book accessible rooms")
    if draft.has_dementia and draft.proxy:
        options.append("Memory loss — include the health care proxy on calls")
    return rng.choice(options) if options and rng.random() < 0.4 else ""
