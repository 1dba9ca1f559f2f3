"""
Writes of medications. A map:
- source lists: `medication_list_create` (a list from one source on a date, with its lines),
  `medication_list_enter_in_error`; lines: `medication_line_add`, `medication_line_update`,
  `medication_line_enter_in_error` (source lists only: a reconciled list never changes);
- reconciliation: `reconciliation_start` (a base list against one or more others, or against the
  medications on file, or on its own when nothing else is on file), `reconciliation_decide`
  (continue, change, stop, hold with a reason and maybe a resume date, or ask the prescriber — which puts
  a deduplicated task on the worklist; a change, stop or hold names the prescriber who ordered it),
  `reconciliation_sign` (every medication decided; makes the reconciled list, supersedes the previous one,
  and completes the open transition episode's medication-reconciliation step), `reconciliation_discard`.
Signed reconciliations and reconciled lists are also refused by the database (migrations/0002).
"""

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q

from carecoord.careplans.choices import OPEN_TASK_STATUSES, TaskKind, TaskSource, TaskStatus
from carecoord.careplans.models import Task
from carecoord.careplans.services import task_create, task_set_status
from carecoord.core import clock, timefmt
from carecoord.core.access import Actor, require_patient_editor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import InvalidStateError, NotFoundError, ValidationError
from carecoord.core.versioning import save_versioned
from carecoord.patients.models import Patient
from carecoord.patients.selectors import may_read_record, patient_get

from . import domain, prescribers, rxnorm
from .choices import (
    ORDERED_ACTIONS,
    Action,
    Frequency,
    ListKind,
    ListSource,
    ReconciliationStatus,
    Route,
    StatementStatus,
)
from .models import MedicationList, MedicationStatement, Reconciliation, ReconciliationDecision
from .selectors import (
    current_reconciliation,
    directory_practitioners,
    lists_in_force,
    reconciliation_rows,
    source_organizations,
)

RECONCILIATION_FOCUS = "medications.Reconciliation"
MAX_LINES = 60
FINAL_MESSAGE = "This reconciliation is signed and can no longer change; start a new reconciliation instead."
RECONCILED_LIST_MESSAGE = (
    "This medication is on a signed reconciled list, which cannot change: record the change on a source list "
    "and reconcile again."
)
LINE_FIELDS = (
    "rxnorm_code", "ingredient_code", "display", "dose", "route_code", "frequency_code", "frequency_text",
    "prescriber", "start_date", "stop_date", "status", "status_reason", "resume_date", "adherence_note",
)  # fmt: skip


def _visible(actor: Actor, patient: Patient) -> Patient:
    require_patient_editor(actor)
    return patient_get(actor, patient.public_id, audit_event=None)


def _today(actor: Actor) -> dt.date:
    return clock.today_in(actor.organization.tz)


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _audit(actor: Actor, event: str, action: str, target, patient: Patient, **detail) -> None:
    audit_record(actor=actor, event=event, action=action, target=target, patient=patient, detail=detail)


# Lines -------------------------------------------------------------------------------------------------------


