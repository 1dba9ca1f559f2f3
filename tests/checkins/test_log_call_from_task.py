"""
"Log call" from a worklist task: one form records the call, the minutes it took (care-management time, as
"Enter time by hand" records a call) and completes the task, in one transaction, then goes back to the page
the coordinator came from.
"""

import datetime as dt
import re

import pytest
from django.template import Context, RequestContext, Template
from django.test import RequestFactory
from django.urls import reverse

from carecoord.careplans.models import Task
from carecoord.checkins import services
from carecoord.checkins.models import OutreachAttempt, TimeEntry
from carecoord.core.errors import ValidationError

from ..careplans.factories import TaskFactory
from ..factories import RelatedPersonFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 9:00 in Chicago
TODAY = dt.date(2026, 11, 26)
WORKLIST = "/worklist/?bucket=today"

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def client(actor, client_for):
    return client_for(actor)


@pytest.fixture
def task(actor, patient):
    return TaskFactory(
        patient=patient, owner=actor.user, title="Medication adherence call at 2 weeks", kind="call", due_date=TODAY
    )


def tab(patient) -> str:
    return reverse("checkins:patient_checkins", args=[patient.public_id])


def post_url(patient) -> str:
    return reverse("checkins:patient_outreach_add", args=[patient.public_id])


def call(task, **fields) -> dict:
    data = {
        "outreach-method": "phone",
        "outreach-outcome": "reached",
        "outreach-occurred_at": "2026-11-26T08:40",
        "outreach-contact": "patient",
        "outreach-note": "Taking it daily, mild nausea the first days.",
        "outreach-task": str(task.public_id),
        "outreach-minutes": "12",
        "outreach-complete_task": "on",
        "outreach-next": WORKLIST,
    }
    data.update({f"outreach-{k}": v for k, v in fields.items()})
    return {k: v for k, v in data.items() if v is not None}


def counts(task) -> tuple:
    return OutreachAttempt.objects.count(), TimeEntry.objects.count(), Task.objects.get(pk=task.pk).status


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def test_one_form_logs_the_call_its_minutes_and_completes_the_task(client, patient, task):
    page = client.get(f"{tab(patient)}?task={task.public_id}&next={WORKLIST}").content.decode()
    assert "Minutes spent" in page
    assert "Complete the task" in page
    assert re.search(r"<input type=\"checkbox\" name=\"outreach-complete_task\"[^>]* checked", page)
    assert 'name="outreach-next" value="/worklist/?bucket=today"' in page

    response = client.post(post_url(patient), call(task))

    assert response.status_code == 302
    assert response.url == WORKLIST
    attempt = OutreachAttempt.objects.get(patient=patient)
    assert (attempt.outcome, attempt.task_id) == ("reached", task.pk)
    entry = TimeEntry.objects.get(patient=patient)
    # What "Enter time by hand" records for a call: a call's activity, the coordinator's (clinical staff) time,
    # by hand, on the day of the call, so it counts toward that calendar month.
    assert (entry.minutes, entry.activity, entry.kind, entry.source) == (12, "call", "staff", "manual")
    assert entry.started_at.date() == TODAY
    task.refresh_from_db()
    assert task.status == "completed"
    assert task.outcome_note == "Phone call, reached: Taking it daily, mild nausea the first days."
    assert messages_of(response) == [
        "Recorded: Phone call, reached; 12 min logged as care-management time; "
        "task “Medication adherence call at 2 weeks” completed."
    ]


def test_without_minutes_or_completion_only_the_call_is_recorded(client, patient, task):
    response = client.post(post_url(patient), call(task, minutes="", complete_task=None, next=None))
    assert response.status_code == 302
    assert response.url == tab(patient) + "#outreach"
    assert counts(task) == (1, 0, "requested")
    assert messages_of(response) == [
        "Recorded: Phone call, reached; task “Medication adherence call at 2 weeks” stays open."
    ]


@pytest.mark.parametrize("minutes", ["0", "601", "twelve", "-5"])
def test_invalid_minutes_show_an_error_and_save_nothing(client, patient, task, minutes):
    before = counts(task)
    response = client.post(post_url(patient), call(task, minutes=minutes))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_outreach-minutes_error"' in page
    # The form comes back on the same task, with what was typed and where to return.
    assert "For the task" in page
    assert "Medication adherence call at 2 weeks" in page
    assert 'name="outreach-next" value="/worklist/?bucket=today"' in page
    assert counts(task) == before == (0, 0, "requested")


def test_the_service_saves_nothing_when_the_minutes_are_refused(actor, patient, task):
    """The call is written before the minutes are checked: the transaction takes it back with them."""
    before = counts(task)
    with pytest.raises(ValidationError) as refused:
        services.outreach_log(
            actor=actor, patient=patient, method="phone", outcome="reached", occurred_at=NOW - dt.timedelta(hours=1),
            task=task, minutes=0, complete_task=True,
        )  # fmt: skip
    assert "minutes" in refused.value.field_errors
    assert counts(task) == before == (0, 0, "requested")


