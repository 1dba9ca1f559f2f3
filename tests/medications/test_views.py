"""Medication pages through the test client: the tab, a list with several rows, reconcile, decide, sign, history."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from carecoord.careplans.models import Task
from carecoord.core.models import AuditEvent
from carecoord.medications import selectors, services
from carecoord.medications.models import MedicationList, Reconciliation

from .conftest import LIST_DAY

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 3, 10, 0, tzinfo=CHICAGO), tick=False):
        yield


@pytest.fixture
def client(actor, client_for):
    return client_for(actor)


def tab(patient):
    return reverse("medications:patient_medications", args=[patient.public_id])


def test_the_tab_shows_source_lists_flags_and_the_not_decision_support_notice(client, patient, discharge, mar):
    response = client.get(tab(patient))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Maple Grove MAR" in body
    assert "Lakeside General discharge" in body
    assert "not clinical decision support" in body
    assert "Possible duplicate therapy" in body
    assert "Warfarin 5 mg: no prescriber on file" in body
    assert 'aria-current="page">Medications<' in body
    assert AuditEvent.objects.filter(event="medications.view", patient_public_id=patient.public_id).exists()


def test_the_base_list_offered_is_the_newest_discharge_list_even_after_a_newer_patient_report(
    client, actor, patient, discharge, mar
):
    report = services.medication_list_create(
        actor=actor, patient=patient, source="patient", source_name="What Rosa says she takes",
        list_date=LIST_DAY + dt.timedelta(days=1), lines=[{"display": "Lisinopril 10 mg", "dose": "10 mg"}],
    )  # fmt: skip
    body = client.get(tab(patient)).content.decode()
    selected = f'<option value="{discharge.pk}" selected>'
    assert selected in body
    assert f'<option value="{report.pk}" selected>' not in body


def test_the_tab_of_a_patient_of_another_organization_is_404(client_for, other_actor, patient):
    assert client_for(other_actor).get(tab(patient)).status_code == 404


def form_data(**rows) -> dict:
    data = {
        "list-source": "discharge", "list-source_name": "Lakeside General", "list-list_date": "2026-03-02",
        "line-TOTAL_FORMS": "4", "line-INITIAL_FORMS": "0", "line-MIN_NUM_FORMS": "0", "line-MAX_NUM_FORMS": "60",
    }  # fmt: skip
    for index in range(4):
        data[f"line-{index}-status"] = "active"
    data.update(rows)
    return data


def test_a_list_with_several_rows_is_saved_in_one_form_skipping_empty_rows(client, patient, hospitalist):
    page = client.get(reverse("medications:patient_list_new", args=[patient.public_id])).content.decode()
    assert 'id="med-row-template"' in page
    assert "medications-rows.js" in page
    assert "<script>" not in page
    assert 'value="lisinopril" data-rxcui="29046"' in page
    response = client.post(
        reverse("medications:patient_list_new", args=[patient.public_id]),
        form_data(**{
            "line-0-display": "lisinopril", "line-0-rxnorm_code": "29046", "line-0-dose": "10 mg",
            "line-0-frequency_code": "daily", "line-0-route_code": "26643006",
            "line-0-prescriber": str(hospitalist.pk),
            "line-2-display": "Metoprolol tartrate 25 mg", "line-2-frequency_text": "twice a day",
            "line-2-adherence_note": "Misses evening dose",
        }),
    )  # fmt: skip
    assert response.status_code == 302
    saved = MedicationList.objects.get()
    assert [(line.display, line.prescriber) for line in saved.lines.all()] == [
        ("lisinopril", hospitalist), ("Metoprolol tartrate 25 mg", None),
    ]  # fmt: skip
    assert saved.lines.get(position=1).adherence_note == "Misses evening dose"


def test_a_bad_rxcui_and_a_list_without_medications_are_shown_inline(client, patient):
    url = reverse("medications:patient_list_new", args=[patient.public_id])
    response = client.post(url, form_data(**{"line-1-display": "Lasix", "line-1-rxnorm_code": "4603x"}))
    assert response.status_code == 400
    assert "An RxNorm code (RxCUI) is digits only" in response.content.decode()
    response = client.post(url, form_data())
    assert response.status_code == 400
    assert "Add at least one medication." in response.content.decode()
    assert not MedicationList.objects.exists()


def test_a_future_list_date_and_a_bad_row_are_both_shown_in_one_round(client, patient):
    url = reverse("medications:patient_list_new", args=[patient.public_id])
    data = form_data(**{"list-list_date": "2026-03-04", "line-0-display": "Lasix", "line-0-rxnorm_code": "4603x"})
    body = client.post(url, data).content.decode()
    assert "The list&#x27;s date cannot be in the future." in body
    assert "An RxNorm code (RxCUI) is digits only" in body
    assert not MedicationList.objects.exists()


def test_reconcile_decide_and_sign_through_the_pages(client, actor, patient, discharge, mar):
    response = client.post(
        reverse("medications:patient_reconciliation_start", args=[patient.public_id]),
        {"start-base_list": discharge.pk, "start-other_lists": [mar.pk]},
    )
    reconciliation = Reconciliation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reconciliation.get_absolute_url()
    page = client.get(reconciliation.get_absolute_url()).content.decode()
    for verdict in ("Matched", "Changed", "New", "Missing"):
        assert f">{verdict}<" in page
    assert "Differs: formulation (succinate ER vs tartrate), dose, frequency" in page

    _, rows = selectors.reconciliation_rows(reconciliation)
    data = {}
    for index, row in enumerate(rows):
        data[f"row{index}-row_key"] = row.key
        data[f"row{index}-chosen_line"] = row.present[0].ref
        data[f"row{index}-action"] = "ask" if row.kind == "missing" else "continue"
        data[f"row{index}-note"] = "Was warfarin stopped?" if row.kind == "missing" else ""
    response = client.post(reverse("medications:reconciliation_decide", args=[reconciliation.public_id]), data)
    assert response.status_code == 302
    assert Task.objects.get(source="medications").title == "Ask the prescriber about Warfarin 5 mg"

    response = client.post(reverse("medications:reconciliation_sign", args=[reconciliation.public_id]),
                           {"version": reconciliation.version, "note": "Reviewed with the daughter"})  # fmt: skip
    assert response.status_code == 302
    reconciliation.refresh_from_db()
    assert reconciliation.is_signed
    body = client.get(tab(patient)).content.decode()
    assert "Reconciled and signed by" in body
    history = client.get(reverse("medications:patient_medication_history", args=[patient.public_id])).content
    assert b"Current" in history


def test_signing_with_open_rows_says_which_and_an_invalid_decision_is_shown_on_its_row(client, patient, discharge, mar):
    client.post(reverse("medications:patient_reconciliation_start", args=[patient.public_id]),
                {"start-base_list": discharge.pk, "start-other_lists": [mar.pk]})  # fmt: skip
    reconciliation = Reconciliation.objects.get()
    response = client.post(reverse("medications:reconciliation_sign", args=[reconciliation.public_id]),
                           {"version": reconciliation.version})  # fmt: skip
    assert response.status_code == 400
    assert "Decide every medication before signing" in response.content.decode()
    _, rows = selectors.reconciliation_rows(reconciliation)
    index = next(i for i, row in enumerate(rows) if row.kind == "changed")
    response = client.post(reverse("medications:reconciliation_decide", args=[reconciliation.public_id]), {
        f"row{index}-row_key": rows[index].key, f"row{index}-action": "change",
        f"row{index}-chosen_line": rows[index].present[0].ref,
    })  # fmt: skip
    assert response.status_code == 400
    assert "say what changes (dose, frequency or route)" in response.content.decode()


def test_a_source_line_and_list_can_be_marked_entered_in_error(client, discharge):
    line = discharge.lines.first()
    response = client.post(reverse("medications:line_enter_in_error", args=[line.public_id]), {"version": 1})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == "entered-in-error"
    client.post(reverse("medications:list_enter_in_error", args=[discharge.public_id]))
    discharge.refresh_from_db()
    assert discharge.entered_in_error
    page = client.get(discharge.get_absolute_url()).content.decode()
    assert "Entered in error" in page
    assert LIST_DAY.strftime("%m/%d/%Y") in page


def queries_for(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_tab_and_the_reconciliation_page_do_not_query_per_line_or_list(client, actor, patient, discharge, mar):
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge,
                                                   other_lists=[mar])  # fmt: skip
    before = (queries_for(client, tab(patient)), queries_for(client, reconciliation.get_absolute_url()))
    for day in (1, 2):
        extra = services.medication_list_create(
            actor=actor, patient=patient, source="pharmacy", list_date=LIST_DAY - dt.timedelta(days=day),
            lines=[{"display": f"Drug {day}-{i}", "dose": "1 mg"} for i in range(4)],
        )  # fmt: skip
    services.reconciliation_discard(actor=actor, reconciliation=reconciliation)
    wider = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge, other_lists=[mar, extra])
    after = (queries_for(client, tab(patient)), queries_for(client, wider.get_absolute_url()))
    assert after == before


def test_with_no_list_the_tab_asks_for_one_instead_of_offering_a_comparison(client, patient, discharge):
    from ..factories import PatientFactory

    empty = PatientFactory(organization=patient.organization)
    page = client.get(tab(empty)).content.decode()
    assert "Record a medication list first" in page
    assert "Compare lists</button>" not in page
    assert "Compare lists</button>" in client.get(tab(patient)).content.decode()  # one list: it can be reviewed
