"""
A transition episode and the patient's TCM care plan (the built-in "post-discharge-tcm" template) are one piece
of work: a step recorded on the episode completes the plan's matching task (and its escalation), and a
discharge, by hand or by ADT A03 over MLLP, for a patient whose TCM plan is in force puts no second set of
tasks on the worklist. Also what the episode page shows: the contact's note (and the timeline), admission type
and Charlson conditions by name.
"""

import datetime as dt
import re
from importlib import import_module

import pytest
import time_machine
from django.apps import apps as django_apps
from django.urls import reverse

from carecoord.careplans.builtin_content import BUILTIN_TEMPLATES
from carecoord.careplans.models import Task, TemplateTask
from carecoord.careplans.services import careplan_template_apply, task_complete, tasks_escalate_overdue
from carecoord.careplans.template_services import template_copy, template_task_update
from carecoord.checkins.models import OutreachAttempt
from carecoord.core.choices import Role
from carecoord.core.errors import ValidationError
from carecoord.interop.hl7v2.handler import handle_message
from carecoord.interop.hl7v2.mllp import MllpServer, send
from carecoord.patients.models import Patient
from carecoord.transitions import selectors, services
from carecoord.transitions.models import TransitionEpisode

from ..factories import ConditionFactory, OrganizationFactory, PatientFactory, make_actor
from ..interop.hl7v2.messages import MAX_BYTES, adt, msa
from .tcm_setup import EPISODE_FOCUS, OPEN, PLAN_TITLES, apply_tcm, at, discharge, tcm_template


