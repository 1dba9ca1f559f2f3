"""
Builds model instances (unsaved, with their primary keys assigned) for the generator: one patient with
everything hanging off them — identifier, family, care team, problem list, care plans with goals, tasks.
The generator saves them with bulk_create, a thousand patients per transaction.

Keys are assigned here rather than by the database so children can point at parents without a round trip
(the generator resets the PostgreSQL sequences afterwards).
"""

import datetime as dt
import itertools
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from carecoord.careplans.models import CarePlan, Goal, Task
from carecoord.patients.domain import fold, search_name, sort_name
from carecoord.patients.models import CareTeamMember, Condition, Patient, PatientIdentifier, RelatedPerson

from . import names

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


def zipf_weights(n: int, s: float = 0.9) -> list[float]:
    return list(itertools.accumulate(1 / (rank**s) for rank in range(1, n + 1)))


class Ids:
    """Hands out primary keys per model, starting after what the database already holds."""

    def __init__(self, start: dict[type, int]):
        self._next = {model: value + 1 for model, value in start.items()}

    def peek(self, model: type) -> int:
        return self._next[model]

    def take(self, model: type) -> int:
        value = self._next[model]
        self._next[model] = value + 1
        return value


_EXCHANGES = [e for e in range(200, 1000) if e % 100 != 11 and e != 555]
_FICTIONAL = 100 * len(names.AREA_CODES)


def phone_number(k: int) -> str:
    """
    The k-th bench phone number, unique for every k: first the fictional 555-0100..0199 block of each
    area code, then ordinary exchanges (all valid North American numbers, E.164).
    """
    if k < _FICTIONAL:
        return f"+1{names.AREA_CODES[k // 100]}55501{k % 100:02d}"
    j = k - _FICTIONAL
    area = names.AREA_CODES[j % len(names.AREA_CODES)]
    rest = j // len(names.AREA_CODES)
    return f"+1{area}{_EXCHANGES[rest // 10_000]}{rest % 10_000:04d}"


@dataclass
class Reference:
    """What the patient builder draws from: the organization, its staff and directory."""

    organization_id: int
    coordinator_ids: list[int]
    pcp_ids: list[int]
    specialist_ids: list[int]
    today: dt.date


@dataclass
class Batch:
    """Unsaved instances of one batch, by model, in the order they must be inserted."""

    rows: dict[type, list] = field(default_factory=lambda: defaultdict(list))
    addresses: list[tuple[int, int]] = field(default_factory=list)  # (careplan id, condition id)

    def add(self, model: type, **values) -> dict:
        """Adds one row (attribute name -> value; the writer fills the model's defaults) and returns it."""
        self.rows[model].append(values)
        return values


ORDER = [Patient, PatientIdentifier, RelatedPerson, CareTeamMember, Condition, CarePlan, Goal, Task]

_OPEN = (["requested", "received", "accepted", "ready", "in-progress", "on-hold"], [35, 5, 15, 10, 30, 5])
_OTHER_CLOSED = (["cancelled", "failed", "rejected", "entered-in-error"], [60, 20, 10, 10])
_KINDS = (list(names.TASK_TITLES), [30, 6, 8, 10, 16, 6, 8, 12, 4])
_PRIORITIES = (["routine", "urgent", "asap", "stat"], [85, 10, 4, 1])
_LANGUAGES = (
    ["en", "es", "zh", "vi", "pl", "ar", "ru", "ko", "tl", "ht", "fr", "hi", "so", "ase", "pt"],
    [72, 16, 2, 1.5, 1.5, 1, 1, 0.8, 0.8, 0.5, 0.5, 0.5, 0.3, 0.2, 0.4],
)


