"""
`move_follow_up_task`, the follow-up of a record (a referral, a prior authorization) moved on: the open tasks
about the record are completed by the actor, and the next follow-up task is put on the worklist once.
"""

import datetime as dt
import uuid

import pytest
import time_machine

from carecoord.careplans import services
from carecoord.careplans.models import Task

from ..factories import PatientFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 09:00 in Chicago
FOCUS = "community.Referral"
NEXT = dt.date(2026, 12, 3)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org)


def _task(actor, patient, focus_id, *, key="", title="Call the agency") -> Task:
    return services.task_create(
        actor=actor,
        patient=patient,
        kind="referral",
        title=title,
        due_date=dt.date(2026, 11, 27),
        owner=actor.user,
        source="community",
        focus_type=FOCUS,
        focus_id=focus_id,
        dedupe_key=key,
    )


def _move(actor, patient, focus_id, **extra) -> Task:
    fields = {
        "patient": patient,
        "focus_type": FOCUS,
        "focus_id": focus_id,
        "due_on": NEXT,
        "title": "Follow up on the referral " + "x" * 300,
        "description": "Last note: left a message",
        "kind": "referral",
        "source": "community",
        "dedupe_key": f"follow-up:{focus_id}:2",
        "close_note": "Followed up; next follow-up on 12/03/2026.",
        **extra,
    }
    return services.move_follow_up_task(actor, **fields)


def test_the_open_tasks_about_the_record_are_completed_and_the_next_one_is_the_actors(actor, patient):
    focus, other_focus = uuid.uuid4(), uuid.uuid4()
    first = _task(actor, patient, focus, key=f"follow-up:{focus}:1")
    overdue = _task(actor, patient, focus, title="Referral overdue")
    done = _task(actor, patient, focus, title="Already cancelled")
    services.task_set_status(actor=actor, task=done, status="cancelled", expected_version=done.version)
    elsewhere = _task(actor, patient, other_focus)

    made = _move(actor, patient, focus, owner=actor.user)

    for task in (first, overdue):
        task.refresh_from_db()
        assert (task.status, task.outcome_note, task.completed_by) == (
            "completed",
            "Followed up; next follow-up on 12/03/2026.",
            actor.user,
        )
    done.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (done.status, elsewhere.status) == ("cancelled", "requested")
    assert (made.status, made.due_date, made.owner, made.created_by) == ("requested", NEXT, actor.user, actor.user)
    assert (made.focus_type, made.focus_id, made.source, made.kind) == (FOCUS, focus, "community", "referral")
    assert made.title == ("Follow up on the referral " + "x" * 300)[:200]
    assert made.description == "Last note: left a message"
    # Moved again with the same key: the follow-up is not made twice.
    again = _move(actor, patient, focus, owner=actor.user)
    assert again.pk == made.pk
    assert Task.objects.filter(focus_id=focus).count() == 4


def test_with_a_key_prefix_only_the_follow_ups_close_and_the_system_makes_the_next(actor, patient):
    focus = uuid.uuid4()
    follow_up = _task(actor, patient, focus, key=f"follow-up:{focus}:1")
    expiry = _task(actor, patient, focus, key=f"expiry:{focus}:2026-12-31", title="Expires soon")

    made = _move(actor, patient, focus, key_prefix=f"follow-up:{focus}:", owner_role="coordinator", by_system=True)

    follow_up.refresh_from_db()
    expiry.refresh_from_db()
    assert (follow_up.status, expiry.status) == ("completed", "requested")
    assert (made.owner, made.owner_role, made.created_by) == (None, "coordinator", None)
    assert made.organization == actor.organization
    assert made.dedupe_key == f"follow-up:{focus}:2"
