"""
Who ordered a change, stop or hold. Stopping, holding or changing a medication is a prescriber's order: a
coordinator records who ordered it (Ordered by, a name or a directory practitioner) or the decision is
refused; a provider deciding is the orderer, their own name recorded when they leave it empty. The orderer
is shown on the reconciliation and in the history, and signed with the decisions (only when set, so the
hashes of reconciliations signed before orderers existed still match).
"""

import datetime as dt
import hashlib
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.errors import ValidationError
from carecoord.medications import selectors, services
from carecoord.medications.domain import normalized_name
from carecoord.medications.models import ReconciliationDecision

from ..factories import OrganizationFactory, PractitionerFactory, make_actor

CHICAGO = ZoneInfo("America/Chicago")
ORDERER = "Dr. Hana Ito (hospitalist)"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 3, 10, 0, tzinfo=CHICAGO), tick=False):
        yield


@pytest.fixture
def provider(org):
    actor = make_actor(org, Role.PROVIDER)
    actor.user.full_name = "Priya Natarajan, MD"
    actor.user.save(update_fields=["full_name"])
    return actor


@pytest.fixture
def reconciliation(actor, patient, discharge, mar):
    return services.reconciliation_start(actor=actor, patient=patient, base_list=discharge, other_lists=[mar])


def rows_by_name(reconciliation):
    _, rows = selectors.reconciliation_rows(reconciliation)
    return {normalized_name(row.name): row for row in rows}


def decide(actor, reconciliation, **by_name):
    rows = rows_by_name(reconciliation)
    decisions = [{"row_key": rows[name].key, **values} for name, values in by_name.items()]
    return services.reconciliation_decide(actor=actor, reconciliation=reconciliation, decisions=decisions)


def continue_the_rest(actor, reconciliation):
    decided = set(reconciliation.decisions.values_list("row_key", flat=True))
    decisions = [
        {"row_key": row.key, "action": "continue"}
        for row in rows_by_name(reconciliation).values()
        if row.key not in decided
    ]
    services.reconciliation_decide(actor=actor, reconciliation=reconciliation, decisions=decisions)


# Services ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"action": "stop"}, "Stopping Warfarin 5 mg needs the prescriber who ordered it (Ordered by)."),
        ({"action": "hold", "note": "Before the colonoscopy"}, "Holding Warfarin 5 mg needs the prescriber"),
        ({"action": "change", "dose": "2 mg"}, "Changing Warfarin 5 mg needs the prescriber"),
    ],
)
def test_a_coordinator_cannot_stop_hold_or_change_without_the_orderer_and_nothing_is_written(
    actor, reconciliation, values, message
):
    assert not actor.has_role(Role.PROVIDER)
    with pytest.raises(ValidationError) as refused:
        # Blank and spaces count as none; the decision on the other row in the same save is not kept either.
        decide(actor, reconciliation, apixaban={"action": "continue"}, warfarin={**values, "ordered_by": "  "})
    assert refused.value.message.startswith(message)
    assert "ordered_by" in refused.value.field_errors
    assert not ReconciliationDecision.objects.exists()


def test_a_coordinator_records_who_ordered_a_stop_and_other_decisions_need_none(actor, reconciliation):
    decide(
        actor,
        reconciliation,
        warfarin={"action": "stop", "note": "Apixaban instead", "ordered_by": f"  {ORDERER}  "},
        apixaban={"action": "continue", "ordered_by": "ignored"},
        lisinopril={"action": "ask", "note": "Still 10 mg?"},
    )
    decisions = {d.chosen_line.display: d for d in ReconciliationDecision.objects.select_related("chosen_line")}
    stop = decisions["Warfarin 5 mg"]
    assert (stop.action, stop.ordered_by, stop.ordered_by_practitioner) == ("stop", ORDERER, None)
    assert decisions["Apixaban 5 mg"].ordered_by == ""  # continue orders nothing: the name is not kept
    assert decisions["lisinopril 10 MG Oral Tablet"].ordered_by == ""

    # Decided again as continue, the orderer goes with the stop.
    decide(actor, reconciliation, warfarin={"action": "continue"})
    assert ReconciliationDecision.objects.get(pk=stop.pk).ordered_by == ""