class PatientBuilder:
    """Makes one patient and their records at a time, deterministically from a seeded random generator."""

    def __init__(self, rng: random.Random, ids: Ids, ref: Reference, *, tasks_per_patient: int, mrn_prefix: str):
        self.rng, self.ids, self.ref = rng, ids, ref
        self.tasks_per_patient = tasks_per_patient
        self.mrn_prefix = mrn_prefix
        self._female_w = zipf_weights(len(names.FEMALE_GIVEN))
        self._male_w = zipf_weights(len(names.MALE_GIVEN))
        self._family_w = zipf_weights(len(names.FAMILY), 0.8)
        self._condition_w = zipf_weights(len(names.CONDITIONS), 0.7)
        self._conditions = {code: row for code, *row in names.CONDITIONS}

    def pick(self, values_weights):
        values, weights = values_weights
        return self.rng.choices(values, weights=weights)[0]

    def days_ago(self, low: int, high: int) -> dt.date:
        return self.ref.today - dt.timedelta(days=self.rng.randint(low, high))

    def build(self, batch: Batch, *, index: int, mrn: int, phone_index: int, coordinator_id: int) -> None:
        patient = batch.add(Patient, **self._patient(index, mrn, phone_index))
        self._identifier(batch, patient, index)
        family = self._family(batch, patient, phone_index)
        self._care_team(batch, patient, coordinator_id, family)
        conditions = self._conditions_for(batch, patient)
        plans = self._careplans(batch, patient, conditions, coordinator_id)
        self._tasks(batch, patient, plans, coordinator_id)

    def _patient(self, index: int, mrn: int, phone_index: int) -> dict:
        rng = self.rng
        age = self._age()
        female = rng.random() < 0.52
        pool, weights = (names.FEMALE_GIVEN, self._female_w) if female else (names.MALE_GIVEN, self._male_w)
        given = rng.choices(pool, cum_weights=weights)[0]
        family = rng.choices(names.FAMILY, cum_weights=self._family_w)[0]
        r = rng.random()
        middle = (
            rng.choices(pool, cum_weights=weights)[0] if r < 0.25 else (rng.choice("ABCDEJLMRS") if r < 0.4 else "")
        )
        preferred = names.NICKNAMES.get(given, "") if rng.random() < 0.3 else ""
        birth = self.ref.today - dt.timedelta(days=int(age * 365.25) + rng.randint(0, 364))
        city, zip3 = rng.choice(names.CITIES)
        language = self.pick(_LANGUAGES)
        gender = "female" if female else "male"
        if rng.random() < 0.02:
            gender = rng.choice(["other", "unknown"])
        email = ""
        if rng.random() < 0.45:
            email = f"{fold(given).replace(' ', '')}.{fold(family).replace(' ', '')}{index}@example.com"
        return dict(
            id=self.ids.take(Patient),
            organization_id=self.ref.organization_id,
            mrn=f"{self.mrn_prefix}{mrn:08d}",
            given_name=given,
            middle_name=middle,
            family_name=family,
            preferred_name=preferred,
            birth_date=birth,
            gender=gender,
            sex_at_birth="F" if female else "M",
            phone_primary=phone_number(phone_index),
            phone_primary_kind="mobile" if rng.random() < 0.75 else "home",
            phone_secondary=phone_number(phone_index + 1) if rng.random() < 0.3 else "",
            email=email,
            address_line1=self._street(),
            address_line2=rng.choice(["", "", "", "Apt 2", "Unit 3B"]),
            city=city,
            state="IL",
            postal_code=f"{zip3}{rng.randint(1, 99):02d}",
            preferred_language=language,
            interpreter_needed=language != "en" and rng.random() < 0.6,
            preferred_contact_method=rng.choice(["phone", "phone", "phone", "sms", "email", "mail"]),
            best_time_to_contact=rng.choice(["", "", "Mornings", "After 3 pm", "Weekdays before noon"]),
            consent_sms=rng.random() < 0.5,
            consent_email=bool(email) and rng.random() < 0.7,
            chart_alert="Hard of hearing — call mobile" if rng.random() < 0.03 else "",
            deceased_date=self.days_ago(1, 300) if rng.random() < 0.005 else None,
            search_name=search_name(given, middle, family, preferred),
            sort_name=sort_name(family, given),
        )

    def _age(self) -> int:
        r = self.rng.random()
        if r < 0.10:
            return self.rng.randint(2, 17)
        if r < 0.30:
            return self.rng.randint(18, 54)
        return min(104, int(self.rng.triangular(55, 100, 74)))

    def _street(self) -> str:
        rng = self.rng
        street = f"{rng.choice(names.STREET_NAMES)} {rng.choice(names.STREET_TYPES)}"
        return f"{rng.randint(100, 12999)} {rng.choice('NSEW')} {street}"

    def _identifier(self, batch: Batch, patient: dict, index: int) -> None:
        system, kind = self.rng.choice(names.PAYERS)
        batch.add(
            PatientIdentifier,
            id=self.ids.take(PatientIdentifier),
            organization_id=patient["organization_id"],
            patient_id=patient["id"],
            type=kind,
            system=system,
            value=f"{kind}{index:010d}",
        )

    def _family(self, batch: Batch, patient: dict, phone_index: int) -> list[dict]:
        rng = self.rng
        count = 0 if rng.random() < 0.4 else (1 if rng.random() < 0.75 else 2)
        child = (self.ref.today - patient["birth_date"]).days < 18 * 365
        people = []
        for n in range(count):
            relationship = rng.choice(
                ["MTH", "FTH", "GRPRN", "GUARD"]
                if child
                else ["DAUC", "SONC", "SPS", "SIB", "FRND", "NBOR", "CAREGIVER"]
            )
            female = relationship in {"MTH", "DAUC"} or (relationship not in {"FTH", "SONC"} and rng.random() < 0.6)
            person = batch.add(
                RelatedPerson,
                id=self.ids.take(RelatedPerson),
                organization_id=patient["organization_id"],
                patient_id=patient["id"],
                given_name=rng.choice(names.FEMALE_GIVEN if female else names.MALE_GIVEN),
                family_name=patient["family_name"]
                if relationship in {"MTH", "FTH", "SPS", "SONC", "DAUC", "SIB"}
                else rng.choice(names.FAMILY),
                relationship=relationship,
                phone=phone_number(phone_index + 2 + n),
                preferred_language=patient["preferred_language"],
                is_emergency_contact=n == 0,
                may_receive_information=rng.random() < 0.8,
                is_health_care_proxy=n == 0 and not child and rng.random() < 0.3,
            )
            people.append(person)
        return people

    def _care_team(self, batch: Batch, patient: dict, coordinator_id: int, family: list[dict]) -> None:
        rng = self.rng
        start = self.days_ago(30, 720)
        org = patient["organization_id"]

        def member(role: str, **who) -> None:
            end = who.pop("end_date", None)
            begin = who.pop("start_date", start)
            batch.add(
                CareTeamMember,
                id=self.ids.take(CareTeamMember),
                organization_id=org,
                patient_id=patient["id"],
                role=role,
                start_date=begin,
                end_date=end,
                **who,
            )

        member("coordinator", user_id=coordinator_id)
        if rng.random() < 0.05 and len(self.ref.coordinator_ids) > 1:  # handed over from a colleague
            previous = rng.choice([c for c in self.ref.coordinator_ids[:50] if c != coordinator_id])
            member(
                "coordinator",
                user_id=previous,
                start_date=start - dt.timedelta(days=400),
                end_date=start - dt.timedelta(days=1),
            )
        member("primary_care", practitioner_id=rng.choice(self.ref.pcp_ids))
        if rng.random() < 0.35:
            member("specialist", practitioner_id=rng.choice(self.ref.specialist_ids))
        if family and rng.random() < 0.5:
            member("caregiver", related_person_id=family[0]["id"])

    def _conditions_for(self, batch: Batch, patient: dict) -> list[dict]:
        rng = self.rng
        child = (self.ref.today - patient["birth_date"]).days < 18 * 365
        count = rng.choices([1, 2, 3, 4], weights=[35, 35, 20, 10])[0]
        if child:
            codes = rng.sample(names.PEDIATRIC_CONDITIONS, min(count, 2))
        else:
            codes = list(dict.fromkeys(rng.choices(list(self._conditions), cum_weights=self._condition_w, k=count)))
            codes = [c for c in codes if c not in names.PEDIATRIC_CONDITIONS or c in {"J45.909", "E66.9"}] or ["I10"]
        rows = []
        for n, code in enumerate(codes):
            display = self._conditions[code][0]
            rows.append(
                batch.add(
                    Condition,
                    id=self.ids.take(Condition),
                    organization_id=patient["organization_id"],
                    patient_id=patient["id"],
                    code_system=ICD10CM,
                    code=code,
                    display=display,
                    clinical_status="resolved" if n > 0 and rng.random() < 0.1 else "active",
                    onset_date=self.days_ago(60, 3650),
                )
            )
        return rows

    def _careplans(self, batch: Batch, patient: dict, conditions: list[dict], coordinator_id: int):
        """An active plan for the main problem (its goals), and for some a finished post-discharge plan."""
        rng = self.rng
        main = conditions[0]
        _, category, title = self._conditions[main["code"]]
        plans = []
        specs = [("active", category, title, self.days_ago(30, 700), None)]
        if rng.random() < 0.3:
            start = self.days_ago(730, 1000)
            specs.append(
                ("completed", "post_discharge", "Post-discharge transition", start, start + dt.timedelta(days=30))
            )
        for status, cat, plan_title, start, end in specs:
            plan = batch.add(
                CarePlan,
                id=self.ids.take(CarePlan),
                organization_id=patient["organization_id"],
                patient_id=patient["id"],
                title=plan_title,
                category=cat,
                status=status,
                start_date=start,
                end_date=end,
                author_id=coordinator_id,
                approved_by_id=None,
                description="",
            )
            batch.addresses.append((plan["id"], main["id"]))
            goals = []
            for text in names.GOALS[cat][: 2 if status == "active" else 1]:
                goal = batch.add(
                    Goal,
                    id=self.ids.take(Goal),
                    organization_id=patient["organization_id"],
                    patient_id=patient["id"],
                    careplan_id=plan["id"],
                    description=text,
                    start_date=start,
                    due_date=start + dt.timedelta(days=rng.choice([30, 90, 180])),
                    lifecycle_status="active" if status == "active" else "completed",
                    achievement_status="in-progress" if status == "active" else "achieved",
                )
                goals.append(goal)
            plans.append((plan, goals))
        return plans

    def _tasks(self, batch: Batch, patient: dict, plans, coordinator_id: int) -> None:
        rng, today = self.rng, self.ref.today
        active_plan, goals = plans[0]
        series = uuid.uuid4()
        for n in range(self.tasks_per_patient):
            r = rng.random()
            completed_at = completed_by = snoozed = None
            if r < 0.80:
                status, due = "completed", today + dt.timedelta(days=rng.randint(-365, 10))
                completed_at = dt.datetime.combine(due, dt.time(15, 0), tzinfo=dt.UTC) + dt.timedelta(
                    days=rng.randint(-5, 2)
                )
                completed_by = coordinator_id
            elif r < 0.95:
                status, due = self.pick(_OPEN), today + dt.timedelta(days=rng.randint(-60, 60))
                if rng.random() < 0.04:
                    snoozed = today + dt.timedelta(days=rng.randint(1, 14))
            else:
                status, due = self.pick(_OTHER_CLOSED), today + dt.timedelta(days=rng.randint(-365, 0))
            owner, owner_role = self._owner(coordinator_id)
            kind = self.pick(_KINDS)
            s = rng.random()
            source, plan, goal = (
                ("careplan", active_plan["id"], rng.choice(goals)["id"] if rng.random() < 0.5 else None)
                if s < 0.7
                else (
                    ("manual", None, None)
                    if s < 0.9
                    else (rng.choice(["scheduling", "transitions", "checkins"]), None, None)
                )
            )
            check_in = kind == "check_in"
            batch.add(
                Task,
                id=self.ids.take(Task),
                organization_id=patient["organization_id"],
                patient_id=patient["id"],
                careplan_id=plan,
                goal_id=goal,
                kind=kind,
                title=rng.choice(names.TASK_TITLES[kind]),
                description="Patient asked for a call back in the afternoon." if rng.random() < 0.1 else "",
                status=status,
                priority=self.pick(_PRIORITIES),
                owner_id=owner,
                owner_role=owner_role,
                due_date=due,
                snoozed_until=snoozed,
                snooze_reason="Patient in hospital" if snoozed else "",
                recurrence={"frequency": "weekly", "interval": 1, "count": 12} if check_in else {},
                series=series if check_in else None,
                occurrence=(n % 12) + 1 if check_in else 1,
                outcome_note="Reached patient; plan reviewed." if completed_at else "",
                completed_at=completed_at,
                completed_by_id=completed_by,
                source=source,
                created_by_id=coordinator_id,
            )

    def _owner(self, coordinator_id: int) -> tuple[int | None, str]:
        """Most tasks belong to the patient's coordinator; some to another role; a few to the coordinator pool."""
        r = self.rng.random()
        if r < 0.915:
            return coordinator_id, ""
        if r < 0.995:
            return None, self.rng.choice(["provider", "provider", "scheduler"])
        return None, "coordinator"
