"""
A reconciliation's decisions are saved in one transaction: one bad row and none is saved. The page then says
so at the top of the form (role="alert": nothing was saved, how many medications need attention, each problem
with a link to its row), keeps what was entered on every row, and marks the bad rows and fields (aria-invalid,
aria-describedby). The same for a refused signature. The service's error says which row each problem is about.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from carecoord.careplans.models import Task
from carecoord.core.errors import ValidationError
from carecoord.medications import selectors, services
from carecoord.medications.domain import normalized_name
from carecoord.medications.models import ReconciliationDecision

CHICAGO = ZoneInfo("America/Chicago")
ORDERER = "Dr. Hana Ito"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 3, 10, 0, tzinfo=CHICAGO), tick=False):
        yield


@pytest.fixture
def reconciliation(actor, patient, discharge, mar):
    return services.reconciliation_start(actor=actor, patient=patient, base_list=discharge, other_lists=[mar])


@pytest.fixture
def client(actor, client_for):
    return client_for(actor)


def numbered_rows(reconciliation) -> dict:
    """Each row by its normalized name: (its index on the page, the row)."""
    _, rows = selectors.reconciliation_rows(reconciliation)
    return {normalized_name(row.name): (index, row) for index, row in enumerate(rows)}


def post_data(reconciliation, **by_name) -> dict:
    """What the page sends: every row's key and version; a row named here gets those values (none: left alone)."""
    data = {}
    for name, (index, row) in numbered_rows(reconciliation).items():
        values = {"row_key": row.key, "chosen_line": row.present[0].ref, **by_name.get(name, {})}
        data.update({f"row{index}-{key}": value for key, value in values.items()})
    return data


def good_decisions(hospitalist) -> dict:
    return {
        "lisinopril": {"action": "continue", "note": "Confirmed with the pharmacy"},
        "metoprolol": {"action": "change", "dose": "50 mg", "ordered_by": "Dr. Carl Berg"},
        "apixaban": {"action": "hold", "note": "Before the colonoscopy", "resume_date": "2026-03-12",
                     "ordered_by_practitioner": str(hospitalist.public_id)},
    }  # fmt: skip


def summary_of(page: str, kind: str = "decide") -> str:
    start = page.index(f'<div class="med-error-summary" id="{kind}-errors"')
    return page[start : page.index("</div>", start)]


def tag(page: str, name: str, value: str | None = None) -> str:
    """The <input>/<select> tag named `name` (for radios: the one with `value`)."""
    for found in re.findall(r"<(?:input|select)\b[^>]*>", page):
        if f'name="{name}"' in found and (value is None or f'value="{value}"' in found):
            return found
    raise AssertionError(f"no field {name} {value or ''}")


def row_html(page: str, index: int) -> str:
    start = page.index(f'id="row-{index + 1}"')
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]


def test_one_bad_row_saves_nothing_says_so_on_top_and_keeps_every_row(client, reconciliation, hospitalist):
    rows = numbered_rows(reconciliation)
    warfarin, _ = rows["warfarin"]
    apixaban, _ = rows["apixaban"]
    decide_url = reverse("medications:reconciliation_decide", args=[reconciliation.public_id])
    sent = post_data(reconciliation, **good_decisions(hospitalist),
                     warfarin={"action": "stop", "note": "Stopped by the cardiologist"})  # fmt: skip
    assert (ReconciliationDecision.objects.count(), Task.objects.count()) == (0, 0)

    response = client.post(decide_url, sent)

    assert response.status_code == 400
    assert (ReconciliationDecision.objects.count(), Task.objects.count()) == (0, 0)  # the good rows neither
    page = response.content.decode()
    summary = summary_of(page)
    # On top of the form, before the rows.
    assert page.index('id="decisions"') < page.index(summary) < page.index('<table class="table med-compare"')
    assert 'role="alert"' in summary
    assert 'tabindex="-1" data-error-summary' in summary  # focused by medications-rows.js
    assert "Nothing was saved" in summary
    assert "None of the decisions on this page were saved: 1 medication needs attention." in summary
    items = re.findall(r"<li>(.*?)</li>", summary)
    assert items == [
        f'<a href="#row-{warfarin + 1}">Warfarin 5 mg</a>: '
        "Stopping Warfarin 5 mg needs the prescriber who ordered it (Ordered by)."
    ]

    # The bad row is marked, its message by its field, which points at it.
    bad = row_html(page, warfarin)
    assert 'class="med-kind-missing med-attention"' in bad
    ordered_by = tag(bad, f"row{warfarin}-ordered_by")
    assert 'aria-invalid="true"' in ordered_by
    assert f'aria-describedby="id_row{warfarin}-ordered_by_helptext id_row{warfarin}-ordered_by_error"' in ordered_by
    assert f'<p class="error" id="id_row{warfarin}-ordered_by_error">Stopping Warfarin 5 mg' in bad
    assert [index for index in range(len(rows)) if "med-attention" in row_html(page, index)] == [warfarin]
    assert page.count('aria-invalid="true"') == 1

    # Every row keeps what was entered.
    assert "checked" in tag(page, f"row{warfarin}-action", "stop")
    assert 'value="Stopped by the cardiologist"' in tag(page, f"row{warfarin}-note")
    lisinopril, _ = rows["lisinopril"]
    assert 'value="Confirmed with the pharmacy"' in tag(page, f"row{lisinopril}-note")
    metoprolol, _ = rows["metoprolol"]
    assert "checked" in tag(page, f"row{metoprolol}-action", "change")
    assert 'value="50 mg"' in tag(page, f"row{metoprolol}-dose")
    assert 'value="Dr. Carl Berg"' in tag(page, f"row{metoprolol}-ordered_by")
    assert "checked" in tag(page, f"row{apixaban}-action", "hold")
    assert 'value="2026-03-12"' in tag(page, f"row{apixaban}-resume_date")
    assert f'<option value="{hospitalist.public_id}" selected>' in row_html(page, apixaban)

    # Fixing the one row and saving again saves them all.
    sent[f"row{warfarin}-ordered_by"] = ORDERER
    response = client.post(decide_url, sent)
    assert response.status_code == 302
    decisions = {d.chosen_line.display: d for d in ReconciliationDecision.objects.select_related("chosen_line")}
    assert len(decisions) == len(rows)
    assert (decisions["Warfarin 5 mg"].action, decisions["Warfarin 5 mg"].ordered_by) == ("stop", ORDERER)
    assert decisions["Apixaban 5 mg"].note == "Before the colonoscopy"