def clean_line(
    actor: Actor, patient: Patient, data: dict, *, row: int | None = None, kept_prescriber: int | None = None
) -> dict:
    """
    Checks one line's values and returns them ready to save (the ingredient code filled from the picker
    list when the code is on it). `row` (0-based) names the line in messages about a multi-line list. The
    prescriber must be one (`prescribers`), unless it is `kept_prescriber`, the line's own as saved.
    """
    where = f"Line {row + 1}: " if row is not None else ""
    values = {name: data.get(name) for name in LINE_FIELDS if name in data}
    values["display"] = _text(data.get("display"), 300)
    if not values["display"]:
        raise ValidationError(f"{where}name the medication.", field="display")
    code = _text(data.get("rxnorm_code"), 20)
    if code and not domain.valid_rxcui(code):
        raise ValidationError(f"{where}an RxNorm code (RxCUI) is digits only, like 29046.", field="rxnorm_code")
    values["rxnorm_code"] = code
    ingredient = _text(data.get("ingredient_code"), 20) or rxnorm.ingredient_of(code)
    if ingredient and not domain.valid_rxcui(ingredient):
        raise ValidationError(f"{where}an ingredient RxCUI is digits only.", field="ingredient_code")
    values["ingredient_code"] = ingredient
    for name, allowed, label in (
        ("route_code", Route.values, "route"),
        ("frequency_code", Frequency.values, "frequency"),
    ):
        values[name] = data.get(name) or ""
        if values[name] and values[name] not in allowed:
            raise ValidationError(f"{where}choose a {label} from the list.", field=name)
    values["status"] = data.get("status") or StatementStatus.ACTIVE
    if values["status"] not in StatementStatus.values:
        raise ValidationError(f"{where}unknown status “{values['status']}”.", field="status")
    values["dose"] = _text(data.get("dose"), 100)
    values["frequency_text"] = _text(data.get("frequency_text"), 200)
    values["adherence_note"] = _text(data.get("adherence_note"), 500)
    values["status_reason"] = _text(data.get("status_reason"), 500)
    values["resume_date"] = data.get("resume_date") or None
    if values["resume_date"] and values["status"] != StatementStatus.ON_HOLD:
        raise ValidationError(f"{where}a resume date is only for a medication on hold.", field="resume_date")
    start, stop = data.get("start_date"), data.get("stop_date")
    if start and stop and stop < start:
        raise ValidationError(f"{where}the stop date is before the start date.", field="stop_date")
    values["start_date"], values["stop_date"] = start or None, stop or None
    prescriber = data.get("prescriber")
    if prescriber is not None and not directory_practitioners(actor, patient).filter(pk=prescriber.pk).exists():
        raise ValidationError(f"{where}choose the prescriber from the directory.", field="prescriber")
    if prescriber is not None and prescriber.pk != kept_prescriber and prescribers.refusal(prescriber):
        raise ValidationError(where + prescribers.refusal(prescriber), field="prescriber")
    values["prescriber"] = prescriber
    return values


def _source_list(actor: Actor, medication_list: MedicationList) -> MedicationList:
    _visible(actor, medication_list.patient)
    if medication_list.organization_id != actor.organization.pk:
        raise NotFoundError("Only the organization that recorded a list can change it.")
    if medication_list.kind != ListKind.SOURCE:
        raise InvalidStateError(RECONCILED_LIST_MESSAGE)
    if medication_list.entered_in_error:
        raise InvalidStateError("This list was entered in error.")
    return medication_list


@transaction.atomic
def medication_list_create(
    *, actor: Actor, patient: Patient, source: str, list_date: dt.date, lines: list[dict], source_name: str = "",
    external_organization=None, note: str = "",
) -> MedicationList:  # fmt: skip
    """Records a list of medications from one source on one date, with its lines in the order given."""
    patient = _visible(actor, patient)
    if source not in ListSource.values:
        raise ValidationError("Choose where the list came from.", field="source")
    if list_date is None or list_date > _today(actor):
        raise ValidationError("The list's date cannot be in the future.", field="list_date")
    if not lines:
        raise ValidationError("Add at least one medication.", field="lines")
    if len(lines) > MAX_LINES:
        raise ValidationError(f"A list holds at most {MAX_LINES} medications.", field="lines")
    if (
        external_organization is not None
        and not source_organizations(actor, patient).filter(pk=external_organization.pk).exists()
    ):
        raise ValidationError("Choose the organization from the directory.", field="external_organization")
    cleaned = [clean_line(actor, patient, data, row=i) for i, data in enumerate(lines)]
    medication_list = MedicationList.objects.create(
        organization=actor.organization, patient=patient, kind=ListKind.SOURCE, source=source,
        source_name=_text(source_name, 200), external_organization=external_organization, list_date=list_date,
        note=_text(note, 500), recorded_by=actor.user,
    )  # fmt: skip
    for i, values in enumerate(cleaned):  # one by one, so each line's FHIR history starts
        MedicationStatement.objects.create(
            organization=actor.organization, patient=patient, medication_list=medication_list, position=i, **values
        )
    _audit(actor, "medication_list.create", AuditAction.CREATE, medication_list, patient, lines=len(cleaned),
           source=source)  # fmt: skip
    return medication_list


