"""The task page through the test client: an "Appointment to schedule" task links to the patient's find-a-slot page."""

import re

import pytest
from django.urls import reverse

from carecoord.careplans.choices import TaskKind, TaskStatus

from ..factories import PatientFactory
from .factories import TaskFactory


def find_slot_links(page: str) -> list[str]:
    return [
        href.replace("&amp;", "&")
        for href, text in re.findall(r'href="([^"]+)"[^>]*>([^<]+)<', page)
        if text == "Find a slot"
    ]


def test_a_task_to_schedule_links_to_find_a_slot_for_its_patient(actor, client_for):
    patient = PatientFactory(organization=actor.organization)
    task = TaskFactory(patient=patient, owner=actor.user, kind=TaskKind.SCHEDULE, title="Book the cardiology visit")
    client = client_for(actor)
    page = client.get(reverse("careplans:task_detail", args=[task.public_id])).content.decode()
    assert find_slot_links(page) == [f"{reverse('scheduling:find')}?patient={patient.public_id}"]
    found = client.get(find_slot_links(page)[0])
    assert found.status_code == 200
    assert found.context["patient"] == patient
    status = task.status
    task.refresh_from_db()
    assert task.status == status  # the link only opens the search; it closes nothing


@pytest.mark.parametrize(
    ("kind", "status"),
    [(TaskKind.CALL, TaskStatus.REQUESTED), (TaskKind.SCHEDULE, TaskStatus.COMPLETED)],
    ids=["another kind", "closed"],
)
def test_other_tasks_offer_no_find_a_slot_link(actor, client_for, kind, status):
    task = TaskFactory(
        patient=PatientFactory(organization=actor.organization), owner=actor.user, kind=kind, status=status
    )
    page = client_for(actor).get(reverse("careplans:task_detail", args=[task.public_id])).content.decode()
    assert find_slot_links(page) == []


def test_the_history_names_the_people_a_task_moved_between_not_their_emails(actor, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from carecoord.careplans import services
    from carecoord.core.choices import Role

    from ..factories import UserFactory, make_actor

    maria = make_actor(actor.organization, user=UserFactory(full_name="Maria Lopez", email="maria.lopez@x.test"))
    james = make_actor(actor.organization, user=UserFactory(full_name="James Carter", email="james.carter@x.test"))
    task = TaskFactory(patient=PatientFactory(organization=actor.organization), owner=maria.user)
    services.task_reassign(actor=actor, task=task, owner=james.user, expected_version=1, note="vacation")
    services.task_reassign(actor=actor, task=task, owner=None, owner_role=Role.SCHEDULER, expected_version=2)
    client = client_for(actor)
    url = reverse("careplans:task_detail", args=[task.public_id])
    page = client.get(url).content.decode()
    history = page[page.index("<h2>History</h2>") :]
    assert "Maria Lopez → James Carter: vacation" in history
    assert "James Carter → Scheduler" in history
    assert "@x.test" not in history

    # Names come from one query, however many moves the history holds.
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for version in (3, 4):
        services.task_reassign(actor=actor, task=task, owner=maria.user, expected_version=version)
        task.refresh_from_db()
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after.captured_queries) == len(before.captured_queries)


def test_the_history_reads_in_words_not_codes(actor, client_for):
    from carecoord.careplans import services

    task = TaskFactory(patient=PatientFactory(organization=actor.organization), owner=actor.user)
    services.task_set_status(actor=actor, task=task, status="in-progress", expected_version=task.version)
    task.refresh_from_db()
    services.task_set_status(actor=actor, task=task, status="completed", expected_version=task.version, note="Done")
    page = client_for(actor).get(reverse("careplans:task_detail", args=[task.public_id])).content.decode()
    history = page[page.index("<h2>History</h2>") :]
    assert "Status → In progress" in history
    assert "Status → Completed" in history
    for code in ("in-progress", "→ completed", ": created", ": status"):
        assert code not in history


def test_worklist_and_task_views_are_audited_on_the_page_and_the_api(actor, client_for):
    from carecoord.core.models import AuditEvent

    patient = PatientFactory(organization=actor.organization)
    task = TaskFactory(patient=patient, owner=actor.user)
    client = client_for(actor)
    mine = AuditEvent.objects.filter(user=actor.user)
    assert client.get(reverse("careplans:worklist")).status_code == 200
    page_view = mine.get(event="worklist.view")
    assert (page_view.action, page_view.detail["shown"], page_view.detail["owner"]) == ("R", 1, actor.user.email)
    assert client.get(reverse("careplans:task_detail", args=[task.public_id])).status_code == 200
    task_view = mine.get(event="task.view")
    assert (task_view.object_id, task_view.patient_public_id) == (str(task.public_id), patient.public_id)
    assert client.get("/api/v1/worklist").status_code == 200
    assert client.get(f"/api/v1/tasks/{task.public_id}").status_code == 200
    assert mine.filter(event="worklist.view", detail__api=True).count() == 1
    assert mine.filter(event="task.view", detail__api=True, patient_public_id=patient.public_id).count() == 1
