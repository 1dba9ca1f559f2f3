"""The task page lets its reader complete or snooze the task there, not only from the worklist row."""

from datetime import timedelta

from django.urls import reverse

from carecoord.careplans.choices import TaskStatus
from carecoord.core import clock

from ..factories import PatientFactory
from .factories import TaskFactory


def test_an_open_task_is_completed_from_its_page_with_an_outcome(actor, client_for):
    task = TaskFactory(patient=PatientFactory(organization=actor.organization), owner=actor.user)
    client = client_for(actor)
    url = reverse("careplans:task_detail", args=[task.public_id])
    page = client.get(url).content.decode()
    assert reverse("careplans:task_complete", args=[task.public_id]) in page
    assert reverse("careplans:task_snooze", args=[task.public_id]) in page

    done = client.post(
        reverse("careplans:task_complete", args=[task.public_id]),
        {"note": "Forms handed to the school nurse.", "version": task.version, "next": url},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == url
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    body = done.content.decode()
    assert "Forms handed to the school nurse." in body
    assert reverse("careplans:task_complete", args=[task.public_id]) not in body  # closed: no more actions


def test_an_open_task_is_snoozed_from_its_page(actor, client_for):
    task = TaskFactory(patient=PatientFactory(organization=actor.organization), owner=actor.user)
    url = reverse("careplans:task_detail", args=[task.public_id])
    until = clock.today_in(actor.organization.tz) + timedelta(days=3)
    response = client_for(actor).post(
        reverse("careplans:task_snooze", args=[task.public_id]),
        {"until": until.isoformat(), "reason": "Family traveling", "version": task.version, "next": url},
    )
    assert response.status_code == 302
    assert response["Location"] == url
    task.refresh_from_db()
    assert task.snoozed_until == until
