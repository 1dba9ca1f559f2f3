"""
Clinically plausible problem lists for demo patients, coded in ICD-10-CM. No database here.

Map: `ICD10` (icd10.py) is the catalog; `conditions_for` draws a problem list for one person from age- and
setting-dependent chances, with the comorbidity rules a coder would apply (hypertension with kidney disease
or heart failure takes the combined I11/I12/I13 codes, diabetes with kidney disease is E11.22, and so on);
`tags` name the specialties the problems call for, so the care team can get the right specialist.
"""

import datetime as dt
import random
from dataclasses import dataclass, field

from carecoord.patients.choices import ConditionCategory, ConditionClinicalStatus, ConditionVerificationStatus

from .icd10 import ICD10

DIABETES = ("E11.9", "E11.22", "E11.40", "E11.65")
SOCIAL_NEEDS = ("Z59.41", "Z59.82", "Z59.869", "Z59.6", "Z59.12")
FALLBACK_ADULT = ("E78.5", "M54.50", "K21.9", "F41.1", "E66.9", "J45.909", "E03.9")

# Setting keys are the demo organizations' kinds.
CLINIC, HOSPITAL, NURSING_HOME, COORDINATION = "clinic", "hospital", "nursing_home", "coordination_organization"
HEALTH_CENTER = "community_health_center"


@dataclass(frozen=True)
class ConditionDraft:
    code: str
    display: str
    onset: dt.date
    clinical_status: str = ConditionClinicalStatus.ACTIVE
    abatement: dt.date | None = None
    category: str = ConditionCategory.PROBLEM_LIST
    verification_status: str = ConditionVerificationStatus.CONFIRMED


@dataclass
class ClinicalProfile:
    conditions: list[ConditionDraft] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)  # cardio, renal, pulm, endo, neuro, psych, onc, rehab, peds

    @property
    def codes(self) -> set[str]:
        return {c.code for c in self.conditions}

    @property
    def chronic_count(self) -> int:
        return sum(1 for c in self.conditions if c.clinical_status == ConditionClinicalStatus.ACTIVE)


class _Drafter:
    """Collects one person's problems, keeping every onset after birth (and after `min_age`) and in the past."""

    def __init__(self, rng: random.Random, birth_date: dt.date, today: dt.date):
        self.rng, self.birth_date, self.today = rng, birth_date, today
        self.profile = ClinicalProfile()

    @property
    def age(self) -> int:
        before = (self.today.month, self.today.day) < (self.birth_date.month, self.birth_date.day)
        return self.today.year - self.birth_date.year - before

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def onset(self, years_ago: tuple[float, float], min_age: float) -> dt.date:
        latest = self.today - dt.timedelta(days=14)
        earliest = self.birth_date + dt.timedelta(days=int(min_age * 365.25) + 1)
        if earliest >= latest:  # younger than min_age: somewhere in their short life so far
            earliest, latest = self.birth_date, max(self.birth_date, self.today - dt.timedelta(days=1))
        low, high = years_ago
        day = self.today - dt.timedelta(days=self.rng.randint(int(low * 365), max(int(low * 365), int(high * 365))))
        return min(max(day, earliest), latest)

    def add(self, code: str, years_ago=(1, 10), min_age: float = 18, after: tuple[str, ...] = (), **extra) -> None:
        """Adds a problem; `after` names problems it follows (insulin after diabetes), keeping onsets in order."""
        onset = self.onset(years_ago, min_age)
        prior = max((c.onset for c in self.profile.conditions if c.code in after), default=None)
        if prior and onset < prior:
            onset = max(
                prior, min(prior + dt.timedelta(days=self.rng.randint(0, 365)), self.today - dt.timedelta(days=14))
            )
        self.profile.conditions.append(ConditionDraft(code=code, display=ICD10[code], onset=onset, **extra))

    def add_resolved(self, code: str, within_years: float = 3, min_age: float = 0) -> None:
        onset = self.onset((0.15, within_years), min_age)
        abatement = min(onset + dt.timedelta(days=self.rng.randint(7, 35)), self.today - dt.timedelta(days=1))
        self.add_fixed(code, onset, clinical_status=ConditionClinicalStatus.RESOLVED, abatement=max(abatement, onset),
                       category=ConditionCategory.ENCOUNTER_DIAGNOSIS)  # fmt: skip

    def add_fixed(self, code: str, onset: dt.date, **extra) -> None:
        self.profile.conditions.append(ConditionDraft(code=code, display=ICD10[code], onset=onset, **extra))

    def has(self, *codes: str) -> bool:
        return bool(self.profile.codes & set(codes))


