"""
The retention purge: hard-deletes soft-deleted patients whose retention horizon has passed, never one under
an active legal hold. The horizon is counted from the deletion: `retention_years` of the organization's
RetentionPolicy (models.DEFAULT_RETENTION_YEARS when it has none) after `Patient.deleted_at`.

A purge removes the patient and every row that depends on them, in every app (found through the model
graph, children first), in one transaction per patient. Signed notes and reconciliations are final by
database trigger; the purge lifts those triggers inside its transaction (a rollback restores them) and
never touches the audit table: the audit rows stay and name the purged patient by public id, and the purge
itself is one audit entry.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError

from carecoord.core import clock
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.patients.models import Patient

from .db_guards import AUDIT_TABLE, tables_with_triggers, triggers_lifted
from .models import DEFAULT_RETENTION_YEARS, LegalHold, PatientDeletion, RetentionPolicy

KEEP_LINK = (models.SET_NULL, models.DO_NOTHING, models.SET_DEFAULT)


@dataclass(frozen=True)
class PurgeCandidate:
    patient: Patient
    horizon: dt.datetime
    held: bool


def add_years(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February in a year without one
        return moment.replace(year=moment.year + years, day=28)


def retention_review(now: dt.datetime | None = None) -> list[PurgeCandidate]:
    """Every soft-deleted patient past its horizon, with whether a legal hold stops the purge."""
    now = now or clock.now()
    years = dict(RetentionPolicy.objects.values_list("organization_id", "retention_years"))
    held = set(LegalHold.objects.filter(released_at__isnull=True).values_list("patient_id", flat=True))
    found = []
    for patient in Patient.objects.filter(deleted_at__isnull=False).select_related("organization").order_by("pk"):
        horizon = add_years(patient.deleted_at, years.get(patient.organization_id, DEFAULT_RETENTION_YEARS))
        if horizon <= now:
            found.append(PurgeCandidate(patient, horizon, patient.pk in held))
    return found


def retention_purge(*, apply: bool, now: dt.datetime | None = None) -> tuple[list[PurgeCandidate], list[str]]:
    """The candidates, and (when `apply`) the public ids actually purged."""
    candidates = retention_review(now)
    purged = []
    if apply:
        for candidate in candidates:
            if not candidate.held and patient_purge(candidate.patient.pk, now=now):
                purged.append(str(candidate.patient.public_id))
    return candidates, purged


@transaction.atomic
def patient_purge(patient_pk: int, *, now: dt.datetime | None = None) -> bool:
    """Hard-deletes one patient if still deleted, past the horizon and not held; audits it. False otherwise."""
    now = now or clock.now()
    patient = Patient.objects.select_for_update().filter(pk=patient_pk, deleted_at__isnull=False).first()
    if patient is None:
        return False
    policy = RetentionPolicy.objects.filter(organization_id=patient.organization_id).first()
    years = policy.retention_years if policy else DEFAULT_RETENTION_YEARS
    if add_years(patient.deleted_at, years) > now:
        return False
    if LegalHold.objects.filter(patient=patient, released_at__isnull=True).exists():
        return False
    plan = _dependents(Patient, {patient.pk})
    tables = [model._meta.db_table for model in plan]
    if AUDIT_TABLE in tables:  # the audit trail is never part of a purge
        raise RuntimeError("The audit table depends on a patient; refusing to purge.")
    counts = {model._meta.label: len(pks) for model, pks in plan.items()}
    PatientDeletion.objects.filter(patient=patient, purged_at__isnull=True).update(purged_at=now)
    with triggers_lifted(tables_with_triggers(tables)):
        _delete_in_order(plan)
    audit_record(
        event="patient.purge",
        action=AuditAction.DELETE,
        organization=patient.organization,
        target=patient,
        patient=patient,
        detail={"deleted_at": patient.deleted_at.isoformat(), "retention_years": years, "rows": counts},
    )
    return True


def _dependents(model, pks: set, plan=None) -> dict:
    """Every row that must go with `pks` of `model`, as {model: pks}, dependents before what they depend on."""
    plan = plan if plan is not None else defaultdict(set)
    for rel in model._meta.related_objects:
        if rel.many_to_many or rel.on_delete in KEEP_LINK:
            continue
        related = rel.related_model
        child = set(related._base_manager.filter(**{f"{rel.field.name}__in": pks}).values_list("pk", flat=True))
        new = child - plan[related]
        if new:
            plan[related] |= new
            _dependents(related, new, plan)
    plan[model] |= pks
    # Re-insert so that a model comes after everything found beneath it (dicts keep insertion order).
    plan[model] = plan.pop(model)
    return plan


def _delete_in_order(plan: dict) -> None:
    pending = list(plan.items())
    for _ in range(len(pending) + 1):
        left = []
        for model, pks in pending:
            try:
                model._base_manager.filter(pk__in=pks).delete()
            except (ProtectedError, RestrictedError):
                left.append((model, pks))
        if not left:
            return
        pending = left
    raise RuntimeError(f"Could not purge: {', '.join(m._meta.label for m, _ in pending)} still protected.")
