"""
Observation <-> checkins.Measurement (the values a coordinator records, checkins.measures.MEASURES).

Profiles where the data allows (US Core 6.1.0): blood pressure (us-core-blood-pressure: code 85354-9, no
value, components 8480-6 systolic and 8462-4 diastolic in mm[Hg]), body weight (us-core-body-weight, 29463-7,
kg), HbA1c and glucose (us-core-observation-lab). Categories: vital-signs (blood pressure, weight),
laboratory (HbA1c, glucose), survey (pain 0-10), activity (steps), exam (gait speed, timed up and go).
Values are UCUM quantities. status: final, or entered-in-error once struck out. performer: the staff member
who recorded it (a logical reference by our user id). The goal a measurement counts toward travels in the
extension urn:carecoord:fhir:goal (valueReference Goal/<id>).

Create records through checkins.measurement_services.measurement_record_checked (measurement_record's rules for
the patient the subject check just read): subject, a LOINC code CareCoord
keeps (blood pressure also as 55284-4, Synthea's code, with its two components), effective[x] (a date alone
is midnight in the organization's zone), the value in our unit (weight also in [lb_av], converted), and
optionally the goal extension. Delete marks the measurement entered in error (measurement_enter_in_error);
there is no update. An import skips observations of other kinds, saying why.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from carecoord.checkins.measurement_services import measurement_enter_in_error, measurement_record_checked
from carecoord.checkins.measures import MEASURES
from carecoord.checkins.models import Measurement
from carecoord.checkins.progress_selectors import (
    DIASTOLIC_BP,
    SYSTOLIC_BP,
    measure_codes,
    open_goals_of_checked_patient,
)
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, compact, instant, parse_id, reference
from carecoord.interop.fhir.codes import US_CORE, coding
from carecoord.interop.fhir.context import subjects
from carecoord.interop.fhir.deferred import insert_waiting_rows, wait_to_insert, waiting
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import date_filter, reference_filter

from ._care import (
    actor_key,
    bad,
    bundle_memo,
    empty_for_new_patient,
    extension_value,
    number,
    parse_decimal,
    subject_patient,
    user_reference,
)
from ._checkins import own_or_home

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
GOAL_EXTENSION = "urn:carecoord:fhir:goal"
SYNTHEA_BP = "55284-4"
CATEGORIES = {
    "bp": "vital-signs",
    "weight": "vital-signs",
    "hba1c": "laboratory",
    "glucose": "laboratory",
    "pain": "survey",
    "steps": "activity",
    "gait_speed": "exam",
    "tug": "exam",
}
CATEGORY_DISPLAY = {
    "vital-signs": "Vital Signs",
    "laboratory": "Laboratory",
    "survey": "Survey",
    "activity": "Activity",
    "exam": "Exam",
}
PROFILES = {
    "bp": f"{US_CORE}/us-core-blood-pressure",
    "weight": f"{US_CORE}/us-core-body-weight",
    "hba1c": f"{US_CORE}/us-core-observation-lab",
    "glucose": f"{US_CORE}/us-core-observation-lab",
}
KIND_OF_CODE = {**{m.loinc: key for key, m in MEASURES.items()}, SYNTHEA_BP: "bp"}
POUND_KG = Decimal("0.45359237")
CREATABLE_STATUSES = ("final", "amended", "corrected", "preliminary")


def _code_filter(value: str, modifier: str) -> Q:
    system, code = value.split("|", 1) if "|" in value else (LOINC, value)
    if system not in (LOINC, "") or not code:
        return Q(pk__in=[])
    if code in (SYSTOLIC_BP, DIASTOLIC_BP, SYNTHEA_BP):
        return Q(kind="bp")
    return Q(loinc=code)


def _category_filter(value: str, modifier: str) -> Q:
    system, code = value.split("|", 1) if "|" in value else (CATEGORY_SYSTEM, value)
    if system not in (CATEGORY_SYSTEM, ""):
        return Q(pk__in=[])
    return Q(kind__in=[kind for kind, category in CATEGORIES.items() if category == code])


def _status_filter(value: str, modifier: str) -> Q:
    code = value.split("|", 1)[-1]
    found = {"final": Q(entered_in_error=False), "entered-in-error": Q(entered_in_error=True)}.get(code, Q(pk__in=[]))
    return ~found if modifier == "not" else found


@register
class ObservationMapper(ResourceMapper):
    resource_type = "Observation"
    model = Measurement
    interactions = ("read", "vread", "search-type", "history-instance", "history-type", "create", "delete")
    select_related = ("patient", "goal", "by")
    documentation = (
        "Measurements (vital signs, HbA1c, glucose, pain, steps, gait speed, TUG) as US Core Observations; "
        f"create records one (the goal it counts toward in the extension {GOAL_EXTENSION})."
    )
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "subject": SearchParam(
            "subject", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "code": SearchParam("code", "token", _code_filter, "LOINC (8480-6 and 8462-4 find blood pressures)."),
        "category": SearchParam("category", "token", _category_filter),
        "date": SearchParam("date", "date", date_filter("occurred_at")),
        "status": SearchParam("status", "token", _status_filter),
    }
    sort_fields = {"date": "occurred_at", "code": "loinc"}

    def queryset(self, actor):
        return own_or_home(Measurement.objects.all(), actor)

    def is_retired(self, obj: Measurement) -> bool:
        return obj.entered_in_error

    def meta(self, obj: Measurement) -> dict:
        meta = {"versionId": str(obj.version), "lastUpdated": instant(obj.updated_at)}
        if obj.kind in PROFILES:
            meta["profile"] = [PROFILES[obj.kind]]
        return meta

    def to_fhir(self, obj: Measurement) -> dict:
        measure = MEASURES.get(obj.kind)
        display = measure.display if measure else obj.kind
        category = CATEGORIES.get(obj.kind, "exam")
        resource = {
            **self.base(obj),
            "extension": [{"url": GOAL_EXTENSION, "valueReference": reference("Goal", obj.goal)}] if obj.goal else [],
            "status": "entered-in-error" if obj.entered_in_error else "final",
            "category": [{"coding": [coding(CATEGORY_SYSTEM, category, CATEGORY_DISPLAY[category])]}],
            "code": {"coding": [coding(LOINC, obj.loinc, display)], "text": display},
            "subject": reference("Patient", obj.patient),
            "effectiveDateTime": instant(obj.occurred_at),
            "issued": instant(obj.created_at),
            "performer": [user_reference(obj.by)],
            "note": [{"text": obj.note}] if obj.note else [],
        }
        if obj.kind == "bp":
            resource["code"] = {
                "coding": [coding(LOINC, obj.loinc, "Blood pressure panel with all children optional")],
                "text": display,
            }
            resource["component"] = [
                {
                    "code": {"coding": [coding(LOINC, SYSTOLIC_BP, "Systolic blood pressure")]},
                    "valueQuantity": _quantity(obj.value, obj.unit),
                },
                {
                    "code": {"coding": [coding(LOINC, DIASTOLIC_BP, "Diastolic blood pressure")]},
                    "valueQuantity": _quantity(obj.value2, obj.unit),
                },
            ]
        else:
            resource["valueQuantity"] = _quantity(obj.value, obj.unit)
        return compact(resource)

    # --- writes ---
    def precheck(self, actor, resource: dict) -> None:
        if resource.get("status") not in CREATABLE_STATUSES:
            raise bad("Observation.status", f"a new measurement is one of {', '.join(CREATABLE_STATUSES)}.")
        _kind(resource)  # create's first two checks, in its order

    def create(self, actor, resource: dict) -> Measurement:
        if resource.get("status") not in CREATABLE_STATUSES:
            raise bad("Observation.status", f"a new measurement is one of {', '.join(CREATABLE_STATUSES)}.")
        kind = _kind(resource)
        patient = subject_patient(actor, resource.get("subject"), "Observation.subject")
        value, value2 = _values(resource, kind)
        goal = None
        goal_ref = extension_value(resource, GOAL_EXTENSION, "valueReference")
        if goal_ref:
            key = parse_id(str(goal_ref.get("reference", "")).rpartition("/")[2])
            goal = open_goals_of_checked_patient(actor, patient).filter(public_id=key).first() if key else None
            if goal is None:
                raise bad(f"Observation.extension('{GOAL_EXTENSION}')", "must name an open goal of the patient.")
        measurement = measurement_record_checked(
            actor=actor,
            patient=patient,
            kind=kind,
            value=value,
            value2=value2,
            occurred_at=_effective(resource, actor.organization.tz),
            goal=goal,
            open_goals=_open_goals(actor, patient) if goal is None else None,
            note=" ".join(str(n.get("text", "")) for n in resource.get("note") or [])[:300],
            insert_later=wait_to_insert if waiting() else None,  # inserted at the end, with the other rows
        )
        _remember(actor, measurement)
        return measurement

    def create_fails_before_writing(self, actor, resource: dict) -> bool:
        """
        True when create would raise any error before its first write (interactions._create_block): its subject
        was already checked in this Bundle (no denied-access audit entry to roll back) and no goal's status
        would be recomputed after the measurement is written. Anything unexpected: False (keep the savepoint).
        """
        try:
            if extension_value(resource, GOAL_EXTENSION, "valueReference"):
                return False
            kind = _kind(resource)
            key = parse_id(str((resource.get("subject") or {}).get("reference", "")).rpartition("/")[2])
            patient = (subjects() or {}).get((key, *actor_key(actor)))
            goals = _open_goals(actor, patient) if patient is not None else None
        except Exception:
            return False
        return goals is not None and not any(goal.measure_code in measure_codes(kind) for goal in goals)

    def delete(self, actor, obj: Measurement) -> None:
        measurement_enter_in_error(actor=actor, measurement=obj, reason="Deleted through the FHIR API.")

    def find_existing(self, actor, resource: dict):
        try:
            kind = _kind(resource)
            value, value2 = _values(resource, kind)
            occurred_at = _effective(resource, actor.organization.tz)
        except Exception:
            return None
        key = parse_id(str((resource.get("subject") or {}).get("reference", "")).rpartition("/")[2])
        if key is None:
            return None
        on_file = _on_file(self, actor, key)
        if on_file is None:  # outside a transaction Bundle: one query
            return (
                self.queryset(actor)
                .filter(patient__public_id=key, kind=kind, occurred_at=occurred_at, value=value, value2=value2)
                .first()
            )
        found = on_file.get((kind, occurred_at, value, value2))
        if isinstance(found, Measurement):  # created earlier in this Bundle (its pk, once inserted)
            if found.pk is None:
                insert_waiting_rows(Measurement)  # still waiting: inserted now, to be read
            found = found.pk
        return self.queryset(actor).filter(pk=found).first() if found is not None else None


# Inside a transaction Bundle (_care.bundle_memo), what an Observation create or match looks up is read once
# per subject patient: the measurements on file ((kind, occurred_at, value, value2) -> the pk .first() found:
# Measurement.Meta.ordering puts the highest id first among equal times), with the Bundle's own creates added
# as they happen (the measurement itself: it may still wait to be inserted, deferred.py); and the
# patient's open goals, which only an entry of another type can change (bundle.py forgets them after one; a
# PUT or DELETE forgets all).
ON_FILE = "Observation on file"
OPEN_GOALS = "Observation open goals"
empty_for_new_patient(ON_FILE, "public_id", dict)
empty_for_new_patient(OPEN_GOALS, "pk", list)


def _on_file(mapper: ObservationMapper, actor, patient_key) -> dict | None:
    def load() -> dict:
        insert_waiting_rows(Measurement)
        rows = mapper.queryset(actor).filter(patient__public_id=patient_key).order_by("pk")
        fields = ("kind", "occurred_at", "value", "value2", "pk")
        return {(kind, at, value, value2): pk for kind, at, value, value2, pk in rows.values_list(*fields)}

    return bundle_memo((ON_FILE, patient_key, *actor_key(actor)), load)


def _remember(actor, measurement: Measurement) -> None:
    """Adds a new measurement to its patient's measurements on file, when the Bundle has read them."""
    found = (subjects() or {}).get((ON_FILE, measurement.patient.public_id, *actor_key(actor)))
    if found is not None:
        found[(measurement.kind, measurement.occurred_at, measurement.value, measurement.value2)] = measurement


