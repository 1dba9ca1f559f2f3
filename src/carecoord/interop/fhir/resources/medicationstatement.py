"""
MedicationStatement <-> medications.MedicationStatement (one line of a source list or of a reconciled list).
status is the FHIR R4 code verbatim; medicationCodeableConcept carries the RxNorm code; dosage has the text,
the SNOMED CT route and the timing; statusReason.text is the reason (why a medication is on hold) and the
extension RESUME_DATE the day a held medication resumes. informationSource is the prescriber, except on a
reconciled line whose last change was a reconciliation's change, stop or hold (`last_order`): there it is who
ordered that change, a Practitioner reference when the orderer is in the directory, else the name as a
display-only reference. R4 defines informationSource as "the person or organization that provided the
information about the taking of this medication"
(https://hl7.org/fhir/R4/medicationstatement-definitions.html#MedicationStatement.informationSource), and for
such a line that is the orderer. A note, timed when that reconciliation was signed, says what changed and who
ordered it. The `source` search parameter follows informationSource. A create joins the day's list "Another
system (FHIR)"; update and delete (entered-in-error) work on source lists only, since a reconciled list is
signed and final.
"""

import datetime as dt
import re

from django.db.models import Q

from carecoord.core.errors import NotFoundError
from carecoord.interop.fhir.base import (
    ResourceMapper,
    SearchParam,
    choice_label,
    compact,
    instant,
    reference,
    referenced_id,
)
from carecoord.interop.fhir.codes import coding, codings
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import date_filter, reference_filter, token_filter
from carecoord.medications import services
from carecoord.medications.choices import (
    FREQUENCY_TIMING,
    RXNORM_SYSTEM,
    SNOMED_SYSTEM,
    Action,
    Frequency,
    Route,
    StatementStatus,
)
from carecoord.medications.models import MedicationStatement, ReconciliationDecision
from carecoord.medications.selectors import directory_practitioners, statements_visible_to

from ._care import extension_value, visible_patient

STATUS_SYSTEM = "http://hl7.org/fhir/CodeSystem/medication-statement-status"
DOSE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z][A-Za-z/]*)?\s*$")
PATH = "MedicationStatement"
RESUME_DATE = "urn:carecoord:fhir:medication-resume-date"


def _code_filter(value: str, modifier: str) -> Q:
    system, code = value.split("|", 1) if "|" in value else (None, value)
    if system is not None and system != RXNORM_SYSTEM:
        return Q(pk__in=[])
    return Q(rxnorm_code=code) | Q(ingredient_code=code) if code else Q()


def _dose_quantity(dose: str) -> dict | None:
    match = DOSE.match(dose or "")
    if match is None:
        return None
    number = float(match[1])
    return compact({"value": int(number) if number.is_integer() else number, "unit": match[2] or None})


def _timing(obj: MedicationStatement) -> dict | None:
    repeat = None
    if obj.frequency_code in FREQUENCY_TIMING:
        frequency, period, unit = FREQUENCY_TIMING[Frequency(obj.frequency_code)]
        repeat = {"frequency": frequency, "period": period, "periodUnit": unit}
        if obj.frequency_code == Frequency.QHS:
            repeat["when"] = ["HS"]
    text = obj.frequency_text or (choice_label(obj, "frequency_code") if obj.frequency_code else "")
    return compact({"repeat": repeat, "code": {"text": text} if text else None}) or None


ORDER_VERBS = {Action.CHANGE: "Changed", Action.STOP: "Stopped", Action.HOLD: "Held"}


def _information_source(obj: MedicationStatement) -> dict | None:
    order = obj.last_order
    if order is None:
        return reference("Practitioner", obj.prescriber)
    if order.ordered_by_practitioner is not None:
        return reference("Practitioner", order.ordered_by_practitioner)
    return {"display": order.ordered_by}


def _order_note(order: ReconciliationDecision) -> dict:
    """The annotation saying what a reconciliation's change, stop or hold did and who ordered it."""
    frequency = order.frequency_text or (choice_label(order, "frequency_code") if order.frequency_code else "")
    changes = [
        f"dose {order.dose}" if order.dose else "",
        f"frequency {frequency}" if frequency else "",
        f"route {choice_label(order, 'route_code')}" if order.route_code else "",
    ]
    what = "; ".join(change for change in changes if change)
    text = f"{ORDER_VERBS.get(order.action, 'Changed')} in a medication reconciliation"
    text += f" ({what}), ordered by {order.ordered_by}." if what else f", ordered by {order.ordered_by}."
    return {"time": instant(order.reconciliation.signed_at), "text": text}