def test_every_bad_row_is_listed_in_one_round(client, reconciliation, hospitalist):
    rows = numbered_rows(reconciliation)
    good = good_decisions(hospitalist)
    sent = post_data(reconciliation, lisinopril=good["lisinopril"],
                     metoprolol={"action": "change", "ordered_by": "Dr. Berg"},
                     apixaban={"action": "hold", "ordered_by": ORDERER},
                     warfarin={"action": "continue"})  # fmt: skip

    response = client.post(reverse("medications:reconciliation_decide", args=[reconciliation.public_id]), sent)

    assert response.status_code == 400
    assert not ReconciliationDecision.objects.exists()
    summary = summary_of(response.content.decode())
    assert "2 medications need attention." in summary
    metoprolol, apixaban = rows["metoprolol"][0], rows["apixaban"][0]
    listed = dict(re.findall(r'<li><a href="#(row-\d+)">[^<]*</a>: ([^<]*)</li>', summary))
    assert listed == {
        f"row-{metoprolol + 1}": "Say what changes (dose, frequency or route).",
        f"row-{apixaban + 1}": "Give the reason for holding it (e.g. until kidney function is rechecked).",
    }
    page = response.content.decode()
    assert 'aria-invalid="true"' in tag(page, f"row{metoprolol}-dose")
    assert 'aria-invalid="true"' in tag(page, f"row{apixaban}-note")
    assert '<details class="med-change" open>' in row_html(page, metoprolol)  # the dose's error is in view


def test_a_row_left_alone_is_not_an_error_but_a_note_without_a_decision_is(client, reconciliation):
    rows = numbered_rows(reconciliation)
    sent = post_data(reconciliation, lisinopril={"action": "continue"},
                     warfarin={"note": "Was it stopped at the hospital?"})  # fmt: skip

    response = client.post(reverse("medications:reconciliation_decide", args=[reconciliation.public_id]), sent)

    assert response.status_code == 400
    assert not ReconciliationDecision.objects.exists()
    page = response.content.decode()
    warfarin = rows["warfarin"][0]
    assert re.findall(r"<li>(.*?)</li>", summary_of(page)) == [
        f'<a href="#row-{warfarin + 1}">Warfarin 5 mg</a>: '
        "Choose a decision (continue, change, stop, hold or ask the prescriber)."
    ]
    assert [index for index in range(len(rows)) if "med-attention" in row_html(page, index)] == [warfarin]
    assert "This field is required" not in page
    assert f'aria-describedby="id_row{warfarin}-action_error"' in row_html(page, warfarin)
    assert 'value="Was it stopped at the hospital?"' in tag(page, f"row{warfarin}-note")

    # Left alone, the other rows do not stop a save.
    del sent[f"row{warfarin}-note"]
    response = client.post(reverse("medications:reconciliation_decide", args=[reconciliation.public_id]), sent)
    assert response.status_code == 302
    assert ReconciliationDecision.objects.get().chosen_line.display.lower().startswith("lisinopril")