def _open_goals(actor, patient) -> list | None:
    return bundle_memo(
        (OPEN_GOALS, patient.pk, *actor_key(actor)), lambda: list(open_goals_of_checked_patient(actor, patient))
    )


def _quantity(value, unit: str) -> dict:
    return {"value": number(value), "unit": unit, "system": UCUM, "code": unit}


def _kind(resource: dict) -> str:
    codes = [c.get("code") for c in (resource.get("code") or {}).get("coding") or [] if c.get("system") == LOINC]
    kind = next((KIND_OF_CODE[code] for code in codes if code in KIND_OF_CODE), None)
    if kind is None:
        kept = ", ".join(sorted({m.display.lower() for m in MEASURES.values()}))
        raise bad("Observation.code", f"CareCoord keeps these measurements only (by LOINC code): {kept}.")
    return kind


def _values(resource: dict, kind: str) -> tuple[Decimal, Decimal | None]:
    measure = MEASURES[kind]
    if kind == "bp":
        parts = {}
        for component in resource.get("component") or []:
            for code in (component.get("code") or {}).get("coding") or []:
                if code.get("code") in (SYSTOLIC_BP, DIASTOLIC_BP):
                    parts[code["code"]] = component.get("valueQuantity") or {}
        if SYSTOLIC_BP not in parts or DIASTOLIC_BP not in parts:
            raise bad("Observation.component", "a blood pressure needs the 8480-6 and 8462-4 components.")
        return (
            _in_unit(parts[SYSTOLIC_BP], measure.unit, "Observation.component.valueQuantity"),
            _in_unit(parts[DIASTOLIC_BP], measure.unit, "Observation.component.valueQuantity"),
        )
    quantity = resource.get("valueQuantity")
    if not quantity:
        raise bad("Observation.valueQuantity", f"give the value in {measure.unit}.")
    return _in_unit(quantity, measure.unit, "Observation.valueQuantity"), None


def _in_unit(quantity: dict, unit: str, path: str) -> Decimal:
    value = parse_decimal(quantity.get("value"), path)
    if value is None:
        raise bad(path, "the value is missing.")
    given = str(quantity.get("code") or quantity.get("unit") or unit)
    if unit == "kg" and given in ("[lb_av]", "lb", "lbs"):
        value, given = value * POUND_KG, "kg"
    if given != unit and not (unit == "mg/dL" and given.lower() == "mg/dl"):
        raise bad(path, f"give the value in {unit}, not {given}.")
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _effective(resource: dict, tz) -> dt.datetime:
    text = resource.get("effectiveDateTime") or resource.get("effectiveInstant")
    text = text or (resource.get("effectivePeriod") or {}).get("start")
    if not text:
        raise bad("Observation.effectiveDateTime", "say when it was measured.")
    text = str(text)
    text = {4: f"{text}-01-01", 7: f"{text}-01"}.get(len(text), text)  # a year or a month: its first day
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(0), tzinfo=tz)
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise bad("Observation.effectiveDateTime", f"“{text}” is not a date and time.") from exc
    return value if value.tzinfo else value.replace(tzinfo=tz)