@transaction.atomic
def medication_list_enter_in_error(*, actor: Actor, medication_list: MedicationList) -> MedicationList:
    """Marks a source list entered in error: it no longer counts and cannot be reconciled."""
    _source_list(actor, medication_list)
    medication_list.entered_in_error = True
    save_versioned(medication_list, expected_version=medication_list.version, fields=["entered_in_error"])
    _audit(actor, "medication_list.error", AuditAction.UPDATE, medication_list, medication_list.patient)
    return medication_list


@transaction.atomic
def medication_line_add(*, actor: Actor, medication_list: MedicationList, data: dict) -> MedicationStatement:
    """Adds one medication at the end of a source list."""
    _source_list(actor, medication_list)
    patient = medication_list.patient
    values = clean_line(actor, patient, data)
    position = medication_list.lines.count()
    line = MedicationStatement.objects.create(
        organization=actor.organization, patient=patient, medication_list=medication_list, position=position, **values
    )
    _audit(actor, "medication_line.add", AuditAction.CREATE, line, patient)
    return line


@transaction.atomic
def medication_statement_record(*, actor: Actor, patient: Patient, data: dict) -> MedicationStatement:
    """
    Records a medication another system reports (the FHIR API): it joins today's list "Another system
    (FHIR)" of the actor's organization for the patient, which is made on first use.
    """
    patient = _visible(actor, patient)
    medication_list = (
        MedicationList.objects.select_for_update()
        .filter(
            organization=actor.organization,
            patient=patient,
            kind=ListKind.SOURCE,
            source=ListSource.EXTERNAL,
            list_date=_today(actor),
            entered_in_error=False,
        )
        .first()
    )
    if medication_list is None:
        medication_list = MedicationList.objects.create(
            organization=actor.organization, patient=patient, kind=ListKind.SOURCE, source=ListSource.EXTERNAL,
            list_date=_today(actor), recorded_by=actor.user,
        )  # fmt: skip
        _audit(actor, "medication_list.create", AuditAction.CREATE, medication_list, patient, source="external")
    return medication_line_add(actor=actor, medication_list=medication_list, data=data)


@transaction.atomic
def medication_line_update(
    *, actor: Actor, line: MedicationStatement, data: dict, expected_version: int
) -> MedicationStatement:
    """Corrects a line of a source list (all of its values, as given)."""
    _source_list(actor, line.medication_list)
    values = clean_line(actor, line.patient, data, kept_prescriber=line.prescriber_id)
    for name, value in values.items():
        setattr(line, name, value)
    save_versioned(line, expected_version=expected_version, fields=list(values))
    _audit(actor, "medication_line.update", AuditAction.UPDATE, line, line.patient)
    return line


@transaction.atomic
def medication_line_enter_in_error(*, actor: Actor, line: MedicationStatement, expected_version: int):
    """Marks one line of a source list entered in error (FHIR status entered-in-error)."""
    _source_list(actor, line.medication_list)
    if line.status == StatementStatus.ENTERED_IN_ERROR:
        raise InvalidStateError("This line is already marked entered in error.")
    line.status = StatementStatus.ENTERED_IN_ERROR
    save_versioned(line, expected_version=expected_version, fields=["status"])
    _audit(actor, "medication_line.error", AuditAction.UPDATE, line, line.patient)
    return line


# Reconciliation ----------------------------------------------------------------------------------------------


def _draft(actor: Actor, reconciliation: Reconciliation) -> Reconciliation:
    _visible(actor, reconciliation.patient)
    if reconciliation.organization_id != actor.organization.pk:
        raise NotFoundError()
    if reconciliation.status == ReconciliationStatus.SIGNED:
        raise InvalidStateError(FINAL_MESSAGE)
    if reconciliation.status != ReconciliationStatus.DRAFT:
        raise InvalidStateError("This reconciliation was discarded.")
    return reconciliation


