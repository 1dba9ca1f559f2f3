"""
Coverage <-> coverage.Coverage (US Core Coverage 6.1.0 where the data allows): status, type (Source of Payment
Typology, with the coverage-selfpay code for self-pay), the member ID as subscriberId and an MB identifier,
beneficiary, relationship (subscriber-relationship), period, payor (the directory Organization when the payer
is linked to one, else the payer's name; the Patient for self-pay), class group and plan, and order. Writes go
through coverage.services: the payor must be a payer of the caller's payer directory.
"""

import datetime as dt

from carecoord.core.errors import NotFoundError
from carecoord.coverage import services
from carecoord.coverage.choices import CoverageStatus, ProductType, SubscriberRelationship
from carecoord.coverage.models import Coverage
from carecoord.coverage.selectors import coverages_visible_to, payers_for
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, choice_label, compact, reference, referenced_id
from carecoord.interop.fhir.codes import US_CORE, V2_0203, coding, codings
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import reference_filter, token_filter

from ._care import visible_patient

SOPT = "https://nahdo.org/sopt"
SELF_PAY = "http://terminology.hl7.org/CodeSystem/coverage-selfpay"
RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
# Our product types as Source of Payment Typology codes (the US Core 6.1.0 Coverage.type binding, Payer Type).
SOPT_CODES = {
    ProductType.MEDICARE: ("1", "MEDICARE"),
    ProductType.MEDICARE_ADVANTAGE: ("11", "Medicare Managed Care (Includes Medicare Advantage Plans)"),
    ProductType.MEDICAID: ("2", "MEDICAID"),
    ProductType.CHIP: ("23", "Medicaid/SCHIP"),
    ProductType.COMMERCIAL: ("5", "PRIVATE HEALTH INSURANCE"),
    ProductType.MARKETPLACE: ("5", "PRIVATE HEALTH INSURANCE"),
    ProductType.VA: ("32", "Department of Veterans Affairs"),
    ProductType.SELF_PAY: ("81", "Self-pay"),
}
# Reading a SOPT code back: the longest matching prefix decides (111 Medicare HMO is Medicare Advantage).
SOPT_PREFIXES = [("11", ProductType.MEDICARE_ADVANTAGE), ("1", ProductType.MEDICARE), ("23", ProductType.CHIP),
                 ("2", ProductType.MEDICAID), ("32", ProductType.VA), ("81", ProductType.SELF_PAY),
                 ("5", ProductType.COMMERCIAL), ("6", ProductType.COMMERCIAL)]  # fmt: skip
STATUS_CODES = {"active": "active", "cancelled": "cancelled", "draft": "draft", "entered-in-error": "entered-in-error"}


