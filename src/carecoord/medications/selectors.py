"""
Reads of medications. Every query starts from `patients_visible_to`; a record is visible when its patient
is and its writer is one the actor may read (`readable_writers_q`: a coordination organization a patient is
shared with sees the home organization's lists, and the home organization sees every partner's).
- lists and lines: `lists_for_patient`, `list_get`, `line_get`;
- the current list: `current_reconciliation`, `lists_in_force` and `lines_in_force` (the latest signed
  reconciled list plus the source lists recorded after it: the medications on file), `active_rxnorm_codes_for`,
  `safety_flags_for`;
- reconciliations: `reconciliations_for_patient`, `reconciliation_get`, `reconciliation_rows`,
  `orders_by_reconciliation` (each one's changes, stops and holds with who ordered them);
- choices for forms: `prescriber_choices` (prescribers only; `directory_practitioners` is everyone listed),
  `source_organizations`.
"""

import uuid
from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet

from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import NotFoundError
from carecoord.directory.models import ExternalOrganization, Practitioner
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patients_visible_to, readable_writers_q

from . import domain, prescribers
from .choices import IN_FORCE_STATUSES, ORDERED_ACTIONS, ListKind, ReconciliationStatus, StatementStatus
from .models import MedicationList, MedicationStatement, Reconciliation, ReconciliationDecision

LINE_RELATED = ("prescriber", "medication_list")


def _visible(queryset: QuerySet, actor: Actor) -> QuerySet:
    """Rows about patients the actor sees, by a writer the actor may read (`readable_writers_q`)."""
    return queryset.filter(patient__in=patients_visible_to(actor)).filter(readable_writers_q(actor))


def _scope(queryset: QuerySet, actor: Actor, patient: Patient) -> QuerySet:
    return _visible(queryset.filter(patient=patient), actor)


def _get(queryset: QuerySet, actor: Actor, public_id, *related: str):
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    record = _visible(queryset, actor).filter(public_id=key).select_related("patient", *related).first()
    if record is None:
        raise NotFoundError()
    return record


def statements_visible_to(actor: Actor) -> QuerySet[MedicationStatement]:
    """Every medication line the actor may read (the FHIR API's MedicationStatement starts here)."""
    return _visible(MedicationStatement.objects.all(), actor)


def _lines_prefetch() -> Prefetch:
    lines = MedicationStatement.objects.select_related("prescriber").order_by("position", "id")
    return Prefetch("lines", queryset=lines)


def lists_for_patient(actor: Actor, patient: Patient, *, kind: str = ListKind.SOURCE) -> list[MedicationList]:
    """The patient's lists of one kind, newest first, with their lines."""
    return list(
        _scope(MedicationList.objects.filter(kind=kind), actor, patient)
        .select_related("recorded_by", "external_organization")
        .prefetch_related(_lines_prefetch())
        .order_by("-list_date", "-id")
    )


def reconcilable_lists(actor: Actor, patient: Patient) -> QuerySet[MedicationList]:
    """Source and reconciled lists not entered in error, newest first, with their lines (to compare)."""
    return (
        _scope(MedicationList.objects.filter(entered_in_error=False), actor, patient)
        .prefetch_related(_lines_prefetch())
        .order_by("-list_date", "-id")
    )


def list_get(actor: Actor, public_id, *, audit_event: str | None = "medication_list.view") -> MedicationList:
    """One list the actor may read, with its lines; every read is audited with the patient."""
    found = _get(
        MedicationList.objects.prefetch_related(_lines_prefetch()), actor, public_id, "recorded_by",
        "external_organization",
    )  # fmt: skip
    if audit_event:
        audit_record(actor=actor, event=audit_event, action=AuditAction.READ, target=found, patient=found.patient)
    return found


def line_get(actor: Actor, public_id) -> MedicationStatement:
    return _get(MedicationStatement.objects.all(), actor, public_id, *LINE_RELATED)


def current_reconciliation(actor: Actor, patient: Patient) -> Reconciliation | None:
    """The latest signed reconciliation: its reconciled list is the patient's current medication list."""
    return (
        _scope(Reconciliation.objects.filter(status=ReconciliationStatus.SIGNED), actor, patient)
        .select_related("signed_by", "result_list")
        .order_by("-signed_at", "-id")
        .first()
    )


def lists_in_force(actor: Actor, patient: Patient) -> QuerySet[MedicationList]:
    """
    The lists that say what the patient takes now (the medications on file): the current reconciled list,
    plus every source list recorded after it was signed (not yet reconciled); without a reconciliation,
    every source list. Lists entered in error are left out. Oldest first.
    """
    return _lists_in_force(actor, patient).order_by("list_date", "id")


def _lists_in_force(actor: Actor, patient: Patient) -> QuerySet[MedicationList]:
    current = current_reconciliation(actor, patient)
    lists = _scope(MedicationList.objects.filter(entered_in_error=False), actor, patient)
    if current is None:
        return lists.filter(kind=ListKind.SOURCE)
    return lists.filter(Q(pk=current.result_list_id) | Q(kind=ListKind.SOURCE, created_at__gt=current.signed_at))