def test_the_orderer_can_be_a_directory_practitioner_of_the_organization_only(actor, reconciliation, cardiologist):
    decide(actor, reconciliation, warfarin={"action": "stop", "ordered_by_practitioner": str(cardiologist.public_id)})
    decision = ReconciliationDecision.objects.get()
    assert (decision.ordered_by, decision.ordered_by_practitioner) == (cardiologist.display_name, cardiologist)

    elsewhere = PractitionerFactory(organization=OrganizationFactory())
    for value in (elsewhere.public_id, "not-an-id"):
        with pytest.raises(ValidationError, match=r"^Warfarin 5 mg: choose the ordering prescriber from the"):
            decide(actor, reconciliation, warfarin={"action": "stop", "ordered_by_practitioner": value})


def test_a_provider_is_the_orderer_and_needs_not_name_anyone(provider, reconciliation):
    decide(
        provider,
        reconciliation,
        warfarin={"action": "stop"},
        apixaban={"action": "hold", "note": "Before the colonoscopy", "ordered_by": ORDERER},
    )
    decisions = {d.chosen_line.display: d for d in ReconciliationDecision.objects.select_related("chosen_line")}
    assert decisions["Warfarin 5 mg"].ordered_by == "Priya Natarajan, MD"
    assert decisions["Apixaban 5 mg"].ordered_by == ORDERER  # a name given is kept (e.g. the hospitalist's)
    continue_the_rest(provider, reconciliation)
    services.reconciliation_sign(actor=provider, reconciliation=reconciliation, expected_version=1)
    reconciliation.refresh_from_db()
    assert reconciliation.is_signed


def old_digest(reconciliation, decisions, rows) -> str:
    """The signed hash as computed before orderers existed (services._digest of migration 0003's time)."""
    payload = {
        "reconciliation": str(reconciliation.public_id),
        "lists": sorted(str(found.public_id) for found in reconciliation.compared_lists.all()),
        "rows": [[row.key, [entry.ref if entry else None for entry in row.entries]] for row in rows],
        "decisions": [
            [d.row_key, d.action, str(d.chosen_line.public_id), d.dose, d.frequency_code, d.frequency_text,
             d.route_code, d.note, *([d.resume_date.isoformat()] if d.resume_date else [])]
            for d in decisions
        ],
    }  # fmt: skip
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def test_the_orderer_is_signed_and_older_signatures_still_match(actor, reconciliation, hospitalist):
    decide(
        actor,
        reconciliation,
        warfarin={"action": "stop", "ordered_by": ORDERER, "ordered_by_practitioner": hospitalist.public_id},
        apixaban={"action": "hold", "note": "Before the colonoscopy", "resume_date": dt.date(2026, 3, 12),
                  "ordered_by": ORDERER},
    )  # fmt: skip
    continue_the_rest(actor, reconciliation)
    services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)
    reconciliation.refresh_from_db()
    _, rows = selectors.reconciliation_rows(reconciliation)
    by_key = {d.row_key: d for d in reconciliation.decisions.select_related("chosen_line", "ordered_by_practitioner")}
    decisions = [by_key[row.key] for row in rows]
    assert reconciliation.content_sha256 == services._digest(reconciliation, decisions, rows)
    assert reconciliation.content_sha256 != old_digest(reconciliation, decisions, rows)  # the orderer is signed

    # A reconciliation signed before orderers existed has none on any decision: its hash is unchanged.
    for decision in decisions:
        decision.ordered_by, decision.ordered_by_practitioner = "", None
    assert services._digest(reconciliation, decisions, rows) == old_digest(reconciliation, decisions, rows)


