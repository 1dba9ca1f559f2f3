"""
Reconciling a single list against the medications on file: a patient with only a discharge list (or only a
current reconciled list) is reviewed item by item and signed, through the services and through the pages,
and the signature counts for the transition episode like a two-list reconciliation.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import AuditEvent
from carecoord.medications import selectors, services
from carecoord.medications.domain import normalized_name
from carecoord.medications.models import Reconciliation, ReconciliationDecision

from ..factories import ExternalOrganizationFactory, make_actor
from .conftest import med

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 3, 10, 0, tzinfo=CHICAGO), tick=False):
        yield


def by_name(reconciliation) -> dict:
    _, rows = selectors.reconciliation_rows(reconciliation)
    return {normalized_name(row.name): row for row in rows}


def decide_each(actor, reconciliation, **overrides):
    decisions = [
        {"row_key": row.key, "action": "continue", **overrides.get(name, {})}
        for name, row in by_name(reconciliation).items()
    ]
    return services.reconciliation_decide(actor=actor, reconciliation=reconciliation, decisions=decisions)


def start_alone(actor, patient, base_list):
    return services.reconciliation_start(actor=actor, patient=patient, base_list=base_list, against_current=True)


# Services ----------------------------------------------------------------------------------------------------


def test_a_patient_with_only_a_discharge_list_reconciles_it_item_by_item_and_signs(actor, patient, discharge):
    reconciliation = start_alone(actor, patient, discharge)
    lists, rows = selectors.reconciliation_rows(reconciliation)
    assert lists == [discharge]
    assert sorted(row.entries[0].display[:10] for row in rows) == ["24 HR meto", "Apixaban 5", "lisinopril"]
    assert all(len(row.entries) == 1 for row in rows)
    with pytest.raises(ValidationError, match="Decide every medication"):
        services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)

    decide_each(
        actor,
        reconciliation,
        metoprolol={"action": "change", "dose": "50 mg", "note": "Heart rate 52 at discharge", "ordered_by": "Dr. Ito"},
        apixaban={"action": "stop", "note": "Bleeding risk; cardiology to decide", "ordered_by": "Dr. Ito"},
    )
    decisions = {d.chosen_line.display[:10]: d for d in ReconciliationDecision.objects.filter(
        reconciliation=reconciliation).select_related("chosen_line")}  # fmt: skip
    assert {name: d.action for name, d in decisions.items()} == {
        "lisinopril": "continue", "24 HR meto": "change", "Apixaban 5": "stop",
    }  # fmt: skip
    assert decisions["Apixaban 5"].note == "Bleeding risk; cardiology to decide"
    assert decisions["24 HR meto"].dose == "50 mg"

    services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1, note="With Rosa")
    reconciliation.refresh_from_db()
    assert reconciliation.is_signed
    assert len(reconciliation.content_sha256) == 64
    assert selectors.current_reconciliation(actor, patient) == reconciliation
    result = {line.display[:10]: line for line in reconciliation.result_list.lines.all()}
    assert result["24 HR meto"].dose == "50 mg"
    assert result["Apixaban 5"].status == "stopped"
    assert result["lisinopril"].status == "active"
    assert selectors.active_rxnorm_codes_for(actor, patient) == {"314076", "29046", "866412", "6918"}
    start = AuditEvent.objects.get(event="reconciliation.start", patient_public_id=patient.public_id)
    assert start.detail["against_current"] is True
    assert AuditEvent.objects.filter(event="reconciliation.sign", patient_public_id=patient.public_id).exists()


def test_without_the_medications_on_file_a_second_list_is_still_required(actor, patient, discharge):
    with pytest.raises(ValidationError, match="at least one other list"):
        services.reconciliation_start(actor=actor, patient=patient, base_list=discharge, other_lists=[])
    services.medication_list_enter_in_error(actor=actor, medication_list=discharge)
    with pytest.raises(ValidationError, match="entered in error"):
        start_alone(actor, patient, discharge)
    assert not Reconciliation.objects.exists()


def test_a_new_list_is_compared_with_what_is_on_file_and_the_current_list_can_be_reviewed_alone(
    actor, patient, discharge
):
    first = start_alone(actor, patient, discharge)
    decide_each(actor, first, apixaban={"action": "stop", "ordered_by": "Dr. Ito"})
    services.reconciliation_sign(actor=actor, reconciliation=first, expected_version=1)
    first.refresh_from_db()

    report = services.medication_list_create(actor=actor, patient=patient, source="patient", list_date=dt.date(
        2026, 3, 3), lines=[med("Lisinopril 10mg", dose="10 mg"), med("Aspirin 81 mg", "243670")])  # fmt: skip
    second = start_alone(actor, patient, report)
    lists, rows = selectors.reconciliation_rows(second)
    assert lists == [report, first.result_list]
    assert sorted((normalized_name(row.name), row.kind) for row in rows) == [
        ("apixaban", "missing"), ("aspirin", "new"), ("lisinopril", "matched"), ("metoprolol", "missing"),
    ]  # fmt: skip
    services.reconciliation_discard(actor=actor, reconciliation=second)
    services.medication_list_enter_in_error(actor=actor, medication_list=report)

    # Only the current reconciled list is on file: it is reviewed on its own.
    review = start_alone(actor, patient, first.result_list)
    lists, rows = selectors.reconciliation_rows(review)
    assert lists == [first.result_list]
    assert len(rows) == 3
    decide_each(actor, review)
    services.reconciliation_sign(actor=actor, reconciliation=review, expected_version=1)
    review.refresh_from_db()
    assert review.supersedes == first
    assert selectors.current_reconciliation(actor, patient) == review


def test_a_signed_single_list_reconciliation_counts_for_the_transition_episode(actor, org, patient, discharge):
    from carecoord.transitions import selectors as transitions_selectors
    from carecoord.transitions import services as transitions

    hospital = ExternalOrganizationFactory(organization=org, name="Lakeside General", kind="hospital")
    _, episode = transitions.encounter_discharge(
        organization=org, patient=patient, facility=hospital, source={"event": "test"},
        data={"visit_number": "V1", "encounter_class": "IMP", "discharge_disposition": "01", "diagnoses": [],
              "admitted_at": dt.datetime(2026, 2, 27, 9, tzinfo=CHICAGO),
              "discharged_at": dt.datetime(2026, 3, 2, 11, tzinfo=CHICAGO)},
    )  # fmt: skip
    reasons = transitions_selectors.episode_tcm_reasons(episode)
    assert "No medication reconciliation is recorded." in reasons

    reconciliation = start_alone(actor, patient, discharge)
    decide_each(actor, reconciliation, apixaban={"action": "stop", "ordered_by": "Dr. Ito"})
    services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)

    episode = transitions_selectors.episode_get(actor, episode.public_id, audit_event=None)
    assert episode.med_rec_at == dt.datetime(2026, 3, 3, 10, tzinfo=CHICAGO)
    steps = {step.step: step.state for step in transitions_selectors.episode_progress(episode)}
    assert steps["med_rec"] == "done"
    assert "No medication reconciliation is recorded." not in transitions_selectors.episode_tcm_reasons(episode)


def test_another_organization_and_read_only_roles_cannot_reconcile_a_single_list(
    actor, org, patient, discharge, other_actor
):
    with pytest.raises(NotFoundError):
        start_alone(other_actor, patient, discharge)
    with pytest.raises(PermissionDeniedError):
        start_alone(make_actor(org, Role.SCHEDULER), patient, discharge)
    reconciliation = start_alone(actor, patient, discharge)
    with pytest.raises(NotFoundError):
        decide_each(other_actor, reconciliation)
    decide_each(actor, reconciliation)
    with pytest.raises(NotFoundError):
        services.reconciliation_sign(actor=other_actor, reconciliation=reconciliation, expected_version=1)
    with pytest.raises(NotFoundError):
        selectors.reconciliation_get(other_actor, reconciliation.public_id)
    assert Reconciliation.objects.get().status == "draft"


# Pages -------------------------------------------------------------------------------------------------------


@pytest.fixture
def client(actor, client_for):
    return client_for(actor)


def tab(patient):
    return reverse("medications:patient_medications", args=[patient.public_id])


def start_url(patient):
    return reverse("medications:patient_reconciliation_start", args=[patient.public_id])


def test_the_tab_offers_the_medications_on_file_and_a_single_list_is_reconciled_through_the_pages(
    client, patient, discharge
):
    body = client.get(tab(patient)).content.decode()
    assert "Current medications on file" in body
    assert 'name="start-against_current" id="id_start-against_current" checked' in body  # the only choice
    assert "On file: Lakeside General discharge, 03/02/2026." in body

    response = client.post(start_url(patient), {"start-base_list": discharge.pk, "start-against_current": "on"})
    reconciliation = Reconciliation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reconciliation.get_absolute_url()
    page = client.get(reconciliation.get_absolute_url()).content.decode()
    assert "is reviewed on its own" in page
    assert ">New<" not in page  # no verdicts without a comparison
    assert page.count('name="row0-action"') == 5  # continue, change, stop, hold, ask the prescriber

    _, rows = selectors.reconciliation_rows(reconciliation)
    data = {}
    for index, row in enumerate(rows):
        stop = row.name.startswith("Apixaban")
        data.update({f"row{index}-row_key": row.key, f"row{index}-chosen_line": row.present[0].ref,
                     f"row{index}-action": "stop" if stop else "continue",
                     f"row{index}-note": "Bleeding risk" if stop else "",
                     f"row{index}-ordered_by": "Dr. Ito" if stop else ""})  # fmt: skip
    response = client.post(reverse("medications:reconciliation_decide", args=[reconciliation.public_id]), data)
    assert response.status_code == 302
    assert reconciliation.decisions.count() == 3
    response = client.post(reverse("medications:reconciliation_sign", args=[reconciliation.public_id]),
                           {"version": reconciliation.version, "note": "Reviewed with Rosa"})  # fmt: skip
    assert response.status_code == 302
    reconciliation.refresh_from_db()
    assert reconciliation.is_signed
    assert "Reconciled and signed by" in client.get(tab(patient)).content.decode()


def test_a_list_page_offers_reconcile_this_list(client, patient, discharge, mar):
    page = client.get(discharge.get_absolute_url()).content.decode()
    assert "Reconcile this list" in page
    assert f'name="start-base_list" value="{discharge.pk}"' in page
    response = client.post(start_url(patient), {"start-base_list": discharge.pk, "start-against_current": "on"})
    assert response.status_code == 302
    lists, _ = selectors.reconciliation_rows(Reconciliation.objects.get())
    assert lists == [discharge, mar]  # with no reconciliation yet, every source list is on file


def test_neither_another_list_nor_the_medications_on_file_is_shown_inline(client, patient, discharge):
    response = client.post(start_url(patient), {"start-base_list": discharge.pk})
    assert response.status_code == 400
    assert "or the current medications on file" in response.content.decode()
    assert not Reconciliation.objects.exists()


def test_another_organization_cannot_start_a_single_list_reconciliation(client_for, other_actor, patient, discharge):
    response = client_for(other_actor).post(
        start_url(patient), {"start-base_list": discharge.pk, "start-against_current": "on"}
    )
    assert response.status_code == 404
    assert not Reconciliation.objects.exists()