def conditions_for(
    rng: random.Random, *, birth_date: dt.date, today: dt.date, sex: str, setting: str, lives_alone: bool = False
) -> ClinicalProfile:
    """Draws a problem list for one person; it always has at least one condition."""
    d = _Drafter(rng, birth_date, today)
    if d.age < 18:
        _child(d)
    else:
        _adult(d, sex=sex, setting=setting, lives_alone=lives_alone)
    if not d.profile.conditions:
        if d.age < 18:
            d.add_resolved("H66.90", within_years=2)
        else:
            d.add(rng.choice(FALLBACK_ADULT), years_ago=(0.5, 8))
    return d.profile


def _child(d: _Drafter) -> None:
    if d.chance(0.25):
        d.add(d.rng.choice(("J45.20", "J45.30")), years_ago=(0.5, 8), min_age=2)
        d.profile.tags.add("pulm")
    if d.age >= 5 and d.chance(0.15):
        d.add("F90.9", years_ago=(0.3, 5), min_age=5)
        d.profile.tags.add("psych")
    if d.age >= 3 and d.chance(0.05):
        d.add("F84.0", years_ago=(0.5, 6), min_age=2)
    if 2 <= d.age <= 7 and d.chance(0.2):
        d.add("F80.9", years_ago=(0.2, 3), min_age=2)
    if d.chance(0.12):
        d.add("L20.9", years_ago=(0.5, 10), min_age=0.3)
    if d.age >= 6 and d.chance(0.12):
        d.add("E66.9", years_ago=(0.3, 4), min_age=6)
    if d.chance(0.04):
        d.add("E10.9", years_ago=(0.3, 6), min_age=1)
        d.profile.tags.add("endo")
    if d.chance(0.03):
        d.add("G40.909", years_ago=(0.5, 6), min_age=1)
        d.profile.tags.add("neuro")
    if d.chance(0.06):
        d.add("Z91.010", years_ago=(0.5, 8), min_age=0.5)
    if d.chance(0.2):
        d.add_resolved("H66.90", within_years=2)
    if d.chance(0.1):
        d.add("Z59.41", years_ago=(0.1, 1.5), min_age=0, category=ConditionCategory.HEALTH_CONCERN)
    d.profile.tags.add("peds")


def _adult(d: _Drafter, *, sex: str, setting: str, lives_alone: bool) -> None:
    age, rng = d.age, d.rng
    sick = {HOSPITAL: 1.3, NURSING_HOME: 1.4, COORDINATION: 1.3}.get(setting, 1.0)
    _cardiometabolic(d, age, sick)
    _respiratory(d, age, sick)
    _mental_health(d, age)
    _aging(d, age, sex, setting, sick)
    if d.chance(0.05 if age < 60 else 0.09):
        _cancer(d, sex, age)
    if age < 45 and sex == "F" and d.chance(0.06):
        d.add("E28.2", years_ago=(1, 10), min_age=16)
    for code, p in (("K21.9", 0.1), ("D64.9", 0.06), ("M54.50", 0.08 if age < 70 else 0.04), ("M06.9", 0.02),
                    ("K50.90", 0.01 if age < 60 else 0), ("B20", 0.008), ("B18.2", 0.01)):  # fmt: skip
        if d.chance(p):
            d.add(code, years_ago=(1, 15), min_age=18)
    if setting == HOSPITAL and d.chance(0.12):
        d.add_resolved("J18.9", within_years=2, min_age=18)
    if age >= 65 and d.chance(0.08):
        d.add_resolved("N39.0", within_years=2, min_age=18)
    if d.chance(0.3 if setting == HEALTH_CENTER else 0.18 if setting in (COORDINATION, HOSPITAL) else 0.1):
        d.add(rng.choice(SOCIAL_NEEDS), years_ago=(0.1, 2), category=ConditionCategory.HEALTH_CONCERN)
    if lives_alone and age >= 60 and d.chance(0.5):
        d.add("Z60.2", years_ago=(0.2, 5), category=ConditionCategory.HEALTH_CONCERN)


def _band(age: int, young: float, middle: float, older: float, oldest: float) -> float:
    return young if age < 40 else middle if age < 55 else older if age < 70 else oldest


