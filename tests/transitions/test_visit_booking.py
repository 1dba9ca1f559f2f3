"""
Booking the face-to-face visit registers on the transition episode (scheduling.signals.appointment_changed):
a visit booked in the 30-day window closes the task to book it and shows on the episode page (day, with whom,
link); a visit held records the visit step and completes its task; a cancelled visit that leaves none booked
gives a task to book it again; a visit booked after the face-to-face deadline is booked, with a warning on the
episode page. Outside appointments count too. Discharged Wednesday 11/25/2026, moderate complexity: the visit is
due 12/09/2026.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from carecoord.careplans.models import Task
from carecoord.core.choices import Role
from carecoord.scheduling import outside_services as outside
from carecoord.scheduling.services import appointment_book, appointment_cancel, appointment_status_set
from carecoord.transitions.models import TransitionEpisode

from ..factories import ExternalOrganizationFactory, make_actor
from ..scheduling.factories import clinic
from .tcm_setup import EPISODE_FOCUS, OPEN, PLAN_TITLES, apply_tcm, at, discharge

REBOOK_TITLE = "Book the face-to-face visit again, by December 9, 2026"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(at(2026, 11, 25, 18, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def office(org):
    practitioner, location, kind = clinic(org, given_name="Maya", family_name="Okafor")
    return {"practitioner": practitioner, "location": location, "appointment_type": kind}


@pytest.fixture
def scheduler(org):
    return make_actor(org, Role.SCHEDULER)


@pytest.fixture
def episode(org, patient, hospital):
    return discharge(org, patient, hospital, when=at(2026, 11, 25, 11), admitted_at=at(2026, 11, 23, 9))


def book(actor, patient, office, start):
    return appointment_book(actor=actor, patient=patient, start=start, **office)


def plan_visit_task(plan) -> Task:
    return Task.objects.get(careplan=plan, title=PLAN_TITLES["visit"])


def own_visit_task(episode) -> Task:
    return Task.objects.get(focus_type=EPISODE_FOCUS, focus_id=episode.public_id, dedupe_key__endswith=":visit")


def open_rebook_tasks(patient):
    return Task.objects.filter(patient=patient, title=REBOOK_TITLE, status__in=OPEN)


def visit_row(client, episode) -> str:
    page = client.get(reverse("transitions:episode_detail", args=[episode.public_id])).content.decode()
    return re.search(r'id="deadline-visit">(.*?)</tr>', page, re.S).group(1), page


def test_booking_in_the_window_closes_the_plans_scheduling_task_but_not_the_visit(
    org, scheduler, patient, office, episode
):
    plan = apply_tcm(org, patient, episode.discharge_day)
    assert plan_visit_task(plan).status in OPEN
    book(scheduler, patient, office, at(2026, 11, 30, 10))
    task = plan_visit_task(plan)
    assert task.status == "completed"
    assert "Maya" in task.outcome_note
    episode.refresh_from_db()
    assert episode.visit_at is None  # booked is not seen
    follow_up = next(item for item in episode.checklist if item["key"] == "follow_up_visit")
    assert follow_up["done_at"]


def test_the_episode_page_shows_the_booked_visit_with_whom_and_a_link(org, actor, scheduler, patient, office,
                                                                      episode, client_for):  # fmt: skip
    appointment = book(scheduler, patient, office, at(2026, 11, 30, 10))
    row, page = visit_row(client_for(actor), episode)
    assert "Booked" in row
    assert "Okafor" in row
    assert appointment.get_absolute_url() in row
    assert "late-visit-warning" not in page


def test_a_visit_held_records_the_visit_and_completes_the_face_to_face_task(
    org, scheduler, patient, office, episode, frozen
):
    appointment = book(scheduler, patient, office, at(2026, 11, 30, 10))
    assert own_visit_task(episode).status in OPEN  # booked: the face-to-face task waits for the visit
    frozen.move_to(at(2026, 11, 30, 10, 5))
    appointment_status_set(actor=scheduler, appointment=appointment, status="arrived")
    episode.refresh_from_db()
    assert episode.visit_at == at(2026, 11, 30, 10)
    assert own_visit_task(episode).status == "completed"


def test_a_cancelled_visit_gives_a_task_to_book_again_and_a_new_booking_closes_it(
    org, scheduler, patient, office, episode
):
    plan = apply_tcm(org, patient, episode.discharge_day)
    appointment = book(scheduler, patient, office, at(2026, 11, 30, 10))
    assert plan_visit_task(plan).status == "completed"
    appointment_cancel(actor=scheduler, appointment=appointment, reason="pat")
    (rebook,) = open_rebook_tasks(patient)
    assert rebook.due_date == dt.date(2026, 12, 9)
    book(scheduler, patient, office, at(2026, 12, 1, 11))
    assert not open_rebook_tasks(patient).exists()
    episode.refresh_from_db()
    assert episode.visit_at is None


def test_a_cancelled_visit_with_the_face_to_face_task_still_open_adds_no_task(scheduler, patient, office, episode):
    appointment = book(scheduler, patient, office, at(2026, 11, 30, 10))
    appointment_cancel(actor=scheduler, appointment=appointment, reason="pat")
    assert own_visit_task(episode).status in OPEN
    assert not open_rebook_tasks(patient).exists()


def test_a_visit_booked_after_the_deadline_is_booked_with_a_warning(
    org, actor, scheduler, patient, office, episode, client_for
):
    appointment = book(scheduler, patient, office, at(2026, 12, 14, 10))
    assert appointment.status == "booked"
    row, page = visit_row(client_for(actor), episode)
    assert "after the deadline" in row
    warning = re.search(r'id="late-visit-warning">(.*?)</p>', page, re.S).group(1)
    assert "12/14/2026" in warning
    assert "after the 12/09/2026 deadline for the face-to-face visit" in warning


def test_the_board_shows_the_visit_booked_in_the_window_and_whether_it_is_late(
    org, actor, scheduler, patient, office, episode, client_for
):
    board = reverse("transitions:dashboard")
    book(scheduler, patient, office, at(2026, 12, 28, 10))  # after the window (12/24): not the episode's
    assert "Booked " not in client_for(actor).get(board).content.decode()
    book(scheduler, patient, office, at(2026, 12, 14, 10))
    row = re.search(rf'id="episode-{episode.public_id}">(.*?)</tr>', client_for(actor).get(board).content.decode(),
                    re.S).group(1)  # fmt: skip
    assert "Booked 12/14" in row
    assert "after the deadline" in row


def test_a_visit_outside_the_window_is_not_the_episodes(org, scheduler, patient, office, episode, client_for, actor):
    plan = apply_tcm(org, patient, episode.discharge_day)
    book(scheduler, patient, office, at(2026, 12, 28, 10))  # the window ended 12/24
    assert plan_visit_task(plan).status in OPEN
    row, _page = visit_row(client_for(actor), episode)
    assert "Booked" not in row


def test_an_outside_visit_counts_booked_and_attended(org, scheduler, patient, episode, frozen):
    plan = apply_tcm(org, patient, episode.discharge_day)
    practice = ExternalOrganizationFactory(organization=org, name="Westside Family Medicine")
    appointment = outside.outside_appointment_record(
        actor=scheduler, patient=patient, start=at(2026, 12, 2, 9), duration_minutes=30,
        external_organization=practice, confirmed=True, confirmed_with="Front desk",
    )  # fmt: skip
    task = plan_visit_task(plan)
    assert task.status == "completed"
    assert "Westside Family Medicine" in task.outcome_note
    frozen.move_to(at(2026, 12, 2, 12))
    outside.outside_appointment_outcome(actor=scheduler, appointment=appointment, outcome="attended")
    episode = TransitionEpisode.objects.get(pk=episode.pk)
    assert episode.visit_at == at(2026, 12, 2, 9)


def test_another_patients_booking_leaves_the_episode_alone(org, scheduler, patient, office, episode):
    from ..factories import PatientFactory

    plan = apply_tcm(org, patient, episode.discharge_day)
    book(scheduler, PatientFactory(organization=org), office, at(2026, 11, 30, 10))
    assert plan_visit_task(plan).status in OPEN
