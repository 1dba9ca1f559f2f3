"""
Medication services against the database: source lists and their checks, reconciliation from the first
comparison to a signed reconciled list (tasks for questions, the transition step, immutability, supersession),
the current list, the active codes other apps read, and the safety flags.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from carecoord.careplans.models import Task
from carecoord.core.choices import Role
from carecoord.core.errors import (
    ConflictError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from carecoord.core.models import AuditEvent
from carecoord.medications import selectors, services
from carecoord.medications.models import MedicationList, MedicationStatement, Reconciliation, ReconciliationDecision

from ..factories import ExternalOrganizationFactory, PatientFactory, PractitionerFactory, make_actor
from .conftest import LIST_DAY, med

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 3, 10, 0, tzinfo=CHICAGO), tick=False):
        yield


def rows_by_name(reconciliation):
    from carecoord.medications.domain import normalized_name

    _, rows = selectors.reconciliation_rows(reconciliation)
    return {normalized_name(row.name): row for row in rows}


def decide_all(actor, reconciliation, **overrides):
    """Continues every medication, with `overrides` (name -> decision values) where given."""
    decisions = []
    for name, row in rows_by_name(reconciliation).items():
        decisions.append({"row_key": row.key, "action": "continue", **overrides.get(name, {})})
    return services.reconciliation_decide(actor=actor, reconciliation=reconciliation, decisions=decisions)


# Source lists ------------------------------------------------------------------------------------------------


def test_a_source_list_keeps_its_lines_in_order_with_ingredients_from_the_picker(actor, discharge):
    lines = list(discharge.lines.all())
    assert [line.display[:10] for line in lines] == ["lisinopril", "24 HR meto", "Apixaban 5"]
    assert [line.ingredient_code for line in lines] == ["29046", "6918", "1364430"]
    assert lines[0].status == "active"
    assert lines[0].route_code == "26643006"
    event = AuditEvent.objects.get(event="medication_list.create")
    assert event.patient_public_id == discharge.patient.public_id
    assert event.detail["lines"] == 3


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        (med("Lisinopril", "29O46"), "rxnorm_code", "digits only"),
        (med("Lisinopril", "029046"), "rxnorm_code", "digits only"),
        (med(""), "display", "name the medication"),
        (med("Lisinopril", route_code="PO"), "route_code", "route"),
        (med("Lisinopril", frequency_code="hourly"), "frequency_code", "frequency"),
        (med("Lisinopril", status="taking"), "status", "status"),
        (med("Lisinopril", start_date=dt.date(2026, 3, 1), stop_date=dt.date(2026, 2, 1)), "stop_date", "before"),
    ],
)
def test_a_line_with_a_bad_value_is_refused_with_its_field_and_row(actor, patient, line, field, message):
    with pytest.raises(ValidationError, match=message) as caught:
        services.medication_list_create(actor=actor, patient=patient, source="patient", list_date=LIST_DAY,
                                        lines=[med("Aspirin 81 mg"), line])  # fmt: skip
    assert caught.value.field == field
    assert caught.value.message.startswith("Line 2:")
    assert not MedicationList.objects.exists()


def test_a_list_needs_a_source_a_past_date_and_a_line(actor, patient):
    for kwargs, field in (
        ({"source": "fax", "list_date": LIST_DAY, "lines": [med("a")]}, "source"),
        ({"source": "mar", "list_date": dt.date(2026, 3, 4), "lines": [med("a")]}, "list_date"),
        ({"source": "mar", "list_date": LIST_DAY, "lines": []}, "lines"),
    ):
        with pytest.raises(ValidationError) as caught:
            services.medication_list_create(actor=actor, patient=patient, **kwargs)
        assert caught.value.field == field


def test_a_prescriber_must_be_in_the_directory_of_the_organization_or_the_patients_home(actor, patient, other_org):
    stranger = PractitionerFactory(organization=other_org)
    with pytest.raises(ValidationError, match="prescriber from the directory"):
        services.medication_list_create(actor=actor, patient=patient, source="mar", list_date=LIST_DAY,
                                        lines=[med("Aspirin", prescriber=stranger)])  # fmt: skip
    foreign = ExternalOrganizationFactory(organization=other_org)
    with pytest.raises(ValidationError, match="organization from the directory"):
        services.medication_list_create(actor=actor, patient=patient, source="mar", list_date=LIST_DAY,
                                        lines=[med("Aspirin")], external_organization=foreign)  # fmt: skip


def test_another_organization_and_read_only_roles_cannot_add_lists(patient, other_actor, org):
    with pytest.raises(NotFoundError):
        services.medication_list_create(actor=other_actor, patient=patient, source="mar", list_date=LIST_DAY,
                                        lines=[med("Aspirin")])  # fmt: skip
    scheduler = make_actor(org, Role.SCHEDULER)
    with pytest.raises(PermissionDeniedError):
        services.medication_list_create(actor=scheduler, patient=patient, source="mar", list_date=LIST_DAY,
                                        lines=[med("Aspirin")])  # fmt: skip


def test_lines_of_a_source_list_can_be_corrected_added_and_entered_in_error(actor, mar):
    warfarin = mar.lines.get(display="Warfarin 5 mg")
    corrected = med("Warfarin 2.5 mg", "11289", dose="2.5 mg", frequency_code="daily")
    services.medication_line_update(actor=actor, line=warfarin, expected_version=1, data=corrected)
    with pytest.raises(ConflictError):
        services.medication_line_update(actor=actor, line=warfarin, expected_version=1, data=med("Warfarin"))
    added = services.medication_line_add(actor=actor, medication_list=mar, data=med("Aspirin 81 mg", "243670"))
    assert added.position == 3
    assert added.ingredient_code == "1191"
    services.medication_line_enter_in_error(actor=actor, line=added, expected_version=added.version)
    assert MedicationStatement.objects.get(pk=added.pk).status == "entered-in-error"
    services.medication_list_enter_in_error(actor=actor, medication_list=mar)
    with pytest.raises(InvalidStateError, match="entered in error"):
        services.medication_line_add(actor=actor, medication_list=mar, data=med("Aspirin"))


# Reconciliation -----------------------------------------------------------------------------------------------


def test_the_comparison_shows_matched_changed_new_and_missing(actor, patient, discharge, mar):
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge,
                                                   other_lists=[mar])  # fmt: skip
    rows = rows_by_name(reconciliation)
    assert {name: row.kind for name, row in rows.items()} == {
        "lisinopril": "matched", "metoprolol": "changed", "apixaban": "new", "warfarin": "missing",
    }  # fmt: skip
    assert rows["metoprolol"].changed == {"formulation", "dose", "frequency"}  # tartrate vs succinate ER


def test_a_reconciliation_needs_another_list_of_the_same_patient(actor, patient, org, discharge):
    with pytest.raises(ValidationError, match="at least one other list"):
        services.reconciliation_start(actor=actor, patient=patient, base_list=discharge, other_lists=[discharge])
    someone = PatientFactory(organization=org)
    theirs = services.medication_list_create(actor=actor, patient=someone, source="mar", list_date=LIST_DAY,
                                             lines=[med("Aspirin")])  # fmt: skip
    with pytest.raises(NotFoundError):
        services.reconciliation_start(actor=actor, patient=patient, base_list=discharge, other_lists=[theirs])


def test_asking_the_prescriber_makes_one_task_however_often_it_is_saved(actor, patient, discharge, mar):
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge,
                                                   other_lists=[mar])  # fmt: skip
    row = rows_by_name(reconciliation)["warfarin"]
    with pytest.raises(ValidationError, match="write the question"):
        services.reconciliation_decide(actor=actor, reconciliation=reconciliation,
                                       decisions=[{"row_key": row.key, "action": "ask"}])  # fmt: skip
    ask = {"row_key": row.key, "action": "ask", "note": "Warfarin is not on the discharge list: stopped?"}
    for _ in range(2):
        services.reconciliation_decide(actor=actor, reconciliation=reconciliation, decisions=[ask])
    task = Task.objects.get(source="medications")
    assert task.kind == "medication_review"
    assert task.title == "Ask the prescriber about Warfarin 5 mg"  # no prescriber on the MAR's line
    assert task.owner == actor.user
    assert task.focus_id == reconciliation.public_id
    assert task.due_date == dt.date(2026, 3, 4)
    assert ReconciliationDecision.objects.get(row_key=row.key).task == task


def test_a_line_asked_of_the_prescriber_is_signed_as_not_confirmed(actor, patient, discharge, mar):
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge,
                                                   other_lists=[mar])  # fmt: skip
    question = "Warfarin is not on the discharge list: stopped?"
    decide_all(actor, reconciliation, warfarin={"action": "ask", "note": question})
    reconciliation.refresh_from_db()
    signed = services.reconciliation_sign(actor=actor, reconciliation=reconciliation,
                                          expected_version=reconciliation.version)  # fmt: skip
    lines = {line.display.split()[0].lower(): line for line in signed.result_list.lines.all()}
    assert lines["warfarin"].status_reason == f"Not confirmed: asked the prescriber — {question}"
    assert lines["lisinopril"].status_reason == ""


def test_a_change_says_what_changes_and_a_version_must_be_one_of_the_rows(actor, patient, discharge, mar):
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge,
                                                   other_lists=[mar])  # fmt: skip
    rows = rows_by_name(reconciliation)
    with pytest.raises(ValidationError, match="say what changes"):
        services.reconciliation_decide(actor=actor, reconciliation=reconciliation,
                                       decisions=[{"row_key": rows["metoprolol"].key, "action": "change"}])  # fmt: skip
    with pytest.raises(ValidationError, match="versions"):
        services.reconciliation_decide(actor=actor, reconciliation=reconciliation, decisions=[{
            "row_key": rows["metoprolol"].key, "action": "continue", "chosen_line": rows["warfarin"].present[0].ref,
        }])  # fmt: skip
    with pytest.raises(ValidationError, match="not in this comparison"):
        services.reconciliation_decide(actor=actor, reconciliation=reconciliation,
                                       decisions=[{"row_key": "in:1#0", "action": "continue"}])  # fmt: skip


def test_signing_makes_the_reconciled_list_the_current_list(actor, patient, discharge, mar):
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge,
                                                   other_lists=[mar])  # fmt: skip
    with pytest.raises(ValidationError, match="Decide every medication"):
        services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)
    metoprolol = rows_by_name(reconciliation)["metoprolol"]
    mar_metoprolol = next(e for e in metoprolol.present if "tartrate" in e.display)
    decide_all(
        actor,
        reconciliation,
        metoprolol={"action": "change", "chosen_line": mar_metoprolol.ref, "dose": "50 mg", "ordered_by": "Dr. Ito"},
        warfarin={"action": "stop", "note": "Stopped in hospital; apixaban instead", "ordered_by": "Dr. Ito"},
    )
    services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1, note="With Rosa")
    reconciliation.refresh_from_db()
    assert reconciliation.status == "signed"
    assert len(reconciliation.content_sha256) == 64
    current = selectors.current_reconciliation(actor, patient)
    assert current == reconciliation
    lines = {line.display: line for line in reconciliation.result_list.lines.all()}
    assert lines["Metoprolol tartrate 25 mg"].dose == "50 mg"
    assert lines["Metoprolol tartrate 25 mg"].frequency_code == "bid"
    assert lines["Warfarin 5 mg"].status == "stopped"
    assert lines["Warfarin 5 mg"].stop_date == dt.date(2026, 3, 3)
    assert lines["Apixaban 5 mg"].status == "active"
    in_force = selectors.lines_in_force(actor, patient)
    assert {line.medication_list_id for line in in_force} == {reconciliation.result_list_id}
    assert selectors.active_rxnorm_codes_for(actor, patient) == {"314076", "29046", "6918", "1364430"}


def test_a_signed_reconciliation_is_final_and_a_new_one_supersedes_it(actor, patient, discharge, mar):
    first = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge, other_lists=[mar])
    decide_all(actor, first)
    services.reconciliation_sign(actor=actor, reconciliation=first, expected_version=1)
    first.refresh_from_db()
    with pytest.raises(InvalidStateError, match="signed"):
        decide_all(actor, first)
    with pytest.raises(InvalidStateError, match="signed"):
        services.reconciliation_sign(actor=actor, reconciliation=first, expected_version=first.version)
    line = first.result_list.lines.first()
    with pytest.raises(InvalidStateError, match="signed reconciled list"):
        services.medication_line_update(actor=actor, line=line, data=med("x"), expected_version=line.version)

    patient_report = services.medication_list_create(actor=actor, patient=patient, source="patient",
                                                     list_date=dt.date(2026, 3, 3),
                                                     lines=[med("Aspirin 81 mg", "243670")])  # fmt: skip
    second = services.reconciliation_start(actor=actor, patient=patient, base_list=first.result_list,
                                           other_lists=[patient_report])  # fmt: skip
    decide_all(actor, second)
    services.reconciliation_sign(actor=actor, reconciliation=second, expected_version=1)
    second.refresh_from_db()
    assert second.supersedes == first
    assert selectors.current_reconciliation(actor, patient) == second
    assert [r.pk for r in selectors.reconciliations_for_patient(actor, patient)] == [second.pk, first.pk]


def raw(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_changes_to_a_signed_reconciliation(actor, patient, discharge, mar):
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge,
                                                   other_lists=[mar])  # fmt: skip
    decide_all(actor, reconciliation)
    draft_decision = reconciliation.decisions.first()
    draft_decision.note = "still a draft: may change"
    draft_decision.save()
    services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)
    attempts = [
        lambda: Reconciliation.objects.filter(pk=reconciliation.pk).update(note="edited"),
        lambda: raw("DELETE FROM medications_reconciliation WHERE id = %s", reconciliation.pk),
        lambda: ReconciliationDecision.objects.filter(reconciliation=reconciliation).update(note="edited"),
        lambda: MedicationStatement.objects.filter(medication_list__kind="reconciled").update(dose="1 g"),
        lambda: raw(
            "DELETE FROM medications_medicationstatement WHERE medication_list_id = %s", reconciliation.result_list_id
        ),
        lambda: raw("DELETE FROM medications_reconciliationdecision WHERE reconciliation_id = %s", reconciliation.pk),
        lambda: MedicationList.objects.filter(kind="reconciled").update(note="edited"),
    ]
    for attempt in attempts:
        with pytest.raises(IntegrityError, match="signed reconciliation is final"), transaction.atomic():
            attempt()
    assert MedicationStatement.objects.filter(medication_list=discharge).update(adherence_note="ok") == 3


def test_signing_records_the_open_transition_episodes_medication_reconciliation(actor, org, patient, discharge, mar):
    from carecoord.transitions import services as transitions

    hospital = ExternalOrganizationFactory(organization=org, name="Lakeside General", kind="hospital")
    _, episode = transitions.encounter_discharge(
        organization=org, patient=patient, facility=hospital, source={"event": "test"},
        data={"visit_number": "V1", "encounter_class": "IMP", "discharge_disposition": "01", "diagnoses": [],
              "admitted_at": dt.datetime(2026, 2, 27, 9, tzinfo=CHICAGO),
              "discharged_at": dt.datetime(2026, 3, 2, 11, tzinfo=CHICAGO)},
    )  # fmt: skip
    med_rec_tasks = Task.objects.filter(focus_id=episode.public_id, dedupe_key__endswith=":med_rec")
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge,
                                                   other_lists=[mar])  # fmt: skip
    decide_all(actor, reconciliation)
    services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)
    episode.refresh_from_db()
    assert episode.med_rec_at == dt.datetime(2026, 3, 3, 10, tzinfo=CHICAGO)
    (task,) = med_rec_tasks
    assert task.status == "completed"
    assert "4 medications (4 continued, 0 changed, 0 stopped, 0 asked" in task.outcome_note


def test_a_discarded_draft_is_not_history_and_cannot_be_signed(actor, patient, discharge, mar):
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge,
                                                   other_lists=[mar])  # fmt: skip
    services.reconciliation_discard(actor=actor, reconciliation=reconciliation)
    assert selectors.reconciliations_for_patient(actor, patient) == []
    with pytest.raises(InvalidStateError, match="discarded"):
        services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=2)


# The current list, active codes and flags ----------------------------------------------------------------------


def test_before_any_reconciliation_every_source_list_is_in_force_and_flags_show_duplicates(actor, patient, discharge,
                                                                                          mar):  # fmt: skip
    lines = selectors.lines_in_force(actor, patient)
    assert len(lines) == 6
    flags = selectors.safety_flags_for(lines)
    kinds = sorted((flag.kind, flag.message.split(":")[0]) for flag in flags)
    assert ("no-prescriber", "Warfarin 5 mg") in kinds
    duplicates = [flag for flag in flags if flag.kind == "duplicate"]
    assert {len(flag.refs) for flag in duplicates} == {2}
    assert any("Carl Berg, MD" in flag.message and "Hana Ito, MD" in flag.message for flag in duplicates)
    assert selectors.active_rxnorm_codes_for(actor, patient) >= {"314076", "29046", "11289", "1364430"}


def test_another_organization_sees_no_codes_and_no_lists(actor, patient, discharge, other_actor):
    assert selectors.active_rxnorm_codes_for(other_actor, patient) == set()
    with pytest.raises(NotFoundError):
        selectors.list_get(other_actor, discharge.public_id)
    assert not selectors.statements_visible_to(other_actor).exists()


def test_a_decision_whose_line_was_entered_in_error_since_must_be_made_again(actor, patient, discharge, mar):
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge,
                                                   other_lists=[mar])  # fmt: skip
    warfarin = rows_by_name(reconciliation)["warfarin"]
    decide_all(actor, reconciliation, warfarin={"action": "stop", "ordered_by": "Dr. Ito"})
    line = MedicationStatement.objects.get(public_id=warfarin.present[0].ref)
    services.medication_line_enter_in_error(actor=actor, line=line, expected_version=line.version)
    services.medication_line_add(actor=actor, medication_list=mar, data=med("Warfarin 2 mg", "11289"))
    with pytest.raises(ValidationError, match="decide them again: Warfarin 2 mg"):
        services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)
    decide_all(actor, reconciliation)
    services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)