@transaction.atomic
def reconciliation_start(
    *, actor: Actor, patient: Patient, base_list: MedicationList, other_lists: Sequence[MedicationList] = (),
    against_current: bool = False,
) -> Reconciliation:  # fmt: skip
    """
    Starts a reconciliation of `base_list` (e.g. the discharge list) against one or more other lists and,
    with `against_current`, against the medications on file (`selectors.lists_in_force`: the current
    reconciled list and the source lists recorded since). When nothing else is on file the base list is
    reviewed on its own: every medication on it is a decision of its own.
    """
    patient = _visible(actor, patient)
    candidates = list(other_lists)
    if against_current:
        candidates += [found for found in lists_in_force(actor, patient) if found.pk not in {c.pk for c in candidates}]
    others = [found for found in candidates if found.pk != base_list.pk]
    if not others and not against_current:
        raise ValidationError(
            "Choose at least one other list to compare with, or the current medications on file.", field="other_lists"
        )
    for found in (base_list, *others):
        if found.patient_id != patient.pk or not may_read_record(actor, found.organization_id, patient.organization_id):
            raise NotFoundError()
        if found.entered_in_error:
            raise ValidationError(f"{found.label} was entered in error.", field="other_lists")
    same = _draft_comparing(actor, patient, base_list, others)
    if same is not None:
        return same  # comparing the same lists again resumes that draft rather than leave a second one behind
    reconciliation = Reconciliation.objects.create(
        organization=actor.organization, patient=patient, base_list=base_list, started_by=actor.user
    )
    reconciliation.compared_lists.set([base_list, *others])
    _audit(actor, "reconciliation.start", AuditAction.CREATE, reconciliation, patient, lists=1 + len(others),
           against_current=against_current)  # fmt: skip
    return reconciliation


def _draft_comparing(actor: Actor, patient: Patient, base_list: MedicationList, others) -> Reconciliation | None:
    """The organization's open draft for the patient on the same base list comparing exactly the same lists."""
    wanted = {base_list.pk, *(found.pk for found in others)}
    drafts = Reconciliation.objects.filter(
        organization=actor.organization, patient=patient, base_list=base_list, status=ReconciliationStatus.DRAFT
    ).prefetch_related("compared_lists")
    return next((d for d in drafts.order_by("-pk") if {c.pk for c in d.compared_lists.all()} == wanted), None)


def _ask_task(actor: Actor, reconciliation: Reconciliation, row: domain.Row, line: MedicationStatement, note: str):
    who = line.prescriber.display_name if line.prescriber else "the prescriber"
    return task_create(
        actor=actor,
        patient=reconciliation.patient,
        kind=TaskKind.MEDICATION_REVIEW,
        title=f"Ask {who} about {row.name}"[:200],
        description=note,
        due_date=clock.add_business_days(_today(actor), 1, state=actor.organization.state),
        owner=actor.user,
        source=TaskSource.MEDICATIONS,
        focus_type=RECONCILIATION_FOCUS,
        focus_id=reconciliation.public_id,
        dedupe_key=f"medrec:{reconciliation.public_id}:{row.key}"[:200],
    )


@transaction.atomic
def reconciliation_decide(*, actor: Actor, reconciliation: Reconciliation, decisions: list[dict]) -> Reconciliation:
    """
    Records decisions, one per medication (`row_key`): continue the chosen line, change it (a new dose,
    frequency or route), stop it, hold it (paused, not stopped: the note is the reason, required, and
    `resume_date`, if given, is not before today), or ask its prescriber (a question, which becomes a
    worklist task once). A change, stop or hold is a prescriber's order: `ordered_by` (a name) or
    `ordered_by_practitioner` (a directory practitioner) says who ordered it, required unless the actor is a
    provider, whose own name is recorded when they leave it empty.
    Nothing is saved unless every decision is valid; the error then lists every row's problem (`details["rows"]`).
    """
    _draft(actor, reconciliation)
    _, rows = reconciliation_rows(reconciliation)
    by_key = {row.key: row for row in rows}
    problems = []  # every row's problem, so one round shows them all; any problem rolls every row back
    for index, data in enumerate(decisions):
        row = by_key.get(data.get("row_key", ""))
        try:
            if row is None:
                raise ValidationError("That medication is not in this comparison; reload the page.", field="row_key")
            _decide(actor, reconciliation, row, data)
        except ValidationError as exc:
            problems.append(_row_problem(exc, row, key=data.get("row_key", ""), index=index))
    if problems:
        raise _rows_refused(problems)
    _audit(actor, "reconciliation.decide", AuditAction.UPDATE, reconciliation, reconciliation.patient,
           rows=[d.get("row_key") for d in decisions][:60])  # fmt: skip
    return reconciliation