def _cardiometabolic(d: _Drafter, age: int, sick: float) -> None:
    rng = d.rng
    obese = d.chance(_band(age, 0.3, 0.35, 0.3, 0.18))
    if obese:
        if age < 75 and d.chance(0.2):
            d.add("E66.01", years_ago=(1, 12))
            d.add("Z68.41", years_ago=(0.2, 2), after=("E66.01",))
        else:
            d.add("E66.9", years_ago=(1, 15))
        if d.chance(0.25):
            d.add("G47.33", years_ago=(0.5, 8), min_age=25)
    htn = d.chance(min(0.9, _band(age, 0.08, 0.3, 0.55, 0.72) * sick))
    dm2 = d.chance(min(0.6, _band(age, 0.04, 0.14, 0.24, 0.27) * sick * (1.6 if obese else 1)))
    if d.chance(_band(age, 0.05, 0.25, 0.45, 0.5)):
        d.add(rng.choice(("E78.5", "E78.5", "E78.00")), years_ago=(1, 20), min_age=25)
    ckd = None
    if age >= 55 and (htn or dm2) and d.chance(0.3 * sick):
        ckd = rng.choices(("N18.31", "N18.32", "N18.30", "N18.4", "N18.6"), weights=(4, 3, 1, 2, 1))[0]
        d.add(ckd, years_ago=(0.5, 8), min_age=40)
        if ckd == "N18.6":
            d.add("Z99.2", years_ago=(0.2, 4), min_age=40, after=("N18.6",))
        d.profile.tags.add("renal")
    hf = None
    if age >= 55 and d.chance(min(0.5, (0.06 + (0.1 if htn else 0)) * sick * (1.5 if age >= 75 else 1))):
        hf = rng.choice(("I50.22", "I50.32", "I50.32", "I50.9"))
        d.add(hf, years_ago=(0.3, 8), min_age=40)
        d.profile.tags.add("cardio")
    if htn:
        _hypertension(d, ckd=ckd, hf=hf)
    if dm2:
        _diabetes(d, ckd=ckd)
    if age >= 65 and d.chance(0.16 if age >= 80 else 0.1):
        d.add("I48.91", years_ago=(0.5, 10), min_age=40)
        if d.chance(0.7):
            d.add("Z79.01", years_ago=(0.3, 8), min_age=40, after=("I48.91",))
        d.profile.tags.add("cardio")
    if age >= 50 and d.chance(0.1 + (0.08 if dm2 else 0)):
        d.add("I25.10", years_ago=(1, 15), min_age=35)
        if d.chance(0.2):
            d.add("Z95.1", years_ago=(1, 10), min_age=40, after=("I25.10",))
        d.profile.tags.add("cardio")
    if age >= 60 and d.chance(0.05 + (0.05 if dm2 else 0)):
        d.add("I73.9", years_ago=(1, 8), min_age=45)


def _hypertension(d: _Drafter, *, ckd: str | None, hf: str | None) -> None:
    """Hypertension is coded with its heart and kidney consequences (ICD-10-CM I11-I13 guidelines)."""
    if ckd and hf:
        code = "I13.2" if ckd == "N18.6" else "I13.0"
    elif ckd:
        code = "I12.0" if ckd == "N18.6" else "I12.9"
    elif hf:
        code = "I11.0"
    else:
        code = "I10"
    d.add(code, years_ago=(1, 25), min_age=25, after=tuple(c for c in (ckd, hf) if c))  # combined codes follow


def _diabetes(d: _Drafter, *, ckd: str | None) -> None:
    if ckd:
        d.add("E11.22", years_ago=(1, 20), min_age=25, after=(ckd,))
        d.profile.tags.add("endo")
    if d.chance(0.15):
        d.add("E11.40", years_ago=(1, 15), min_age=25)
        d.profile.tags.add("endo")
    if not d.has("E11.22", "E11.40"):
        d.add("E11.65" if d.chance(0.15) else "E11.9", years_ago=(1, 20), min_age=25)
    d.add("Z79.4" if d.chance(0.3) else "Z79.84", years_ago=(0.5, 10), min_age=25, after=DIABETES)
    if d.chance(0.25):
        d.profile.tags.add("endo")


def _respiratory(d: _Drafter, age: int, sick: float) -> None:
    smoker = d.chance(0.14 if age < 70 else 0.08)
    if smoker:
        d.add("F17.210", years_ago=(5, 40), min_age=16)
    if age >= 45 and d.chance(min(0.5, (0.07 + (0.25 if smoker else 0)) * sick)):
        d.add("J44.9", years_ago=(1, 15), min_age=40)
        d.profile.tags.add("pulm")
        if d.chance(0.15):
            d.add("J96.11", years_ago=(0.3, 4), min_age=45, after=("J44.9",))
            d.add("Z99.81", years_ago=(0.3, 4), min_age=45, after=("J96.11",))
        if d.chance(0.3):
            d.add_resolved("J44.1", within_years=2, min_age=40)
    elif d.chance(0.08):
        d.add("J45.909", years_ago=(2, 30), min_age=2)