def _source_filter(value: str, modifier: str) -> Q:
    """`source` finds what informationSource shows: a line's orderer when a change made it, else its prescriber."""
    by_prescriber = reference_filter("prescriber", "Practitioner")(value, modifier)
    by_orderer = reference_filter("last_order__ordered_by_practitioner", "Practitioner")(value, modifier)
    return (Q(last_order__isnull=True) & by_prescriber) | (Q(last_order__isnull=False) & by_orderer)


@register
class MedicationStatementMapper(ResourceMapper):
    resource_type = "MedicationStatement"
    model = MedicationStatement
    interactions = ("read", "vread", "search-type", "history-instance", "history-type", "create", "update", "delete")
    select_related = (
        "patient", "prescriber", "medication_list", "last_order__ordered_by_practitioner",
        "last_order__reconciliation",
    )  # fmt: skip
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "subject": SearchParam(
            "subject", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "status": SearchParam("status", "token", token_filter("status", system=STATUS_SYSTEM)),
        "code": SearchParam("code", "token", _code_filter, documentation="RxNorm code of the drug or its ingredient"),
        "effective": SearchParam("effective", "date", date_filter("start_date", is_date=True)),
        "source": SearchParam(
            "source", "reference", _source_filter, target="Practitioner", include_attr="informant",
            documentation="The prescriber, or who ordered the change that made a reconciled line",
        ),
    }  # fmt: skip
    sort_fields = {"effective": "start_date", "status": "status"}

    def queryset(self, actor):
        return statements_visible_to(actor)

    def is_retired(self, obj: MedicationStatement) -> bool:
        return obj.status == StatementStatus.ENTERED_IN_ERROR

    def to_fhir(self, obj: MedicationStatement) -> dict:
        route = (
            {"coding": [coding(SNOMED_SYSTEM, obj.route_code, Route(obj.route_code).label)]} if obj.route_code else None
        )
        dosage = compact({
            "text": " ".join(x for x in (obj.dose, choice_label(obj, "route_code") if obj.route_code else "",
                                         obj.frequency_label) if x),
            "timing": _timing(obj),
            "asNeededBoolean": True if obj.frequency_code == Frequency.PRN else None,
            "route": route,
            "doseAndRate": [{"doseQuantity": _dose_quantity(obj.dose)}] if _dose_quantity(obj.dose) else None,
        })  # fmt: skip
        resource = {
            **self.base(obj),
            "extension": [{"url": RESUME_DATE, "valueDate": obj.resume_date.isoformat()}] if obj.resume_date else None,
            "status": obj.status,
            "statusReason": [{"text": obj.status_reason}] if obj.status_reason else None,
            "medicationCodeableConcept": {
                "coding": [coding(RXNORM_SYSTEM, obj.rxnorm_code, obj.display)] if obj.rxnorm_code else None,
                "text": obj.display,
            },
            "subject": reference("Patient", obj.patient),
            "effectivePeriod": {
                "start": obj.start_date.isoformat() if obj.start_date else None,
                "end": obj.stop_date.isoformat() if obj.stop_date else None,
            },
            "dateAsserted": obj.medication_list.list_date.isoformat(),
            "informationSource": _information_source(obj),
            "note": [
                *([_order_note(obj.last_order)] if obj.last_order_id else []),
                *([{"text": obj.adherence_note}] if obj.adherence_note else []),
            ],
            "dosage": [dosage] if dosage else None,
        }
        return compact(resource)

    # --- writes -----------------------------------------------------------------------------------------
    def create(self, actor, resource: dict) -> MedicationStatement:
        patient = self._subject(actor, resource)
        data = self.from_fhir(actor, patient, resource)
        return services.medication_statement_record(actor=actor, patient=patient, data=data)

    def update(self, actor, obj: MedicationStatement, resource: dict) -> MedicationStatement:
        patient = self._subject(actor, resource)
        if patient.pk != obj.patient_id:
            raise FhirError(400, "MedicationStatement.subject cannot change.", expression=[f"{PATH}.subject"])
        data = self.from_fhir(actor, patient, resource)
        return services.medication_line_update(actor=actor, line=obj, data=data, expected_version=obj.version)

    def delete(self, actor, obj: MedicationStatement) -> None:
        services.medication_line_enter_in_error(actor=actor, line=obj, expected_version=obj.version)

    def _subject(self, actor, resource: dict):
        key = referenced_id(resource.get("subject"), "Patient", path=f"{PATH}.subject")
        if key is None:
            raise FhirError(400, f"{PATH}.subject must reference the Patient.", expression=[f"{PATH}.subject"])
        try:
            return visible_patient(actor, key)
        except NotFoundError as exc:
            raise FhirError(400, f"{PATH}.subject Patient/{key} is not known.", expression=[f"{PATH}.subject"]) from exc

    def from_fhir(self, actor, patient, resource: dict) -> dict:
        status = resource.get("status", "")
        if status not in StatementStatus.values:
            raise FhirError(400, f"{PATH}.status “{status}” is not a MedicationStatement status.",
                            expression=[f"{PATH}.status"])  # fmt: skip
        if "medicationReference" in resource:
            raise FhirError(400, "Send the drug as medicationCodeableConcept (RxNorm); medicationReference is not "
                            "supported.", expression=[f"{PATH}.medication"])  # fmt: skip
        concept = resource.get("medicationCodeableConcept") or {}
        rxnorm = next((c for c in codings(concept) if c.get("system") == RXNORM_SYSTEM and c.get("code")), {})
        display = concept.get("text") or rxnorm.get("display") or ""
        dosage = (resource.get("dosage") or [{}])[0]
        period = resource.get("effectivePeriod") or {}
        reasons = [_reason_text(reason) for reason in resource.get("statusReason") or []]
        resume = extension_value(resource, RESUME_DATE, "valueDate")
        return {
            "display": display,
            "rxnorm_code": rxnorm.get("code", ""),
            "status": status,
            "prescriber": self._prescriber(actor, patient, resource.get("informationSource")),
            "start_date": _date(period.get("start") or resource.get("effectiveDateTime")),
            "stop_date": _date(period.get("end")),
            "status_reason": "; ".join(r for r in reasons if r)[:500],
            "resume_date": _date(resume),
            "adherence_note": " ".join(n.get("text", "") for n in resource.get("note") or [])[:500],
            **_dosage(dosage),
        }

    def _prescriber(self, actor, patient, ref: dict | None):
        if not ref or str(ref.get("reference", "")).split("/")[-2:-1] != ["Practitioner"]:
            return None  # the patient or a relative said so: no prescriber on file
        key = referenced_id(ref, "Practitioner", path=f"{PATH}.informationSource")
        found = directory_practitioners(actor, patient).filter(public_id=key).first()  # services check they prescribe
        if found is None:
            raise FhirError(400, f"{PATH}.informationSource Practitioner/{key} is not in the directory.",
                            expression=[f"{PATH}.informationSource"])  # fmt: skip
        return found