def test_a_draft_stop_decided_before_orderers_existed_is_decided_again_before_signing(actor, reconciliation):
    decide(actor, reconciliation, warfarin={"action": "stop", "ordered_by": ORDERER})
    continue_the_rest(actor, reconciliation)
    ReconciliationDecision.objects.filter(action="stop").update(ordered_by="")  # as a draft from before
    with pytest.raises(ValidationError, match=r"\(Ordered by\); decide them again: Warfarin 5 mg\.$"):
        services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)
    reconciliation.refresh_from_db()
    assert reconciliation.status == "draft"
    decide(actor, reconciliation, warfarin={"action": "stop", "ordered_by": ORDERER})
    services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)


# Pages -------------------------------------------------------------------------------------------------------


def decision_data(reconciliation, **by_name) -> dict:
    _, rows = selectors.reconciliation_rows(reconciliation)
    data = {}
    for index, row in enumerate(rows):
        values = {"row_key": row.key, "chosen_line": row.present[0].ref, "action": "continue"}
        values.update(by_name.get(normalized_name(row.name), {}))
        data.update({f"row{index}-{key}": value for key, value in values.items()})
    return data


def test_the_pages_ask_a_coordinator_for_the_orderer_and_show_it_when_signed(client_for, actor, patient,
                                                                            reconciliation):  # fmt: skip
    client = client_for(actor)
    page = client.get(reconciliation.get_absolute_url()).content.decode()
    assert "Ordered by" in page
    assert "For a change, stop or hold: the prescriber who ordered it." in page
    decide_url = reverse("medications:reconciliation_decide", args=[reconciliation.public_id])

    response = client.post(decide_url, decision_data(reconciliation, warfarin={"action": "stop"}))
    assert response.status_code == 400
    refused = response.content.decode()
    assert "Stopping Warfarin 5 mg needs the prescriber who ordered it (Ordered by)." in refused
    _, rows = selectors.reconciliation_rows(reconciliation)
    index = next(i for i, row in enumerate(rows) if row.name == "Warfarin 5 mg")
    assert f'<p class="error" id="id_row{index}-ordered_by_error">Stopping Warfarin 5 mg' in refused  # on its field
    assert not ReconciliationDecision.objects.exists()

    response = client.post(
        decide_url, decision_data(reconciliation, warfarin={"action": "stop", "ordered_by": ORDERER})
    )
    assert response.status_code == 302
    assert ReconciliationDecision.objects.get(action="stop").ordered_by == ORDERER
    draft = client.get(reconciliation.get_absolute_url()).content.decode()
    assert f'value="{ORDERER}"' in draft
    assert f"Saved: stop, ordered by {ORDERER}" in draft

    response = client.post(reverse("medications:reconciliation_sign", args=[reconciliation.public_id]),
                           {"version": reconciliation.version})  # fmt: skip
    assert response.status_code == 302
    signed = client.get(reconciliation.get_absolute_url()).content.decode()
    assert f"Ordered by {ORDERER}" in signed
    history = client.get(reverse("medications:patient_medication_history", args=[patient.public_id]))
    assert f"Stop Warfarin 5 mg, ordered by {ORDERER}" in history.content.decode()


def test_the_pages_let_a_provider_decide_without_naming_an_orderer(client_for, provider, reconciliation, hospitalist):
    client = client_for(provider)
    decide_url = reverse("medications:reconciliation_decide", args=[reconciliation.public_id])
    data = decision_data(
        reconciliation,
        warfarin={"action": "stop"},
        apixaban={"action": "hold", "note": "Before the colonoscopy",
                  "ordered_by_practitioner": str(hospitalist.public_id)},
    )  # fmt: skip
    response = client.post(decide_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    decisions = {d.action: d for d in ReconciliationDecision.objects.all()}
    assert decisions["stop"].ordered_by == "Priya Natarajan, MD"
    assert (decisions["hold"].ordered_by, decisions["hold"].ordered_by_practitioner) == (
        hospitalist.display_name, hospitalist
    )  # fmt: skip
    page = client.get(reconciliation.get_absolute_url()).content.decode()
    assert f'<option value="{hospitalist.public_id}" selected>' in page