def lines_in_force(actor: Actor, patient: Patient) -> list[MedicationStatement]:
    """The lines of `lists_in_force` that say what the patient takes now; lines entered in error left out."""
    lists = _lists_in_force(actor, patient)
    return list(
        MedicationStatement.objects.filter(medication_list__in=lists)
        .exclude(status=StatementStatus.ENTERED_IN_ERROR)
        .select_related(*LINE_RELATED)
        .order_by("display", "id")
    )


def active_rxnorm_codes_for(actor: Actor, patient: Patient) -> set[str]:
    """
    The RxNorm codes (each line's code and its ingredient's) of the medications the patient takes now or is
    about to start; empty when the actor may not see the patient.
    """
    if not patients_visible_to(actor).filter(pk=patient.pk).exists():
        return set()
    codes: set[str] = set()
    for line in lines_in_force(actor, patient):
        if line.status in IN_FORCE_STATUSES:
            codes.update(code for code in (line.rxnorm_code, line.ingredient_code) if code)
    return codes


def as_domain_line(line: MedicationStatement, source: str = "") -> domain.Line:
    return domain.Line(
        ref=str(line.public_id),
        display=line.display,
        rxnorm_code=line.rxnorm_code,
        ingredient_code=line.ingredient_code,
        dose=line.dose,
        frequency_code=line.frequency_code,
        frequency_text=line.frequency_text,
        route_code=line.route_code,
        status=line.status,
        prescriber=str(line.prescriber.public_id) if line.prescriber else "",
        prescriber_name=line.prescriber.display_name if line.prescriber else "",
        source=source or line.medication_list.label,
    )


def safety_flags_for(lines: list[MedicationStatement]) -> list[domain.Flag]:
    return domain.safety_flags(as_domain_line(line) for line in lines)


def reconciliations_for_patient(actor: Actor, patient: Patient) -> list[Reconciliation]:
    """Drafts and signed reconciliations, newest first (the history)."""
    return list(
        _scope(Reconciliation.objects.exclude(status=ReconciliationStatus.DISCARDED), actor, patient)
        .select_related("started_by", "signed_by", "base_list", "supersedes")
        .order_by("-created_at", "-id")
    )


def orders_by_reconciliation(reconciliations: list[Reconciliation]) -> dict[int, list[ReconciliationDecision]]:
    """
    The changes, stops and holds of each of `reconciliations` (already access-checked, e.g. from
    `reconciliations_for_patient`), by reconciliation id, in the order decided, with the medication chosen.
    """
    orders: dict[int, list[ReconciliationDecision]] = {r.pk: [] for r in reconciliations}
    decisions = ReconciliationDecision.objects.filter(
        reconciliation__in=[r.pk for r in reconciliations], action__in=ORDERED_ACTIONS
    ).select_related("chosen_line")
    for decision in decisions.order_by("id"):
        orders[decision.reconciliation_id].append(decision)
    return orders


def reconciliation_get(actor: Actor, public_id, *, audit_event: str | None = "reconciliation.view") -> Reconciliation:
    found = _get(Reconciliation.objects.all(), actor, public_id, "started_by", "signed_by", "base_list", "result_list")
    if audit_event:
        audit_record(actor=actor, event=audit_event, action=AuditAction.READ, target=found, patient=found.patient)
    return found


def reconciliation_lists(reconciliation: Reconciliation) -> list[MedicationList]:
    """The compared lists, the base first, then the others oldest first."""
    others = (
        reconciliation.compared_lists.exclude(pk=reconciliation.base_list_id)
        .prefetch_related(_lines_prefetch())
        .order_by("list_date", "id")
    )
    base = MedicationList.objects.prefetch_related(_lines_prefetch()).get(pk=reconciliation.base_list_id)
    return [base, *others]


def reconciliation_rows(reconciliation: Reconciliation) -> tuple[list[MedicationList], list[domain.Row]]:
    """The compared lists and the comparison's rows (one row a line when the base list is reviewed alone)."""
    lists = reconciliation_lists(reconciliation)
    rows = domain.compare([[as_domain_line(line, source=found.label) for line in found.lines.all()] for found in lists])
    return lists, rows


def directory_practitioners(actor: Actor, patient: Patient) -> QuerySet[Practitioner]:
    """Active directory practitioners of the actor's organization and of the patient's home organization."""
    orgs = {actor.organization.pk, patient.organization_id}
    return (
        Practitioner.objects.filter(organization__in=orgs, active=True)
        .select_related("external_organization")
        .order_by("family_name", "given_name", "id")
    )


def prescriber_choices(actor: Actor, patient: Patient, *, keep: Iterable[int | None] = ()) -> QuerySet[Practitioner]:
    """
    The `directory_practitioners` who prescribe (`prescribers.is_prescriber`: physicians, nurse practitioners,
    physician assistants...), for the prescriber and orderer choices; `keep` (practitioner ids already chosen,
    e.g. a saved decision's orderer) stay offered even when they do not prescribe, so the choice still shows.
    """
    found = directory_practitioners(actor, patient)
    kept = {pk for pk in keep if pk is not None}
    listed = found.values_list("pk", "specialty_code", "suffix")
    chosen = [pk for pk, code, suffix in listed if pk in kept or prescribers.judge(code, suffix)]
    return found.filter(pk__in=chosen)


def source_organizations(actor: Actor, patient: Patient) -> QuerySet[ExternalOrganization]:
    orgs = {actor.organization.pk, patient.organization_id}
    return ExternalOrganization.objects.filter(organization__in=orgs, active=True).order_by("name", "id")
