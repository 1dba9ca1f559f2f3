"""
Reads of patient education: the library an actor sees (built-ins and their organization's own), one material,
a patient's facts for matching and the suggestions they give, and a patient's deliveries.
"""

import uuid

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from carecoord.careplans.choices import CarePlanCategory, CarePlanStatus
from carecoord.careplans.selectors import careplans_for_patient
from carecoord.core.access import Actor
from carecoord.core.errors import NotFoundError
from carecoord.patients.choices import CodeSystem, ConditionClinicalStatus, ConditionVerificationStatus
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patients_visible_to

from .domain import MaterialFacts, PatientFacts, Suggestion, suggest
from .models import Delivery, Material

LIVE_PLAN_STATUSES = (CarePlanStatus.DRAFT, CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD)
LIVE_CONDITION_STATUSES = (
    ConditionClinicalStatus.ACTIVE,
    ConditionClinicalStatus.RECURRENCE,
    ConditionClinicalStatus.RELAPSE,
)


def _key(public_id) -> uuid.UUID:
    try:
        return uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc


def materials_for(actor: Actor, *, include_inactive: bool = False) -> QuerySet[Material]:
    """The built-in library and the actor's organization's own materials (nothing for non-clinical roles)."""
    if actor is None or not actor.can_see_patients:
        return Material.objects.none()
    materials = Material.objects.filter(Q(organization__isnull=True) | Q(organization=actor.organization))
    if not include_inactive:
        materials = materials.filter(active=True)
    # The organization's own version of a topic comes before the built-in one.
    own_first = Case(When(organization__isnull=False, then=Value(0)), default=Value(1), output_field=IntegerField())
    return materials.annotate(own_first=own_first).order_by("own_first", "title", "language", "id")


def library_search(actor: Actor, *, query: str = "", language: str = "", audience: str = "") -> QuerySet[Material]:
    materials = materials_for(actor)
    query = (query or "").strip()
    if query:
        materials = materials.filter(
            Q(title__icontains=query) | Q(summary__icontains=query) | Q(topic__icontains=query)
        )
    if language:
        materials = materials.filter(language=language)
    if audience:
        materials = materials.filter(audience=audience)
    return materials.order_by("title", "language", "id")


def material_get(actor: Actor, public_id) -> Material:
    """A material the actor's library holds (archived ones too); NotFoundError otherwise."""
    material = materials_for(actor, include_inactive=True).filter(public_id=_key(public_id)).first()
    if material is None:
        raise NotFoundError()
    return material


def translations_of(actor: Actor, material: Material) -> list[Material]:
    """The other language versions of the material's topic in the actor's library."""
    return list(
        materials_for(actor).filter(topic=material.topic).exclude(pk=material.pk).exclude(language=material.language)
    )


def _medicines(actor: Actor, patient: Patient) -> tuple[tuple[str, ...], dict[tuple[str, str], str]]:
    """
    The patient's active RxNorm codes from the medications app, with the name of the line each comes from;
    nothing while that app has no selector.
    """
    try:
        from carecoord.medications.selectors import active_rxnorm_codes_for, lines_in_force  # type: ignore[import-not-found,attr-defined,unused-ignore]  # built by another capability, may be absent
    except ImportError:
        return (), {}
    codes = tuple(sorted(str(code) for code in active_rxnorm_codes_for(actor, patient)))
    names: dict[tuple[str, str], str] = {}
    if codes:
        for line in lines_in_force(actor, patient):
            for code in (line.rxnorm_code, line.ingredient_code):
                if code and str(code) in codes:
                    names.setdefault(("medication", str(code)), line.display)
    return codes, names


def patient_facts(actor: Actor, patient: Patient) -> PatientFacts:
    """
    What suggestion matching reads of the patient: live coded problems, medicines, plan categories, language,
    and the names a person reads for each (the condition's display, the category's label).
    """
    conditions = patient.conditions.filter(clinical_status__in=LIVE_CONDITION_STATUSES).exclude(
        verification_status__in=(ConditionVerificationStatus.ENTERED_IN_ERROR, ConditionVerificationStatus.REFUTED)
    )
    icd10, snomed = [], []
    names: dict[tuple[str, str], str] = {}
    for system, code, display in conditions.values_list("code_system", "code", "display"):
        if system == CodeSystem.ICD10CM:
            icd10.append(code)
            code = code.strip().upper()  # as `material_reasons` names it
        else:
            snomed.append(code)
        if display:
            names.setdefault(("condition", code), display)
    categories = set(
        careplans_for_patient(actor, patient).filter(status__in=LIVE_PLAN_STATUSES).values_list("category", flat=True)
    )
    names.update((("careplan", c), CarePlanCategory(c).label) for c in categories if c in CarePlanCategory.values)
    rxnorm, medicine_names = _medicines(actor, patient)
    names.update(medicine_names)
    return PatientFacts(
        language=patient.preferred_language,
        icd10_codes=tuple(icd10),
        snomed_codes=tuple(snomed),
        rxnorm_codes=rxnorm,
        careplan_categories=tuple(sorted(categories)),
        names=names,
    )


def _facts(material: Material) -> MaterialFacts:
    return MaterialFacts(
        key=material.pk,
        topic=material.topic,
        language=material.language,
        title=material.title,
        icd10_prefixes=tuple(material.icd10_prefixes or ()),
        snomed_codes=tuple(material.snomed_codes or ()),
        rxnorm_codes=tuple(material.rxnorm_codes or ()),
        careplan_categories=tuple(material.careplan_categories or ()),
    )


def suggestions_for(actor: Actor, patient: Patient) -> list[tuple[Suggestion, Material]]:
    """Materials matching the patient, in their language first (English when a topic has no version in it)."""
    facts = patient_facts(actor, patient)
    materials = {m.pk: m for m in materials_for(actor).filter(language__in={facts.language, "en"})}
    return [(s, materials[s.material.key]) for s in suggest((_facts(m) for m in materials.values()), facts)]


def medications_available() -> bool:
    try:
        from carecoord.medications.selectors import active_rxnorm_codes_for  # type: ignore[import-not-found,attr-defined,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


def deliveries_for_patient(actor: Actor, patient: Patient) -> QuerySet[Delivery]:
    """The patient's deliveries by the actor's organization, newest first."""
    return (
        Delivery.objects.filter(
            organization=actor.organization, patient=patient, patient__in=patients_visible_to(actor)
        )
        .select_related(
            "material", "related_person", "delivered_by", "teach_back_by", "follow_up_task", "outbox_message"
        )
        .order_by("-delivered_at", "-id")
    )


def deliveries_visible_to(actor: Actor) -> QuerySet[Delivery]:
    """Every delivery the actor may read: by the actor's organization, to patients they may see (for FHIR)."""
    return Delivery.objects.filter(organization=actor.organization, patient__in=patients_visible_to(actor))


def delivery_get(actor: Actor, public_id) -> Delivery:
    """A delivery by the actor's organization to a patient they may see; NotFoundError otherwise."""
    delivery = (
        Delivery.objects.filter(
            public_id=_key(public_id), organization=actor.organization, patient__in=patients_visible_to(actor)
        )
        .select_related("patient", "patient__organization", "material", "related_person", "follow_up_task")
        .first()
    )
    if delivery is None:
        raise NotFoundError()
    return delivery