@register
class CoverageMapper(ResourceMapper):
    resource_type = "Coverage"
    model = Coverage
    interactions = ("read", "vread", "search-type", "history-instance", "history-type", "create", "update", "delete")
    profile = f"{US_CORE}/us-core-coverage"
    select_related = ("patient", "payer", "payer__external_organization")
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "beneficiary": SearchParam(
            "beneficiary", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "payor": SearchParam(
            "payor",
            "reference",
            reference_filter("payer__external_organization", "Organization"),
            target="Organization",
        ),
        "status": SearchParam("status", "token", token_filter("status", codes=STATUS_CODES)),
    }
    sort_fields = {"order": "order"}

    def queryset(self, actor):
        return coverages_visible_to(actor)

    def is_retired(self, obj: Coverage) -> bool:
        return obj.status == CoverageStatus.ENTERED_IN_ERROR

    def to_fhir(self, obj: Coverage) -> dict:
        code, display = SOPT_CODES[obj.product_type]
        type_codings = [coding(SOPT, code, display)]
        if obj.product_type == ProductType.SELF_PAY:
            type_codings.append(coding(SELF_PAY, "pay", "PAY"))
        classes = []
        if obj.group_id:
            classes.append(_class("group", obj.group_id, obj.group_name))
        if obj.plan_name:
            classes.append(_class("plan", obj.plan_name, obj.plan_name))
        return compact(
            {
                **self.base(obj),
                "identifier": [{"type": {"coding": [coding(V2_0203, "MB", "Member Number")]}, "value": obj.member_id}]
                if obj.member_id
                else None,
                "status": obj.status,
                "type": {"coding": type_codings, "text": choice_label(obj, "product_type")},
                "subscriber": {"display": obj.subscriber_name} if obj.relationship != "self" else None,
                "subscriberId": obj.member_id,
                "beneficiary": reference("Patient", obj.patient),
                "relationship": {"coding": [coding(RELATIONSHIP, obj.relationship, choice_label(obj, "relationship"))]},
                "period": {
                    "start": obj.start_date.isoformat() if obj.start_date else None,
                    "end": obj.end_date.isoformat() if obj.end_date else None,
                },
                "payor": [_payor(obj)],
                "class": classes,
                "order": obj.order,
            }
        )

    # --- writes -----------------------------------------------------------------------------------------
    def create(self, actor, resource: dict) -> Coverage:
        patient = self._beneficiary(actor, resource)
        data, position, status = self.from_fhir(actor, resource)
        if status != CoverageStatus.ACTIVE:
            raise FhirError(400, "A new Coverage must be active.", expression=["Coverage.status"])
        return services.coverage_add(actor=actor, patient=patient, data=data, position=position)

    def update(self, actor, obj: Coverage, resource: dict) -> Coverage:
        patient = self._beneficiary(actor, resource)
        if patient.pk != obj.patient_id:
            raise FhirError(400, "Coverage.beneficiary cannot change.", expression=["Coverage.beneficiary"])
        data, position, status = self.from_fhir(actor, resource)
        if status in (CoverageStatus.CANCELLED, CoverageStatus.ENTERED_IN_ERROR) and obj.status == "active":
            return services.coverage_end(
                actor=actor,
                coverage=obj,
                end_date=data.get("end_date"),
                expected_version=obj.version,
                in_error=status == CoverageStatus.ENTERED_IN_ERROR,
            )
        if status != obj.status:
            raise FhirError(400, f"Coverage.status cannot go from {obj.status} to {status}.", code="business-rule")
        return services.coverage_update(
            actor=actor, coverage=obj, data=data, expected_version=obj.version, position=position
        )

    def delete(self, actor, obj: Coverage) -> None:
        if obj.status == CoverageStatus.ACTIVE:
            services.coverage_end(actor=actor, coverage=obj, end_date=None, expected_version=obj.version, in_error=True)

    def _beneficiary(self, actor, resource: dict):
        key = referenced_id(resource.get("beneficiary"), "Patient", path="Coverage.beneficiary")
        if key is None:
            raise FhirError(
                400, "Coverage.beneficiary must reference the Patient.", expression=["Coverage.beneficiary"]
            )
        try:
            return visible_patient(actor, key)
        except NotFoundError as exc:
            raise FhirError(
                400, f"Coverage.beneficiary Patient/{key} is not known.", expression=["Coverage.beneficiary"]
            ) from exc

    def from_fhir(self, actor, resource: dict) -> tuple[dict, int | None, str]:
        status = resource.get("status") or "active"
        if status not in STATUS_CODES:
            raise FhirError(400, f"“{status}” is not a Coverage status.", expression=["Coverage.status"])
        product_type = _product_type(resource.get("type"))
        relationship = next(
            (c.get("code") for c in codings(resource.get("relationship")) if c.get("system") == RELATIONSHIP), "self"
        )
        if relationship not in SubscriberRelationship.values:
            raise FhirError(
                400, f"“{relationship}” is not a subscriber relationship.", expression=["Coverage.relationship"]
            )
        classes = {_class_type(c): c for c in resource.get("class") or []}
        period = resource.get("period") or {}
        subscriber = ((resource.get("subscriber") or {}).get("display") or "").split(" ", 1)
        data = {
            "product_type": product_type,
            "payer": None if product_type == ProductType.SELF_PAY else self._payer(actor, resource),
            "member_id": resource.get("subscriberId") or _member_identifier(resource),
            "relationship": relationship,
            "subscriber_given_name": subscriber[0] if len(subscriber) > 1 else "",
            "subscriber_family_name": subscriber[-1],
            "group_id": (classes.get("group") or {}).get("value", ""),
            "group_name": (classes.get("group") or {}).get("name", ""),
            "plan_name": (classes.get("plan") or {}).get("name") or (classes.get("plan") or {}).get("value", ""),
            "start_date": _date(period.get("start"), "Coverage.period.start"),
            "end_date": _date(period.get("end"), "Coverage.period.end"),
        }
        order = resource.get("order")
        if order is not None and (not isinstance(order, int) or isinstance(order, bool) or order < 1):
            raise FhirError(400, "Coverage.order is a positive whole number.", expression=["Coverage.order"])
        return data, order, status

    def _payer(self, actor, resource: dict):
        payors = resource.get("payor") or []
        if not payors:
            raise FhirError(400, "Coverage.payor is required.", expression=["Coverage.payor"])
        ref = payors[0]
        directory = payers_for(actor)
        if ref.get("reference"):
            key = referenced_id(ref, "Organization", path="Coverage.payor")
            found = directory.filter(external_organization__public_id=key).first()
        else:
            found = directory.filter(name__iexact=(ref.get("display") or "").strip()).first()
        if found is None:
            raise FhirError(
                400,
                "Coverage.payor is not a payer of your payer directory (link the payer to the directory "
                "Organization, or give its name as the display).",
                expression=["Coverage.payor"],
            )
        return found


def _class(kind: str, value: str, name: str) -> dict:
    return {"type": {"coding": [coding(CLASS, kind)]}, "value": value, "name": name}


def _class_type(entry: dict) -> str:
    return next((c.get("code", "") for c in codings(entry.get("type")) if c.get("system") == CLASS), "")


def _payor(obj: Coverage) -> dict:
    if obj.product_type == ProductType.SELF_PAY or obj.payer is None:
        return reference("Patient", obj.patient)
    if obj.payer.external_organization is not None:
        return {"reference": f"Organization/{obj.payer.external_organization.public_id}", "display": obj.payer.name}
    return {"display": obj.payer.name}


def _product_type(concept: dict | None) -> str:
    found = codings(concept)
    if any(c.get("system") == SELF_PAY and c.get("code") == "pay" for c in found):
        return ProductType.SELF_PAY
    for c in found:
        if c.get("system") == SOPT and c.get("code"):
            if c["code"].startswith("5") and "marketplace" in ((concept or {}).get("text") or "").lower():
                return ProductType.MARKETPLACE
            for prefix, product in SOPT_PREFIXES:
                if c["code"].startswith(prefix):
                    return product
    raise FhirError(
        400,
        "Coverage.type needs a Source of Payment Typology code (https://nahdo.org/sopt).",
        expression=["Coverage.type"],
    )


def _member_identifier(resource: dict) -> str:
    for identifier in resource.get("identifier") or []:
        if any(c.get("code") == "MB" for c in codings(identifier.get("type"))):
            return identifier.get("value", "")
    return ""


def _date(value, path: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise FhirError(400, f"{path} “{value}” is not a date.", expression=[path]) from exc
