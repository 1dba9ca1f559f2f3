"""
Medication pages: the chart's Medications tab (the current list with safety flags, source lists, starting a
reconciliation), adding a source list with several rows in one form, one list, a reconciliation side by
side with its decisions and signature, and the history of signed reconciliations. Writes redirect back
(POST/redirect/GET); a form with errors is shown again with status 400.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core import clock
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ApplicationError, NotFoundError
from carecoord.core.http import clinical_actor, editor_actor
from carecoord.core.http import put_service_error as _put_error
from carecoord.patients.chart import chart_context
from carecoord.patients.selectors import patient_get

from . import rxnorm, selectors, services
from .choices import Action, ListSource, StatementStatus
from .forms import (
    DecisionForm,
    LineFormSet,
    MedicationListForm,
    ReconciliationStartForm,
    SignForm,
    VersionForm,
    prescriber_label,
)

NOT_CDS = (
    "These flags help a coordinator decide what to ask a prescriber. They are not clinical decision support: "
    "they check only what is on file, not doses, interactions or allergies."
)


def _tab_url(patient) -> str:
    return reverse("medications:patient_medications", args=[patient.public_id])


def _reconcilable_lists(actor, patient):
    return selectors.reconcilable_lists(actor, patient)


def _on_file(in_force) -> list:
    """The lists the medications on file come from, oldest first (what "Current medications on file" means)."""
    lists = {line.medication_list_id: line.medication_list for line in in_force}
    return sorted(lists.values(), key=lambda found: (found.list_date, found.pk))


def _start_form(actor, patient) -> ReconciliationStartForm:
    lists = _reconcilable_lists(actor, patient)
    # With one list there is nothing to tick under "Compare with" but the medications on file.
    initial = {"against_current": lists.count() < 2, "base_list": _usual_base(lists)}
    return ReconciliationStartForm(prefix="start", lists=lists, initial=initial)


def _usual_base(lists):
    """The newest hospital discharge list, else the newest facility MAR (None: the form's first, the newest)."""
    usual = [ListSource.DISCHARGE, ListSource.MAR]
    candidates = lists.filter(source__in=usual).order_by("-list_date", "-pk").values_list("pk", "source")
    newest = {}
    for pk, source in candidates:
        newest.setdefault(source, pk)
    return next((newest[source] for source in usual if source in newest), None)


def _tab_context(actor, patient, **bound) -> dict:
    context = chart_context(actor, patient, tab="medications")
    current = selectors.current_reconciliation(actor, patient)
    in_force = selectors.lines_in_force(actor, patient)
    flagged = {ref for flag in selectors.safety_flags_for(in_force) for ref in flag.refs}
    context.update(
        current=current,
        current_lines=[line for line in in_force if current and line.medication_list_id == current.result_list_id],
        unreconciled_lines=[
            line for line in in_force if not current or line.medication_list_id != current.result_list_id
        ],
        flags=selectors.safety_flags_for(in_force),
        flagged=flagged,
        not_cds=NOT_CDS,
        source_lists=selectors.lists_for_patient(actor, patient),
        drafts=[r for r in selectors.reconciliations_for_patient(actor, patient) if r.status == "draft"],
        on_file=_on_file(in_force),
        start_form=_start_form(actor, patient),
    )
    context.update(bound)
    context["can_start"] = context["start_form"].fields["base_list"].queryset.exists()
    return context


def _audit_view(actor, event: str, patient, target=None) -> None:
    audit_record(actor=actor, event=event, action=AuditAction.READ, target=target or patient, patient=patient)


@login_required
@require_GET
def patient_medications(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    _audit_view(actor, "medications.view", patient)
    return render(request, "medications/patient_medications.html", _tab_context(actor, patient))


def _list_forms(actor, patient, data=None):
    today = clock.today_in(actor.organization.tz)
    form = MedicationListForm(
        data, prefix="list", organizations=selectors.source_organizations(actor, patient), today=today,
        initial={"list_date": today},
    )  # fmt: skip
    lines = LineFormSet(data, prefix="line", form_kwargs={"prescribers": selectors.prescriber_choices(actor, patient)})
    return form, lines


def _list_page(request, actor, patient, form, lines, status=200) -> HttpResponse:
    context = chart_context(actor, patient, tab="medications")
    context.update(form=form, lines=lines, concepts=rxnorm.CONCEPTS)
    return render(request, "medications/list_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def patient_list_new(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    if request.method == "GET":
        _audit_view(actor, "medications.view", patient)
        return _list_page(request, actor, patient, *_list_forms(actor, patient))
    form, lines = _list_forms(actor, patient, request.POST)
    form_ok, lines_ok = form.is_valid(), lines.is_valid()  # both, so every error shows in one round
    if form_ok and lines_ok:
        try:
            found = services.medication_list_create(
                actor=actor, patient=patient, lines=lines.lines(), **form.cleaned_data
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            count = len(found.lines.all())
            messages.success(request, f"{found.label} saved with {count} medication{'s' if count != 1 else ''}.")
            return redirect(_tab_url(patient) + "#source-lists")
    return _list_page(request, actor, patient, form, lines, status=400)


@login_required
@require_GET
def list_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    found = selectors.list_get(actor, public_id)
    context = chart_context(actor, found.patient, tab="medications")
    flags = selectors.safety_flags_for(list(found.lines.all()))
    context.update(medication_list=found, flags=flags, not_cds=NOT_CDS, error_status=StatementStatus.ENTERED_IN_ERROR)
    # Only the organization that recorded a list changes it (services._source_list); others read it.
    context["may_change_list"] = context["can_edit"] and found.organization_id == actor.organization.pk
    return render(request, "medications/list_detail.html", context)


@login_required
@require_POST
def list_enter_in_error(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    found = selectors.list_get(actor, public_id, audit_event=None)
    try:
        services.medication_list_enter_in_error(actor=actor, medication_list=found)
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{found.label} marked entered in error.")
    return redirect(_tab_url(found.patient))


@login_required
@require_POST
def line_enter_in_error(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    line = selectors.line_get(actor, public_id)
    form = VersionForm(request.POST)
    try:
        if not form.is_valid():
            raise NotFoundError()
        services.medication_line_enter_in_error(actor=actor, line=line, expected_version=form.cleaned_data["version"])
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{line.display} marked entered in error.")
    return redirect(line.medication_list.get_absolute_url())


@login_required
@require_POST
def patient_reconciliation_start(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = ReconciliationStartForm(request.POST, prefix="start", lists=_reconcilable_lists(actor, patient))
    if form.is_valid():
        try:
            reconciliation = services.reconciliation_start(
                actor=actor,
                patient=patient,
                base_list=form.cleaned_data["base_list"],
                other_lists=list(form.cleaned_data["other_lists"]),
                against_current=form.cleaned_data["against_current"],
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            return redirect(reconciliation.get_absolute_url())
    context = _tab_context(actor, patient, start_form=form)
    return render(request, "medications/patient_medications.html", context, status=400)


# Reconciliation ----------------------------------------------------------------------------------------------


def _version_label(found_list, line) -> str:
    details = ", ".join(x for x in (line.dose, line.frequency_label) if x)
    return f"{found_list.label}: {line.display}" + (f" ({details})" if details else "")


def _prescriber_options(actor, reconciliation) -> list[tuple[str, str]]:
    """
    The directory prescribers who may be named as the orderer, read once for every row's form, and the
    orderers already saved on its decisions (still shown, even if they do not prescribe).
    """
    saved = reconciliation.decisions.values_list("ordered_by_practitioner_id", flat=True)
    found = selectors.prescriber_choices(actor, reconciliation.patient, keep=saved)
    return [(str(practitioner.public_id), prescriber_label(practitioner)) for practitioner in found]


def _decision_forms(actor, reconciliation, lists, rows, data=None) -> list[dict]:
    """One entry per row: the row, each list's line, its decision form (bound to `data` when given)."""
    prescribers = _prescriber_options(actor, reconciliation)
    labels = {}
    for found in lists:
        for line in found.lines.all():
            labels[str(line.public_id)] = (found, line)
    saved = {
        d.row_key: d for d in reconciliation.decisions.select_related("chosen_line", "task", "ordered_by_practitioner")
    }
    entries = []
    for index, row in enumerate(rows):
        versions = [(entry.ref, _version_label(*labels[entry.ref])) for entry in row.present]
        decision = saved.get(row.key)
        initial = {"row_key": row.key, "chosen_line": row.present[0].ref}
        if decision is not None:
            initial.update(
                action=decision.action, chosen_line=str(decision.chosen_line.public_id), dose=decision.dose,
                frequency_code=decision.frequency_code, frequency_text=decision.frequency_text,
                route_code=decision.route_code, note=decision.note, resume_date=decision.resume_date,
                ordered_by=decision.ordered_by,
                ordered_by_practitioner=str(decision.ordered_by_practitioner.public_id)
                if decision.ordered_by_practitioner else "",
            )  # fmt: skip
        elif row.kind == "matched":
            initial["action"] = Action.CONTINUE
        form = DecisionForm(data, prefix=f"row{index}", versions=versions, prescribers=prescribers, initial=initial)
        cells = [labels[entry.ref][1] if entry else None for entry in row.entries]
        entries.append({"row": row, "cells": cells, "form": form, "decision": decision, "anchor": _row_anchor(index)})
    return entries


def _row_anchor(index: int) -> str:
    return f"row-{index + 1}"


def _reconciliation_page(
    request, actor, reconciliation, *, entries=None, sign_form=None, decide_general=None, sign_rows=None, status=200
):
    """
    The reconciliation. After a refused save (`entries` bound to what was sent, `decide_general`: the problems
    about no one row) or a refused signature (`sign_form`, `sign_rows`: the rows the service named) an error
    summary tops the form that was sent: nothing was saved, how many rows need attention, a link to each.
    """
    lists, rows = selectors.reconciliation_rows(reconciliation)
    context = chart_context(actor, reconciliation.patient, tab="medications")
    decided = {d.row_key for d in reconciliation.decisions.all()}
    entries = entries or _decision_forms(actor, reconciliation, lists, rows)
    sign_form = sign_form or SignForm(initial={"version": reconciliation.version})
    decide_summary = _decide_summary(entries, decide_general) if decide_general is not None else None
    sign_summary = _sign_summary(entries, sign_form, sign_rows) if sign_rows is not None else None
    context.update(
        reconciliation=reconciliation,
        lists=lists,
        single=len(lists) == 1,
        entries=entries,
        undecided=[row for row in rows if row.key not in decided],
        sign_form=sign_form,
        decide_summary=decide_summary,
        sign_summary=sign_summary,
        result_lines=list(reconciliation.result_list.lines.select_related("prescriber"))
        if reconciliation.result_list_id
        else [],
        not_cds=NOT_CDS,
    )
    return render(request, "medications/reconciliation_detail.html", context, status=status)


def _without_name(message: str, name: str) -> str:
    """A service's row message starts with the medication's name; next to the name it is said once."""
    short = message.removeprefix(f"{name}: ")
    return short[:1].upper() + short[1:]


def _decide_summary(entries, general) -> dict:
    """Every row whose form has errors (each entry gets them as `problems`), and the problems about no row."""
    problems = []
    for entry in entries:
        form, name = entry["form"], entry["row"].name
        messages = [_without_name(m, name) for errors in form.errors.values() for m in errors] if form.is_bound else []
        entry["problems"] = messages
        if messages:
            problems.append({"anchor": entry["anchor"], "name": name, "messages": messages})
    return {"rows": problems, "count": len(problems), "general": list(general)}


def _sign_summary(entries, form, sign_rows) -> dict:
    """The rows the signature was refused for (each entry gets its `sign_problem`), and the form's errors."""
    by_key = {problem["row_key"]: problem["message"] for problem in sign_rows}
    problems = []
    for entry in entries:
        message = entry["sign_problem"] = by_key.get(entry["row"].key)
        entry["problems"] = [message] if message else []
        if message:
            problems.append({"anchor": entry["anchor"], "name": entry["row"].name, "messages": entry["problems"]})
    general = [m for name, errors in form.errors.items() if name != "note" for m in errors]
    if form["note"].errors:
        problems.append({"anchor": form["note"].auto_id, "name": form["note"].label, "messages": form["note"].errors})
    return {"rows": problems, "count": len(sign_rows), "general": general}


@login_required
@require_GET
def reconciliation_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    reconciliation = selectors.reconciliation_get(actor, public_id)
    return _reconciliation_page(request, actor, reconciliation)


@login_required
@require_POST
def reconciliation_decide(request: HttpRequest, public_id) -> HttpResponse:
    """
    Saves the rows with a decision (or with something entered) in one transaction: one bad row and none is
    saved. The page then comes back with what was entered on every row and a summary of the rows to correct.
    """
    actor = editor_actor(request)
    reconciliation = selectors.reconciliation_get(actor, public_id, audit_event=None)
    lists, rows = selectors.reconciliation_rows(reconciliation)
    entries = _decision_forms(actor, reconciliation, lists, rows, data=request.POST)
    chosen = [e for e in entries if e["form"].is_filled]
    general = []
    if all([e["form"].is_valid() for e in chosen]):  # a list, not a generator: every row is checked
        try:
            services.reconciliation_decide(
                actor=actor, reconciliation=reconciliation, decisions=[e["form"].cleaned_data for e in chosen]
            )
        except ApplicationError as exc:
            if isinstance(exc, NotFoundError):
                raise
            general = _put_row_errors(entries, exc)
        else:
            messages.success(request, f"{len(chosen)} decision{'s' if len(chosen) != 1 else ''} saved.")
            return redirect(reconciliation.get_absolute_url() + "#decisions")
    return _reconciliation_page(request, actor, reconciliation, entries=entries, decide_general=general, status=400)


def _put_row_errors(entries, exc: ApplicationError) -> list[str]:
    """
    Shows the service's problems on the rows they are about (`details["rows"]`), on their field when the row
    shows it; returns the messages about no row (a reconciliation signed meanwhile...).
    """
    by_key = {entry["row"].key: entry["form"] for entry in entries}
    general = []
    for problem in exc.details.get("rows", []):
        form = by_key.get(problem["row_key"])
        if form is None:
            general.append(problem["message"])
            continue
        field = problem["field"]
        form.add_error(field if field in form.fields and not form[field].is_hidden else None, problem["message"])
    if not exc.details.get("rows"):
        general = [message for messages in exc.field_errors.values() for message in messages]
    return general


@login_required
@require_POST
def reconciliation_sign(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    reconciliation = selectors.reconciliation_get(actor, public_id, audit_event=None)
    form = SignForm(request.POST)
    sign_rows = []
    if form.is_valid():
        try:
            services.reconciliation_sign(
                actor=actor, reconciliation=reconciliation, expected_version=form.cleaned_data["version"],
                note=form.cleaned_data["note"],
            )  # fmt: skip
        except ApplicationError as exc:
            _put_error(form, exc)
            sign_rows = exc.details.get("rows", [])
        else:
            messages.success(request, "Reconciliation signed: the reconciled list is now the current list.")
            return redirect(reconciliation.get_absolute_url())
    reconciliation.refresh_from_db()
    return _reconciliation_page(request, actor, reconciliation, sign_form=form, sign_rows=sign_rows, status=400)


@login_required
@require_POST
def reconciliation_discard(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    reconciliation = selectors.reconciliation_get(actor, public_id, audit_event=None)
    try:
        services.reconciliation_discard(actor=actor, reconciliation=reconciliation)
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        messages.error(request, exc.message)
        return redirect(reconciliation.get_absolute_url())
    messages.success(request, "Draft reconciliation discarded.")
    return redirect(_tab_url(reconciliation.patient))


@login_required
@require_GET
def patient_medication_history(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    _audit_view(actor, "medications.history", patient)
    context = chart_context(actor, patient, tab="medications")
    reconciliations = selectors.reconciliations_for_patient(actor, patient)
    current = selectors.current_reconciliation(actor, patient)
    orders = selectors.orders_by_reconciliation(reconciliations)
    for reconciliation in reconciliations:
        reconciliation.orders = orders[reconciliation.pk]
    context.update(reconciliations=reconciliations, current=current)
    return render(request, "medications/history.html", context)