def test_an_external_next_is_ignored(client, patient, task):
    for target in ("https://evil.example/worklist/", "//evil.example/", "javascript:alert(1)"):
        page = client.get(f"{tab(patient)}?task={task.public_id}&next={target}").content.decode()
        assert "evil.example" not in page
        assert "javascript:" not in page
    response = client.post(post_url(patient), call(task, next="https://evil.example/worklist/"))
    assert response.status_code == 302
    assert response.url == tab(patient) + "#outreach"


@pytest.mark.parametrize("outcome", ["no_answer", "voicemail", "wrong_number"])
def test_a_failed_outcome_leaves_the_task_open_and_counts_toward_escalation(client, org, patient, task, outcome):
    response = client.post(post_url(patient), call(task, outcome=outcome, minutes="3"))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "requested"
    assert TimeEntry.objects.get(patient=patient).minutes == 3  # the try took time all the same
    (message,) = messages_of(response)
    assert "task “Medication adherence call at 2 weeks” stays open." in message
    assert "1 attempt in a row without reaching the patient; after 3: tell the supervisor." in message


def test_the_failed_try_that_reaches_the_policy_count_says_the_escalation_was_raised(actor, client, patient, task):
    for hours in (3, 2):
        services.outreach_record(
            actor=actor, patient=patient, method="phone", outcome="no_answer",
            occurred_at=NOW - dt.timedelta(hours=hours),
        )  # fmt: skip
    response = client.post(post_url(patient), call(task, outcome="no_answer"))
    (message,) = messages_of(response)
    assert "3 attempts in a row without reaching the patient: tell the supervisor (a task is on the worklist)." in (
        message
    )
    assert Task.objects.get(pk=task.pk).status == "requested"
    assert Task.objects.filter(patient=patient, kind="escalation", status="requested").count() == 1


def test_a_call_with_a_family_member_completes_the_task_and_names_them(actor, client, patient, task):
    daughter = RelatedPersonFactory(patient=patient, given_name="Ana", family_name="Ruiz")
    response = client.post(post_url(patient), call(task, contact=str(daughter.public_id), note="", minutes=""))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "completed"
    assert task.outcome_note == f"Phone call, reached ({daughter.display_name})."


def test_the_patients_check_in_task_completed_by_reaching_them_is_reported_once(actor, client, patient):
    services.cadence_set(actor=actor, patient=patient, interval_days=7, first_due=TODAY)
    (checkin,) = services.checkin_tasks_create(organization=patient.organization)
    response = client.post(post_url(patient), call(checkin, minutes="8"))
    checkin.refresh_from_db()
    assert checkin.status == "completed"
    assert checkin.outcome_note == "Reached by phone call."  # completed by the cadence rule, not twice
    assert messages_of(response) == [
        f"Recorded: Phone call, reached; 8 min logged as care-management time; task “{checkin.title}” completed."
    ]


def test_a_repeating_task_completed_by_a_call_names_the_next_occurrence(client, actor, patient):
    task = TaskFactory(
        patient=patient, owner=actor.user, title="Repeat PHQ-9", kind="check_in", due_date=TODAY,
        recurrence={"frequency": "monthly", "interval": 1, "count": 6},
    )  # fmt: skip
    response = client.post(post_url(patient), call(task))
    (message,) = messages_of(response)
    assert "task “Repeat PHQ-9” completed (the next one is due 12/26/2026)." in message
    assert Task.objects.filter(title="Repeat PHQ-9", status="requested").count() == 1


def test_the_worklist_row_of_a_call_offers_log_call_back_to_the_worklist(actor, client, patient, task):
    TaskFactory(patient=patient, owner=actor.user, title="Send the foot-care handout", kind="education", due_date=TODAY)
    page = client.get("/worklist/").content.decode()
    expected = f"{tab(patient)}?task={task.public_id}&amp;next=%2Fworklist%2F#log-outreach"
    assert f'href="{expected}">Log call</a>' in page
    assert page.count(">Log call</a>") == 1  # not on the education task


def test_the_task_pages_log_call_returns_to_the_task_page(actor, patient, task):
    request = RequestFactory().get(task.get_absolute_url())
    html = Template("{% load checkins_tasks %}{% log_call_action task %}").render(
        RequestContext(request, {"actor": actor, "task": task})
    )
    href = html.split('href="')[1].split('"')[0].replace("&amp;", "&")
    assert href == f"{tab(patient)}?task={task.public_id}&next=%2Ftasks%2F{task.public_id}%2F#log-outreach"
    assert "Log call" not in Template("{% load checkins_tasks %}{% worklist_log_call row %}").render(
        Context({"actor": actor, "row": {"log_call_url": ""}})
    )