def _mental_health(d: _Drafter, age: int) -> None:
    rng = d.rng
    if d.chance(0.15):
        if d.chance(0.3):
            d.add("F33.1", years_ago=(1, 15), min_age=14)
        else:
            status = ConditionClinicalStatus.REMISSION if d.chance(0.15) else ConditionClinicalStatus.ACTIVE
            d.add("F32.A", years_ago=(0.3, 10), min_age=14, clinical_status=status)
        d.profile.tags.add("psych")
    if d.chance(0.11):
        d.add("F41.1", years_ago=(0.5, 12), min_age=14)
    if age < 70:
        for code, p in (("F43.10", 0.02), ("F31.9", 0.015), ("F20.9", 0.01), ("F11.20", 0.02)):
            if d.chance(p):
                d.add(code, years_ago=(1, 15), min_age=16)
                d.profile.tags.add("psych")
    if d.chance(0.03):
        if rng.random() < 0.35:
            d.add("F10.21", years_ago=(1, 10), min_age=18, clinical_status=ConditionClinicalStatus.REMISSION)
        else:
            d.add("F10.20", years_ago=(1, 10), min_age=18)
        d.profile.tags.add("psych")


def _aging(d: _Drafter, age: int, sex: str, setting: str, sick: float) -> None:
    rng = d.rng
    nursing = setting == NURSING_HOME
    if age >= 55 and d.chance(0.2):
        d.add(rng.choice(("M17.11", "M17.12", "M17.0")), years_ago=(1, 12), min_age=45)
    if age >= 65 and sex == "F" and d.chance(0.25):
        d.add("M81.0", years_ago=(1, 10), min_age=50)
    if sex == "F" and d.chance(0.08):
        d.add("E03.9", years_ago=(1, 20), min_age=18)
    if age >= 55 and sex == "M" and d.chance(0.25):
        d.add("N40.0", years_ago=(1, 10), min_age=45)
    if age >= 75 and d.chance(0.5 if nursing else 0.12 if age < 85 else 0.25):
        d.add(rng.choices(("G30.9", "F03.90", "F01.50"), weights=(5, 3, 2))[0], years_ago=(0.5, 8), min_age=60)
        d.profile.tags.add("neuro")
    if age >= 60 and d.chance(0.03):
        d.add("G20.A1", years_ago=(0.5, 10), min_age=50)
        d.profile.tags.add("neuro")
    if age >= 60 and d.chance(0.06 * sick):
        d.add("I69.351" if nursing and d.chance(0.6) else "Z86.73", years_ago=(0.3, 10), min_age=45)
        d.profile.tags.add("neuro")
    for code, min_years, p in (("H91.90", 70, 0.2), ("H35.30", 75, 0.07), ("H40.9", 60, 0.05), ("R32", 75, 0.1)):
        if age >= min_years and d.chance(p):
            d.add(code, years_ago=(1, 10), min_age=50)
    if age >= 75 and d.chance(0.35 if nursing else 0.15):
        d.add("Z91.81", years_ago=(0.1, 3), min_age=60)
        if d.chance(0.5):
            d.add("R26.81", years_ago=(0.1, 3), min_age=60, after=("Z91.81",))
    if nursing:
        _nursing_home(d)


def _nursing_home(d: _Drafter) -> None:
    for code, p in (("Z74.1", 0.5), ("M62.81", 0.3), ("Z99.3", 0.2), ("R13.10", 0.08), ("E44.0", 0.05),
                    ("L89.152", 0.05)):  # fmt: skip
        if d.chance(p):
            d.add(code, years_ago=(0.1, 2), min_age=60)
    if d.chance(0.3):  # short-term rehab after a hip replacement
        d.add("Z96.641", years_ago=(0.05, 0.3), min_age=50)
        d.add("Z47.1", years_ago=(0.02, 0.25), min_age=50, after=("Z96.641",))
        d.profile.tags.add("rehab")
    if d.has("I69.351", "Z99.3", "M62.81"):
        d.profile.tags.add("rehab")


def _cancer(d: _Drafter, sex: str, age: int) -> None:
    rng = d.rng
    current = d.chance(0.35)
    if sex == "F" and rng.random() < 0.7:
        d.add("C50.911" if current else "Z85.3", years_ago=(0.3, 2) if current else (3, 15), min_age=30)
    elif sex == "M" and age >= 50 and rng.random() < 0.7:
        d.add("C61" if current else "Z85.46", years_ago=(0.3, 2) if current else (3, 12), min_age=45)
    else:
        d.add("Z85.038", years_ago=(3, 15), min_age=35)
        current = False
    if current:
        d.profile.tags.add("onc")