def _row_problem(exc: ValidationError, row: domain.Row | None, *, key: str, index: int) -> dict:
    """One row's problem as `details["rows"]` carries it: which row (its key, name, `index` in `decisions`)."""
    return {"index": index, "row_key": key, "name": row.name if row else "", "field": exc.field, "message": exc.message}


def _rows_refused(problems: list[dict]) -> ValidationError:
    """
    One error for the rows' problems: `message` and `field` are the first's (as when only one row was
    refused), `field_errors` has every message and `details["rows"]` says which row each is about.
    """
    errors: dict[str | None, list[str]] = {}
    for problem in problems:
        errors.setdefault(problem["field"], []).append(problem["message"])
    exc = ValidationError.of(errors)
    exc.details = {"rows": problems}
    return exc


def _decide(actor: Actor, reconciliation: Reconciliation, row: domain.Row, data: dict) -> ReconciliationDecision:
    action = data.get("action") or ""
    if action not in Action.values:
        raise ValidationError(f"{row.name}: choose continue, change, stop, hold or ask the prescriber.", field="action")
    refs = {entry.ref for entry in row.present}
    chosen = data.get("chosen_line") or row.present[0].ref
    chosen_ref = str(getattr(chosen, "public_id", chosen))
    if chosen_ref not in refs:
        raise ValidationError(f"{row.name}: choose one of the lists' versions.", field="chosen_line")
    line = MedicationStatement.objects.select_related("prescriber").get(public_id=chosen_ref)
    values = {
        "dose": _text(data.get("dose"), 100),
        "frequency_code": data.get("frequency_code") or "",
        "frequency_text": _text(data.get("frequency_text"), 200),
        "route_code": data.get("route_code") or "",
        "note": _text(data.get("note"), 500),
    }
    if values["frequency_code"] not in ("", *Frequency.values) or values["route_code"] not in ("", *Route.values):
        raise ValidationError(f"{row.name}: choose the frequency and route from the lists.", field="action")
    changes = ("dose", "frequency_code", "frequency_text", "route_code")
    if action == Action.CHANGE and not any(values[k] for k in changes):
        raise ValidationError(f"{row.name}: say what changes (dose, frequency or route).", field="dose")
    if action == Action.ASK and not values["note"]:
        raise ValidationError(f"{row.name}: write the question for the prescriber.", field="note")
    if action == Action.HOLD and not values["note"]:
        raise ValidationError(
            f"{row.name}: give the reason for holding it (e.g. until kidney function is rechecked).", field="note"
        )
    if action != Action.CHANGE:
        values.update(dose="", frequency_code="", frequency_text="", route_code="")
    values["resume_date"] = _resume_date(actor, row, data.get("resume_date")) if action == Action.HOLD else None
    values["ordered_by"], values["ordered_by_practitioner"] = _orderer(actor, reconciliation, row, action, data)
    decision, _ = ReconciliationDecision.objects.update_or_create(
        reconciliation=reconciliation, row_key=row.key, defaults={"action": action, "chosen_line": line, **values}
    )
    if action == Action.ASK and decision.task_id is None:
        decision.task = _ask_task(actor, reconciliation, row, line, values["note"])
        decision.save(update_fields=["task", "updated_at"])
    return decision