def test_a_save_refused_for_the_whole_reconciliation_says_why_on_top(client, actor, reconciliation):
    rows = numbered_rows(reconciliation)
    services.reconciliation_discard(actor=actor, reconciliation=reconciliation)

    response = client.post(
        reverse("medications:reconciliation_decide", args=[reconciliation.public_id]),
        post_data(reconciliation, **{name: {"action": "continue"} for name in rows}),
    )

    assert response.status_code == 400
    summary = summary_of(response.content.decode())
    assert "Nothing was saved" in summary
    assert "discarded" in summary
    assert "<li>" not in summary


def test_a_refused_signature_lists_the_open_rows_on_top_of_the_sign_form(client, actor, reconciliation):
    rows = numbered_rows(reconciliation)
    decided = {"lisinopril", "metoprolol"}
    services.reconciliation_decide(actor=actor, reconciliation=reconciliation, decisions=[
        {"row_key": rows[name][1].key, "action": "continue"} for name in decided
    ])  # fmt: skip

    response = client.post(reverse("medications:reconciliation_sign", args=[reconciliation.public_id]),
                           {"version": reconciliation.version, "note": "Reviewed with the daughter"})  # fmt: skip

    assert response.status_code == 400
    page = response.content.decode()
    summary = summary_of(page, "sign")
    sign_section = page.index('id="sign-title"')
    assert sign_section < page.index(summary) < page.index('name="note"', sign_section)
    assert 'role="alert"' in summary
    assert "The reconciliation was not signed" in summary
    assert "Decide every medication before signing; still open:" in summary
    assert "2 medications need attention:" in summary
    open_rows = sorted(rows[name][0] for name in rows if name not in decided)
    links = re.findall(r'<li><a href="#row-(\d+)">[^<]*</a>: Not decided yet: choose a decision.</li>', summary)
    assert sorted(int(number) - 1 for number in links) == open_rows
    assert [index for index in range(len(rows)) if "med-attention" in row_html(page, index)] == open_rows
    for index in open_rows:
        assert f'<p class="error" id="row-{index + 1}-problem">Not decided yet' in row_html(page, index)
        assert f'aria-describedby="row-{index + 1}-problem "' in row_html(page, index)
    assert 'value="Reviewed with the daughter"' in tag(page, "note")
    assert 'id="decide-errors"' not in page


def test_the_service_error_says_which_row_each_problem_is_about(actor, reconciliation):
    rows = numbered_rows(reconciliation)
    decisions = [
        {"row_key": rows["lisinopril"][1].key, "action": "continue"},
        {"row_key": rows["warfarin"][1].key, "action": "stop"},
        {"row_key": "no-such-row", "action": "continue"},
        {"row_key": rows["apixaban"][1].key, "action": "hold", "ordered_by": ORDERER},
    ]
    with pytest.raises(ValidationError) as refused:
        services.reconciliation_decide(actor=actor, reconciliation=reconciliation, decisions=decisions)
    exc = refused.value
    # As before for a client reading one problem: the first one's message and field.
    assert (exc.field, exc.message) == ("ordered_by", "Stopping Warfarin 5 mg needs the prescriber who ordered it "
                                                      "(Ordered by).")  # fmt: skip
    assert [(p["index"], p["row_key"], p["name"], p["field"]) for p in exc.details["rows"]] == [
        (1, rows["warfarin"][1].key, "Warfarin 5 mg", "ordered_by"),
        (2, "no-such-row", "", "row_key"),
        (3, rows["apixaban"][1].key, "Apixaban 5 mg", "note"),
    ]
    assert sum(len(messages) for messages in exc.field_errors.values()) == 3
    assert not ReconciliationDecision.objects.exists()

    with pytest.raises(ValidationError, match="Decide every medication") as refused:
        services.reconciliation_sign(actor=actor, reconciliation=reconciliation, expected_version=1)
    assert {p["row_key"] for p in refused.value.details["rows"]} == {row.key for _, row in rows.values()}


def test_a_signature_refused_for_no_one_row_says_why_on_top_of_the_sign_form(client, actor, reconciliation):
    rows = numbered_rows(reconciliation)
    services.reconciliation_decide(actor=actor, reconciliation=reconciliation, decisions=[
        {"row_key": row.key, "action": "continue"} for _, row in rows.values()
    ])  # fmt: skip

    response = client.post(reverse("medications:reconciliation_sign", args=[reconciliation.public_id]),
                           {"version": reconciliation.version + 1})  # someone else's edit came first  # fmt: skip

    assert response.status_code == 400
    page = response.content.decode()
    summary = summary_of(page, "sign")
    assert "The reconciliation was not signed" in summary
    assert "Someone else saved changes to this record after you opened it." in summary
    assert "<li>" not in summary
    assert "med-attention" not in page
    reconciliation.refresh_from_db()
    assert reconciliation.status == "draft"