def _dosage(dosage: dict) -> dict:
    route = next((c.get("code", "") for c in codings(dosage.get("route")) if c.get("system") == SNOMED_SYSTEM), "")
    quantity = ((dosage.get("doseAndRate") or [{}])[0]).get("doseQuantity") or {}
    value = quantity.get("value")
    dose = f"{value:g} {quantity.get('unit', '')}".strip() if isinstance(value, int | float) else ""
    timing = dosage.get("timing") or {}
    repeat = timing.get("repeat") or {}
    frequency = ""
    key = (repeat.get("frequency"), repeat.get("period"), repeat.get("periodUnit"))
    for code, shape in FREQUENCY_TIMING.items():
        if shape == key and (code == Frequency.QHS) == ("HS" in (repeat.get("when") or [])):
            frequency = code
    if not frequency and dosage.get("asNeededBoolean"):
        frequency = Frequency.PRN
    text = (timing.get("code") or {}).get("text", "")
    if frequency and text == Frequency(frequency).label:
        text = ""
    if not (dose or frequency or text) and dosage.get("text"):
        text = dosage["text"]
    return {"route_code": route, "dose": dose, "frequency_code": frequency, "frequency_text": text[:200]}


def _reason_text(concept: dict) -> str:
    return concept.get("text") or next((c.get("display") for c in codings(concept) if c.get("display")), "")


def _date(value) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None