ORDERING = {Action.CHANGE: "Changing", Action.STOP: "Stopping", Action.HOLD: "Holding"}


def _orderer(actor: Actor, reconciliation: Reconciliation, row: domain.Row, action: str, data: dict):
    """
    Who ordered a change, stop or hold: the name given, else the chosen directory practitioner's, else the
    acting provider's own (a provider deciding is the orderer). A coordinator records a prescriber's order,
    never makes one, so without a name the decision is refused. Other decisions order nothing.
    """
    if action not in ORDERED_ACTIONS:
        return "", None
    practitioner = _ordering_practitioner(actor, reconciliation, row, data.get("ordered_by_practitioner"))
    name = _text(data.get("ordered_by"), 200) or (practitioner.display_name[:200] if practitioner else "")
    if not name and actor.has_role(Role.PROVIDER):
        name = _text(actor.user.full_name or actor.user.email, 200)
    if not name:
        raise ValidationError(
            f"{ORDERING[action]} {row.name} needs the prescriber who ordered it (Ordered by).", field="ordered_by"
        )
    return name, practitioner


def _ordering_practitioner(actor: Actor, reconciliation: Reconciliation, row: domain.Row, value):
    if not value:
        return None
    try:
        key = uuid.UUID(str(getattr(value, "public_id", value)))
    except ValueError:
        key = None
    found = directory_practitioners(actor, reconciliation.patient).filter(public_id=key).first() if key else None
    if found is None:
        raise ValidationError(
            f"{row.name}: choose the ordering prescriber from the directory.", field="ordered_by_practitioner"
        )
    # Who ordered must prescribe; an orderer saved on this row before stays (the choice is kept, not new).
    saved = reconciliation.decisions.filter(row_key=row.key, ordered_by_practitioner=found).exists()
    if not saved and prescribers.refusal(found):
        raise ValidationError(f"{row.name}: {prescribers.refusal(found)}", field="ordered_by_practitioner")
    return found


def _resume_date(actor: Actor, row: domain.Row, value) -> dt.date | None:
    if not value:
        return None
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(f"{row.name}: the resume date is not a date.", field="resume_date") from None
    if value < _today(actor):
        raise ValidationError(
            f"{row.name}: the resume date ({timefmt.day(value)}) is before today, the day of this reconciliation.",
            field="resume_date",
        )
    return value


def _result_line(decision: ReconciliationDecision, today: dt.date) -> dict:
    """The reconciled list's line a decision makes: the chosen line, changed, stopped or held as decided."""
    line = decision.chosen_line
    values = {name: getattr(line, name) for name in LINE_FIELDS}
    if decision.action in (Action.CHANGE, Action.STOP):
        values.update(status_reason="", resume_date=None)
    if decision.action == Action.CHANGE:
        for name in ("dose", "frequency_code", "frequency_text", "route_code"):
            if getattr(decision, name):
                values[name] = getattr(decision, name)
        if decision.frequency_code and not decision.frequency_text:
            values["frequency_text"] = ""
        values["status"] = StatementStatus.ACTIVE
    elif decision.action == Action.STOP:
        values["status"] = StatementStatus.STOPPED
        values["stop_date"] = min(line.stop_date or today, today)
        if values["start_date"] and values["start_date"] > values["stop_date"]:
            values["start_date"] = None
    elif decision.action == Action.HOLD:
        # Paused, not stopped: the line stays on the current list, out of the medications in force.
        values["status"] = StatementStatus.ON_HOLD
        values["status_reason"] = decision.note
        values["resume_date"] = decision.resume_date
    elif decision.action == Action.ASK:
        # Kept as it stands, but the signed list must not read as settled while the prescriber's answer waits.
        values["status_reason"] = _text(f"{UNCONFIRMED} {decision.note}", 500)
    return values


UNCONFIRMED = "Not confirmed: asked the prescriber —"


def _last_order(decision: ReconciliationDecision) -> ReconciliationDecision | None:
    """
    The order that last changed the line a decision makes: the decision itself for a change, stop or hold;
    for a continue or an ask, the chosen line's own (a line continued from a reconciled list keeps its orderer).
    """
    if decision.action in ORDERED_ACTIONS:
        return decision
    return decision.chosen_line.last_order


