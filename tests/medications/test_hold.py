"""
Holding a medication in a reconciliation ("hold apixaban before the procedure"): a reason is required, a
resume date is optional and not in the past; on the signed list the line is on hold (FHIR on-hold), still on
the current list, shown as held with its reason and resume date, and out of the medications in force.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from carecoord.core.errors import ValidationError
from carecoord.medications import selectors, services
from carecoord.medications.models import Reconciliation, ReconciliationDecision

from .conftest import med

CHICAGO = ZoneInfo("America/Chicago")
TODAY = dt.date(2026, 3, 3)
REASON = "Hold for the colonoscopy on 3/10"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 3, 10, 0, tzinfo=CHICAGO), tick=False):
        yield


def rows_by_name(reconciliation):
    from carecoord.medications.domain import normalized_name

    _, rows = selectors.reconciliation_rows(reconciliation)
    return {normalized_name(row.name): row for row in rows}


def start(actor, patient, discharge, mar):
    return services.reconciliation_start(actor=actor, patient=patient, base_list=discharge, other_lists=[mar])


def decide(actor, reconciliation, name, **values):
    row = rows_by_name(reconciliation)[name]
    return services.reconciliation_decide(
        actor=actor, reconciliation=reconciliation, decisions=[{"row_key": row.key, **values}]
    )


def decide_all(actor, reconciliation, **overrides):
    decisions = [
        {"row_key": row.key, "action": "continue", **overrides.get(name, {})}
        for name, row in rows_by_name(reconciliation).items()
    ]
    return services.reconciliation_decide(actor=actor, reconciliation=reconciliation, decisions=decisions)


def test_a_hold_needs_a_reason(actor, patient, discharge, mar):
    reconciliation = start(actor, patient, discharge, mar)
    with pytest.raises(ValidationError) as refused:
        decide(actor, reconciliation, "apixaban", action="hold", note="  ", ordered_by="Dr. Ito")
    assert refused.value.message == (
        "Apixaban 5 mg: give the reason for holding it (e.g. until kidney function is rechecked)."
    )
    assert "note" in refused.value.field_errors
    assert not ReconciliationDecision.objects.exists()

    decide(actor, reconciliation, "apixaban", action="hold", note=REASON, ordered_by="Dr. Ito")
    decision = ReconciliationDecision.objects.get()
    assert (decision.action, decision.note, decision.resume_date) == ("hold", REASON, None)


def test_a_resume_date_is_optional_and_not_before_the_day_of_the_reconciliation(actor, patient, discharge, mar):
    reconciliation = start(actor, patient, discharge, mar)
    with pytest.raises(ValidationError) as refused:
        decide(
            actor,
            reconciliation,
            "apixaban",
            action="hold",
            note=REASON,
            ordered_by="Dr. Ito",
            resume_date=dt.date(2026, 3, 2),
        )
    assert refused.value.message == (
        "Apixaban 5 mg: the resume date (03/02/2026) is before today, the day of this reconciliation."
    )
    assert "resume_date" in refused.value.field_errors
    decide(actor, reconciliation, "apixaban", action="hold", note=REASON, ordered_by="Dr. Ito", resume_date=TODAY)
    assert ReconciliationDecision.objects.get().resume_date == TODAY
    decide(
        actor,
        reconciliation,
        "apixaban",
        action="hold",
        note=REASON,
        ordered_by="Dr. Ito",
        resume_date=dt.date(2026, 3, 12),
    )
    assert ReconciliationDecision.objects.get().resume_date == dt.date(2026, 3, 12)
    # Another decision drops the resume date: it belongs to a hold only.
    decide(actor, reconciliation, "apixaban", action="continue", resume_date=dt.date(2026, 3, 12))
    assert ReconciliationDecision.objects.get().resume_date is None


def test_signing_keeps_a_held_medication_on_the_current_list_on_hold(actor, patient, discharge, mar):
    reconciliation = start(actor, patient, discharge, mar)
    hold = {"action": "hold", "note": REASON, "resume_date": dt.date(2026, 3, 12), "ordered_by": "Dr. Ito"}
    decide_all(
        actor,
        reconciliation,
        apixaban=hold,
        warfarin={"action": "stop", "note": "apixaban instead", "ordered_by": "Dr. Ito"},
    )
    services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)
    reconciliation.refresh_from_db()
    lines = {line.display: line for line in reconciliation.result_list.lines.all()}
    held = lines["Apixaban 5 mg"]
    assert (held.status, held.status_reason, held.resume_date) == ("on-hold", REASON, dt.date(2026, 3, 12))
    assert held.stop_date is None
    assert (held.dose, held.frequency_code, held.rxnorm_code) == ("5 mg", "bid", "1364430")
    assert lines["Warfarin 5 mg"].status == "stopped"
    assert lines["Warfarin 5 mg"].status_reason == ""
    # Still on the current list (not stopped), but not a medication in force.
    assert held in selectors.lines_in_force(actor, patient)
    assert "1364430" not in selectors.active_rxnorm_codes_for(actor, patient)

    # Later that day the patient reports taking apixaban: with the reconciled one held, no duplicate therapy.
    with time_machine.travel(dt.datetime(2026, 3, 3, 11, 0, tzinfo=CHICAGO), tick=False):
        services.medication_list_create(
            actor=actor, patient=patient, source="patient", list_date=TODAY,
            lines=[med("Apixaban 5 mg", "1364430", dose="5 mg", frequency_code="bid")],
        )  # fmt: skip
    in_force = selectors.lines_in_force(actor, patient)
    assert sorted(line.status for line in in_force if line.display == "Apixaban 5 mg") == ["active", "on-hold"]
    flags = selectors.safety_flags_for(in_force)
    assert [flag for flag in flags if flag.kind == "duplicate"] == []
    assert any(flag.kind == "no-prescriber" and flag.message.startswith("Apixaban 5 mg") for flag in flags)


def test_a_held_line_stays_held_when_continued_and_resumes_when_changed(actor, patient, discharge, mar):
    first = start(actor, patient, discharge, mar)
    decide_all(
        actor,
        first,
        apixaban={"action": "hold", "note": REASON, "resume_date": dt.date(2026, 3, 12), "ordered_by": "Dr. Ito"},
    )
    services.reconciliation_sign(actor=actor, reconciliation=first, expected_version=1)
    first.refresh_from_db()
    report = services.medication_list_create(actor=actor, patient=patient, source="patient", list_date=TODAY,
                                             lines=[med("Aspirin 81 mg", "243670")])  # fmt: skip
    second = services.reconciliation_start(actor=actor, patient=patient, base_list=first.result_list,
                                           other_lists=[report])  # fmt: skip
    decide_all(actor, second)
    services.reconciliation_sign(actor=actor, reconciliation=second, expected_version=1)
    second.refresh_from_db()
    kept = second.result_list.lines.get(display="Apixaban 5 mg")
    assert (kept.status, kept.status_reason, kept.resume_date) == ("on-hold", REASON, dt.date(2026, 3, 12))

    third = services.reconciliation_start(actor=actor, patient=patient, base_list=second.result_list,
                                          other_lists=[report])  # fmt: skip
    decide_all(actor, third, apixaban={"action": "change", "dose": "2.5 mg", "ordered_by": "Dr. Ito"})
    services.reconciliation_sign(actor=actor, reconciliation=third, expected_version=1)
    third.refresh_from_db()
    resumed = third.result_list.lines.get(display="Apixaban 5 mg")
    assert (resumed.status, resumed.status_reason, resumed.resume_date) == ("active", "", None)


def test_a_hold_whose_resume_date_passed_before_signing_is_decided_again(actor, patient, discharge, mar):
    reconciliation = start(actor, patient, discharge, mar)
    decide_all(
        actor,
        reconciliation,
        apixaban={"action": "hold", "note": REASON, "resume_date": dt.date(2026, 3, 4), "ordered_by": "Dr. Ito"},
    )
    two_days_later = time_machine.travel(dt.datetime(2026, 3, 5, 10, 0, tzinfo=CHICAGO), tick=False)
    overdue = r"resume date before today; decide them again: Apixaban 5 mg\."
    with two_days_later, pytest.raises(ValidationError, match=overdue):
        services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)
    reconciliation.refresh_from_db()
    assert reconciliation.status == "draft"


def test_a_source_line_on_hold_keeps_its_reason_and_only_it_has_a_resume_date(actor, mar):
    line = services.medication_line_add(actor=actor, medication_list=mar, data=med(
        "Metformin 500 mg", "6809", status="on-hold", status_reason="Until kidney function is rechecked",
        resume_date=dt.date(2026, 3, 20),
    ))  # fmt: skip
    assert (line.status, line.status_reason, line.resume_date) == (
        "on-hold", "Until kidney function is rechecked", dt.date(2026, 3, 20)
    )  # fmt: skip
    with pytest.raises(ValidationError, match="a resume date is only for a medication on hold"):
        services.medication_line_add(actor=actor, medication_list=mar,
                                     data=med("Metformin 500 mg", resume_date=dt.date(2026, 3, 20)))  # fmt: skip


# Pages -------------------------------------------------------------------------------------------------------


def decision_data(reconciliation, **overrides) -> dict:
    _, rows = selectors.reconciliation_rows(reconciliation)
    data = {}
    for index, row in enumerate(rows):
        data[f"row{index}-row_key"] = row.key
        data[f"row{index}-chosen_line"] = row.present[0].ref
        data[f"row{index}-action"] = "continue"
        from carecoord.medications.domain import normalized_name

        for key, value in overrides.get(normalized_name(row.name), {}).items():
            data[f"row{index}-{key}"] = value
    return data


def test_the_pages_refuse_a_hold_without_a_reason_and_show_a_held_medication(client_for, actor, patient, discharge,
                                                                            mar):  # fmt: skip
    client = client_for(actor)
    reconciliation = start(actor, patient, discharge, mar)
    decide_url = reverse("medications:reconciliation_decide", args=[reconciliation.public_id])
    page = client.get(reconciliation.get_absolute_url()).content.decode()
    assert 'value="hold"' in page
    assert "Resume on (for a hold, if known)" in page

    response = client.post(decide_url, decision_data(reconciliation, apixaban={"action": "hold"}))
    assert response.status_code == 400
    assert "Apixaban 5 mg: give the reason for holding it" in response.content.decode()
    assert not ReconciliationDecision.objects.exists()

    hold = {"action": "hold", "note": REASON, "resume_date": "2026-03-12", "ordered_by": "Dr. Ito"}
    response = client.post(decide_url, decision_data(reconciliation, apixaban=hold))
    assert response.status_code == 302
    response = client.post(reverse("medications:reconciliation_sign", args=[reconciliation.public_id]),
                           {"version": reconciliation.version})  # fmt: skip
    assert response.status_code == 302
    signed = client.get(reconciliation.get_absolute_url()).content.decode()
    assert f"Reason: {REASON}" in signed
    assert "Resume on 03/12/2026" in signed

    tab = client.get(reverse("medications:patient_medications", args=[patient.public_id])).content.decode()
    held_row = tab[tab.index("Apixaban 5 mg") :].split("</tr>")[0]
    assert 'class="badge med-badge-on-hold">Held</span>' in held_row
    assert f"Reason: {REASON}" in held_row
    assert "Resume on 03/12/2026" in held_row
    assert Reconciliation.objects.get().result_list.lines.get(display="Apixaban 5 mg").status == "on-hold"