def open_worklist(patient) -> list[tuple[str, str]]:
    """The patient's open tasks as (kind, source), sorted."""
    return sorted(Task.objects.filter(patient=patient, status__in=OPEN).values_list("kind", "source"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(at(2026, 3, 2, 18, 0), tick=False):
        yield


def test_each_step_names_one_task_of_the_tcm_template_by_its_key():
    (definition,) = [t for t in BUILTIN_TEMPLATES if t["key"] == "post-discharge-tcm"]
    keys = [task.get("key") for task in definition["tasks"]]
    for step, key in selectors.TCM_STEP_TASKS.items():
        assert keys.count(key) == 1, step


# --- defect 1: a step recorded on the episode completes the plan's task ---------------------------------------


@pytest.mark.parametrize("step", ["contact", "med_rec", "visit"])
def test_a_step_on_the_episode_completes_the_tcm_plans_task(org, actor, patient, hospital, step):
    episode = discharge(org, patient, hospital)
    plan = apply_tcm(org, patient, dt.date(2026, 3, 2))  # made after the discharge: both sets exist
    with time_machine.travel(at(2026, 3, 3, 10, 0), tick=False):
        services.episode_record_step(actor=actor, episode=episode, step=step, note="Done with Ada by phone.",
                                     expected_version=episode.version)  # fmt: skip
    plan_task = Task.objects.get(careplan=plan, title=PLAN_TITLES[step])
    assert (plan_task.status, plan_task.outcome_note, plan_task.completed_by) == (
        "completed", "Done with Ada by phone.", actor.user,
    )  # fmt: skip
    others = Task.objects.filter(careplan=plan).exclude(pk=plan_task.pk)
    assert set(others.values_list("status", flat=True)) == {"requested"}


def test_the_contact_clears_the_escalation_of_the_overdue_plan_task(org, actor, patient, hospital):
    episode = discharge(org, patient, hospital)
    plan = apply_tcm(org, patient, dt.date(2026, 3, 2))
    late = at(2026, 3, 9, 9, 0)
    with time_machine.travel(late, tick=False):
        tasks_escalate_overdue(organization=org)
        plan_task = Task.objects.get(careplan=plan, title=PLAN_TITLES["contact"])
        escalation = Task.objects.get(escalation_of=plan_task)
        assert escalation.status == "requested"
        services.episode_record_step(actor=actor, episode=episode, step="contact", note="Reached Ada at last.",
                                     expected_version=episode.version)  # fmt: skip
    escalation.refresh_from_db()
    plan_task.refresh_from_db()
    assert plan_task.status == "completed"
    assert escalation.status == "completed"


def test_another_patients_tcm_plan_is_left_alone(org, actor, patient, hospital):
    episode = discharge(org, patient, hospital)
    other = PatientFactory(organization=org)
    plan = apply_tcm(org, other, dt.date(2026, 3, 2))
    services.episode_record_step(actor=actor, episode=episode, step="contact", note="Reached.",
                                 expected_version=episode.version)  # fmt: skip
    assert Task.objects.get(careplan=plan, title=PLAN_TITLES["contact"]).status == "requested"


# --- defect 2: no duplicate task sets ----------------------------------------------------------------------------


def test_a_discharge_with_a_tcm_plan_in_force_makes_no_duplicate_tasks(org, actor, patient, hospital):
    plan = apply_tcm(org, patient, dt.date(2026, 3, 3))  # planned before the discharge, for the expected day
    before = open_worklist(patient)
    episode = discharge(org, patient, hospital)
    kinds = [kind for kind, source in open_worklist(patient)]
    assert kinds.count("call") == 2  # the plan's contact and its home-health call, not a third
    assert kinds.count("medication_review") == 1
    assert kinds.count("schedule") == 1
    episode_tasks = Task.objects.filter(focus_type=EPISODE_FOCUS, focus_id=episode.public_id)
    assert list(episode_tasks.values_list("kind", flat=True)) == ["paperwork"]  # only the disposition's checklist
    assert len(open_worklist(patient)) == len(before) + 1
    # The plan's contact task keeps the TCM deadline: 2 business days after the actual discharge.
    contact = Task.objects.get(careplan=plan, title=PLAN_TITLES["contact"])
    assert episode.contact_due == dt.date(2026, 3, 4)
    assert contact.due_date == dt.date(2026, 3, 4)
    assert contact.events.filter(kind="due").exists()
    # Recording on the episode completes the plan's task: one task, done once.
    services.episode_record_step(actor=actor, episode=episode, step="contact", note="Spoke with Ada.",
                                 expected_version=episode.version)  # fmt: skip
    contact.refresh_from_db()
    assert contact.status == "completed"


def test_a_high_risk_discharge_leaves_the_weekly_check_ins_to_the_plan(org, patient, hospital):
    apply_tcm(org, patient, dt.date(2026, 3, 2))
    for month in (10, 12):
        services.encounter_register(organization=org, patient=patient, facility=hospital, source={"event": "A04"},
                                    data={"visit_number": f"ED{month}", "encounter_class": "EMER",
                                          "admitted_at": at(2025, month, 5, 22, 0)})  # fmt: skip
    episode = discharge(org, patient, hospital, admitted_at=at(2026, 2, 16, 9), admission_type="E")
    assert episode.complexity == "high"
    assert not Task.objects.filter(focus_type=EPISODE_FOCUS, focus_id=episode.public_id, kind="check_in").exists()


def test_a_completed_plan_task_does_not_stand_in_for_a_new_discharge(org, actor, patient, hospital):
    plan = apply_tcm(org, patient, dt.date(2026, 3, 2))
    contact = Task.objects.get(careplan=plan, title=PLAN_TITLES["contact"])
    task_complete(actor=actor, task=contact, note="Called after an earlier stay.", expected_version=contact.version)
    episode = discharge(org, patient, hospital)
    episode_tasks = Task.objects.filter(focus_type=EPISODE_FOCUS, focus_id=episode.public_id, status__in=OPEN)
    assert sorted(episode_tasks.values_list("kind", flat=True)) == ["call", "paperwork"]


def test_a_cancelled_discharge_leaves_the_plans_tasks_open(org, patient, hospital):
    plan = apply_tcm(org, patient, dt.date(2026, 3, 2))
    discharge(org, patient, hospital)
    services.encounter_cancel_discharge(organization=org, patient=patient, facility=hospital, visit_number="V1",
                                        source={"event": "A13"})  # fmt: skip
    for title in PLAN_TITLES.values():
        assert Task.objects.get(careplan=plan, title=title).status == "requested"


def test_a_contact_note_longer_than_an_outreach_note_is_refused(org, actor, patient, hospital):
    episode = discharge(org, patient, hospital)
    with pytest.raises(ValidationError, match="500 characters"):
        services.episode_record_step(actor=actor, episode=episode, step="contact", note="x" * 501,
                                     expected_version=episode.version)  # fmt: skip
    with pytest.raises(ValidationError, match="how the patient"):
        services.episode_record_step(actor=actor, episode=episode, step="contact", note="Sent a letter.",
                                     method="letter", expected_version=episode.version)  # fmt: skip
    episode.refresh_from_db()
    assert episode.contact_at is None
    assert not OutreachAttempt.objects.exists()


@pytest.fixture
def feed_org(transactional_db):
    return OrganizationFactory(name="Lakeside Clinic", slug="lakeside-feed")


@pytest.fixture
def listener(feed_org):
    def on_message(raw: bytes, peer: str) -> str:
        return handle_message(raw, organization=feed_org, peer=peer).ack

    server = MllpServer(("127.0.0.1", 0), on_message, max_message_bytes=MAX_BYTES, idle_timeout=10)
    server.start()
    yield server
    server.stop()


def test_an_a03_over_mllp_for_a_patient_with_a_tcm_plan_makes_no_duplicate_tasks(listener, feed_org):
    assert msa(send("127.0.0.1", listener.port, adt("A01", control_id="TCM-1")))[0] == "AA"
    patient = Patient.objects.get()
    plan = apply_tcm(feed_org, patient, dt.date(2026, 3, 2))
    a03 = adt("A03", control_id="TCM-2", discharged="20260302100000", disposition="01")
    assert msa(send("127.0.0.1", listener.port, a03))[0] == "AA"
    episode = TransitionEpisode.objects.get()
    episode_kinds = Task.objects.filter(focus_type=EPISODE_FOCUS, focus_id=episode.public_id).values_list(
        "kind", flat=True
    )
    assert list(episode_kinds) == ["paperwork"]
    for title in PLAN_TITLES.values():
        assert Task.objects.get(careplan=plan, title=title).status == "requested"


# --- defects 3 and 4: what the episode page shows ------------------------------------------------------------------


def test_the_contact_note_shows_on_the_episode_page_and_the_timeline(org, actor, patient, hospital, client_for):
    episode = discharge(org, patient, hospital)
    client = client_for(actor)
    note = "Reached Ada's daughter; no new symptoms, pharmacy pickup today."
    url = reverse("transitions:episode_step", args=[episode.public_id])
    response = client.post(url, {"step": "contact", "version": episode.version, "note": note, "method": "phone"})
    assert response.status_code == 302
    page = client.get(reverse("transitions:episode_detail", args=[episode.public_id])).content.decode()
    contact_row = re.search(r'id="deadline-contact">(.*?)</tr>', page, re.S).group(1)
    assert "Reached Ada&#x27;s daughter; no new symptoms, pharmacy pickup today." in contact_row
    attempt = OutreachAttempt.objects.get(patient=patient)
    assert (attempt.outcome, attempt.method, attempt.note, attempt.by) == ("reached", "phone", note, actor.user)
    timeline = client.get(reverse("checkins:patient_timeline", args=[patient.public_id])).content.decode()
    assert "Reached Ada&#x27;s daughter; no new symptoms, pharmacy pickup today." in timeline


def test_the_episode_page_names_the_admission_type_and_the_charlson_conditions(
    org, actor, patient, hospital, client_for
):
    ConditionFactory(patient=patient, organization=org, code="I50.9", display="Heart failure")
    ConditionFactory(patient=patient, organization=org, code="C78.0", display="Secondary malignant neoplasm of lung")
    episode = discharge(org, patient, hospital, admission_type="E")
    page = client_for(actor).get(reverse("transitions:episode_detail", args=[episode.public_id])).content.decode()
    assert "<dt>Admission type</dt><dd>Emergency</dd>" in page
    assert "Congestive heart failure" in page
    assert "Metastatic solid tumor" in page
    assert "heart_failure" not in page


# --- an organization's copy of the template with its tasks retitled ---------------------------------------------


def retitled_copy(org, titles: dict):
    """The organization copies the TCM template and gives some of its tasks titles of its own."""
    admin = make_actor(org, Role.ORG_ADMIN)
    copy = template_copy(actor=admin, template=tcm_template())
    for task in copy.tasks.all():
        if task.title in titles:
            template_task_update(actor=admin, task=task, data={"title": titles[task.title]})
    return copy


def test_a_step_completes_the_task_of_a_copy_whose_title_was_changed(org, actor, patient, hospital):
    copy = retitled_copy(org, {PLAN_TITLES["contact"]: "Call the patient within 2 business days (TCM)"})
    episode = discharge(org, patient, hospital)
    plan = careplan_template_apply(
        actor=make_actor(org, Role.PROVIDER), patient=patient, template=copy, start_date=dt.date(2026, 3, 2)
    )
    with time_machine.travel(at(2026, 3, 3, 10, 0), tick=False):
        services.episode_record_step(actor=actor, episode=episode, step="contact", note="Reached Ada.",
                                     expected_version=episode.version)  # fmt: skip
    renamed = Task.objects.get(careplan=plan, title="Call the patient within 2 business days (TCM)")
    assert (renamed.status, renamed.outcome_note) == ("completed", "Reached Ada.")


def test_a_discharge_with_a_retitled_copy_in_force_makes_no_duplicate_tasks(org, patient, hospital):
    new_titles = {PLAN_TITLES["med_rec"]: "Reconcile the medicines", PLAN_TITLES["visit"]: "Book the visit"}
    copy = retitled_copy(org, new_titles)
    careplan_template_apply(
        actor=make_actor(org, Role.PROVIDER), patient=patient, template=copy, start_date=dt.date(2026, 3, 2)
    )
    episode = discharge(org, patient, hospital)
    episode_tasks = Task.objects.filter(focus_type=EPISODE_FOCUS, focus_id=episode.public_id, status__in=OPEN)
    assert episode_tasks.filter(kind__in=("call", "medication_review", "schedule")).count() == 0


def test_the_migration_gives_existing_tcm_tasks_their_keys(org, patient):
    plan = apply_tcm(org, patient, dt.date(2026, 3, 2))
    Task.objects.filter(careplan=plan).update(template_task_key=None)
    TemplateTask.objects.filter(template__key="post-discharge-tcm").update(key="")
    fill_keys = import_module("carecoord.careplans.migrations.0003_template_task_keys").fill_keys
    fill_keys(django_apps, None)
    keyed = Task.objects.filter(careplan=plan).exclude(template_task_key=None)
    keys = dict(keyed.values_list("title", "template_task_key"))
    assert keys == {
        PLAN_TITLES["contact"]: "contact", PLAN_TITLES["med_rec"]: "med_rec", PLAN_TITLES["visit"]: "visit",
        "Readmission watch check-in": "check_in",
    }  # fmt: skip
    tcm_keys = TemplateTask.objects.filter(template__key="post-discharge-tcm").exclude(key="")
    assert set(tcm_keys.values_list("key", flat=True)) == set(keys.values())