def _digest(reconciliation: Reconciliation, decisions: list[ReconciliationDecision], rows: list[domain.Row]) -> str:
    payload = {
        "reconciliation": str(reconciliation.public_id),
        "lists": sorted(str(found.public_id) for found in reconciliation.compared_lists.all()),
        "rows": [[row.key, [entry.ref if entry else None for entry in row.entries]] for row in rows],
        "decisions": [
            [
                d.row_key,
                d.action,
                str(d.chosen_line.public_id),
                d.dose,
                d.frequency_code,
                d.frequency_text,
                d.route_code,
                d.note,
                # only when set, so the digests of reconciliations signed before holds existed still match
                *([d.resume_date.isoformat()] if d.resume_date else []),
                # likewise for who ordered it (before ordered_by existed no decision had one)
                *([_orderer_digest(d)] if d.ordered_by else []),
            ]
            for d in decisions
        ],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _orderer_digest(decision: ReconciliationDecision) -> dict:
    orderer = {"ordered_by": decision.ordered_by}
    if decision.ordered_by_practitioner_id:
        orderer["ordered_by_practitioner"] = str(decision.ordered_by_practitioner.public_id)
    return orderer


@transaction.atomic
def reconciliation_sign(
    *, actor: Actor, reconciliation: Reconciliation, expected_version: int, note: str = ""
) -> Reconciliation:
    """
    Signs a reconciliation whose every medication is decided: writes the reconciled list (the patient's
    current list from now on), supersedes the previous signed one, and records the medication
    reconciliation step of the patient's open transition episode, if there is one.
    """
    _draft(actor, reconciliation)
    patient = reconciliation.patient
    _, rows = reconciliation_rows(reconciliation)
    decisions = {
        d.row_key: d
        for d in reconciliation.decisions.select_related(
            "chosen_line",
            "chosen_line__prescriber",
            "ordered_by_practitioner",
            "chosen_line__last_order__reconciliation",
            "chosen_line__last_order__ordered_by_practitioner",
        ).order_by("id")
    }
    undecided = [row for row in rows if row.key not in decisions]
    if undecided:
        raise _sign_refused(
            "Decide every medication before signing; still open: ", undecided, "Not decided yet: choose a decision."
        )
    stale = [row for row in rows if str(decisions[row.key].chosen_line.public_id) not in {e.ref for e in row.present}]
    if stale:
        raise _sign_refused(
            "These medications changed on their lists since they were decided; decide them again: ", stale,
            "Changed on its list since it was decided: decide it again.",
        )  # fmt: skip
    today = _today(actor)
    overdue = [
        row
        for row in rows
        if decisions[row.key].action == Action.HOLD
        and decisions[row.key].resume_date
        and decisions[row.key].resume_date < today
    ]
    if overdue:
        raise _sign_refused(
            "These held medications have a resume date before today; decide them again: ", overdue,
            "Held with a resume date before today: decide it again.",
        )  # fmt: skip
    # Decided before orderers were recorded (a draft from then): decided again, the orderer is asked for.
    unordered = [
        row for row in rows if decisions[row.key].action in ORDERED_ACTIONS and not decisions[row.key].ordered_by
    ]
    if unordered:
        raise _sign_refused(
            "These changes, stops or holds need the prescriber who ordered them (Ordered by); decide them again: ",
            unordered, "Needs the prescriber who ordered it (Ordered by): decide it again.",
        )  # fmt: skip
    previous = current_reconciliation(actor, patient)
    # Set before the lines are written: their FHIR history version (written as each is saved) reads the time
    # of the order that changed them from this object.
    reconciliation.signed_at = clock.now()
    result = MedicationList.objects.create(
        organization=actor.organization, patient=patient, kind=ListKind.RECONCILED, list_date=today,
        note=_text(note, 500), recorded_by=actor.user,
    )  # fmt: skip
    ordered = [decisions[row.key] for row in rows]
    for i, decision in enumerate(ordered):
        MedicationStatement.objects.create(
            organization=actor.organization, patient=patient, medication_list=result, position=i,
            last_order=_last_order(decision), **_result_line(decision, today),
        )  # fmt: skip
    reconciliation.status = ReconciliationStatus.SIGNED
    reconciliation.signed_by = actor.user
    reconciliation.result_list = result
    reconciliation.supersedes = previous
    reconciliation.note = _text(note, 500)
    reconciliation.content_sha256 = _digest(reconciliation, ordered, rows)
    save_versioned(reconciliation, expected_version=expected_version, fields=[
        "status", "signed_at", "signed_by", "result_list", "supersedes", "note", "content_sha256",
    ])  # fmt: skip
    _audit(actor, "reconciliation.sign", AuditAction.UPDATE, reconciliation, patient, medications=len(ordered),
           sha256=reconciliation.content_sha256)  # fmt: skip
    _complete_transition_step(actor, patient, ordered)
    _complete_medication_review_tasks(actor, patient)
    return reconciliation


def _sign_refused(lead: str, rows: list[domain.Row], problem: str) -> ValidationError:
    """Signing refused because of `rows`: the message names the first eight, `details["rows"]` has each."""
    return ValidationError(
        lead + ", ".join(row.name for row in rows[:8]) + ".", field="decisions",
        details={"rows": [{"row_key": row.key, "name": row.name, "field": None, "message": problem} for row in rows]},
    )  # fmt: skip


# A signed reconciliation is the medication review that a task due this week asks for; later ones (a yearly
# review) stay open.
MEDICATION_REVIEW_DUE_WITHIN_DAYS = 7


def _complete_medication_review_tasks(actor: Actor, patient: Patient) -> None:
    """Completes the organization's open medication-review tasks for the patient that are due by next week."""
    today = _today(actor)
    due = Q(due_date__isnull=True) | Q(due_date__lte=today + dt.timedelta(days=MEDICATION_REVIEW_DUE_WITHIN_DAYS))
    tasks = Task.objects.filter(
        due, organization=actor.organization, patient=patient, kind=TaskKind.MEDICATION_REVIEW,
        status__in=OPEN_TASK_STATUSES,
    )  # fmt: skip
    note = f"Done: medication reconciliation signed on {timefmt.day(today)}."
    for task in tasks.order_by("due_date", "pk"):
        task_set_status(actor=actor, task=task, status=TaskStatus.COMPLETED, expected_version=task.version, note=note)


def _complete_transition_step(actor: Actor, patient: Patient, decisions: list[ReconciliationDecision]) -> None:
    """Records the open transition episode's medication reconciliation (when not yet recorded)."""
    from carecoord.transitions.selectors import episodes_open_for
    from carecoord.transitions.services import episode_record_step

    episode = episodes_open_for(actor).filter(patient=patient, med_rec_at__isnull=True).first()
    if episode is None or episode.discharge_day > _today(actor):
        return
    counts = {action: sum(d.action == action for d in decisions) for action in Action.values}
    held = f"{counts['hold']} held, " if counts["hold"] else ""
    note = (
        f"Medication list reconciled and signed: {len(decisions)} medications "
        f"({counts['continue']} continued, {counts['change']} changed, {counts['stop']} stopped, "
        f"{held}{counts['ask']} asked of the prescriber)."
    )
    episode_record_step(actor=actor, episode=episode, step="med_rec", note=note, expected_version=episode.version)


@transaction.atomic
def reconciliation_discard(*, actor: Actor, reconciliation: Reconciliation) -> Reconciliation:
    """Discards a draft reconciliation (its decisions are kept with it, unused)."""
    _draft(actor, reconciliation)
    reconciliation.status = ReconciliationStatus.DISCARDED
    save_versioned(reconciliation, expected_version=reconciliation.version, fields=["status"])
    _audit(actor, "reconciliation.discard", AuditAction.UPDATE, reconciliation, reconciliation.patient)
    return reconciliation
