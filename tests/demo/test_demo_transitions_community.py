"""The demo's hospital discharges behind its TCM plans, and its community resource directory."""

import datetime as dt
import zoneinfo
from collections import Counter

import pytest
from django.urls import reverse

from carecoord.careplans.choices import OPEN_TASK_STATUSES, CarePlanStatus, TaskStatus
from carecoord.careplans.models import CarePlan, Task, TaskEvent
from carecoord.careplans.selectors import worklist_for
from carecoord.community.choices import Need
from carecoord.community.models import Agency, CommunityService, ResourceLocation, ServiceAtLocation
from carecoord.community.selectors import directory_search
from carecoord.core import clock
from carecoord.core.access import actor_for
from carecoord.core.models import Organization, User
from carecoord.demo.community import community_create
from carecoord.demo.transitions import DUPLICATE_NOTE, PLAN_TASK_FOR, STEP_TASKS, TCM
from carecoord.demo.world import COORDINATION_SLUG, DEMO_SLUGS
from carecoord.medications.choices import ListSource
from carecoord.medications.models import MedicationList
from carecoord.transitions.choices import EncounterClass, EncounterStatus, EpisodeStatus
from carecoord.transitions.models import Encounter, TransitionEpisode
from carecoord.transitions.selectors import dashboard_counts, encounters_for_patient, episodes_dashboard
from carecoord.transitions.services import EPISODE_FOCUS

pytestmark = pytest.mark.django_db
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
STEP_FIELDS = {"contact": "contact_at", "med_rec": "med_rec_at", "visit": "visit_at"}
MARIA = "maria.lopez@prairie.demo"


def maria_actor():
    return actor_for(User.objects.get(email=MARIA), Organization.objects.get(slug=COORDINATION_SLUG))


def tcm_plans():
    return CarePlan.objects.filter(template__key=TCM).select_related("patient", "organization")


def test_every_tcm_plan_has_the_discharge_it_follows(world):
    plans = list(tcm_plans())
    assert len(plans) >= 5
    assert world.counts["transitions"] == len(plans)
    for plan in plans:
        stay = Encounter.objects.get(organization=plan.organization, patient=plan.patient)
        assert stay.status == EncounterStatus.FINISHED
        assert stay.encounter_class == EncounterClass.INPATIENT
        assert stay.facility.name == "Lakeshore General Hospital"
        assert stay.discharged_at.astimezone(plan.organization.tz).date() == plan.start_date
        assert stay.admitted_at < stay.discharged_at
        assert stay.diagnoses
        assert stay.diagnoses[0]["type"] == "A"
        assert stay.reason
        assert stay.history[0]["event"] == "discharge"
        episode = stay.episode
        assert episode.discharge_day == plan.start_date
        assert episode.lace_score is not None
        ended = episode.window_end < clock.today_in(plan.organization.tz)
        assert episode.status == (EpisodeStatus.CLOSED if ended else EpisodeStatus.OPEN)
        if plan.status == CarePlanStatus.ACTIVE:
            assert episode.status == EpisodeStatus.OPEN
        meds = MedicationList.objects.get(patient=plan.patient, organization=plan.organization)
        assert meds.source == ListSource.DISCHARGE
        assert meds.list_date == plan.start_date
        assert meds.lines.count() >= 2


def test_episode_steps_follow_the_plan(world):
    """A step the plan's task shows done is recorded on the episode, and its episode task is completed."""
    checked = 0
    for plan in tcm_plans():
        episode = TransitionEpisode.objects.get(organization=plan.organization, patient=plan.patient)
        for step, title in STEP_TASKS.items():
            task = Task.objects.filter(careplan=plan, title=title).order_by("pk").first()
            recorded = getattr(episode, f"{step}_at")
            assert (recorded is not None) == (task is not None and task.status == TaskStatus.COMPLETED)
            checked += recorded is not None
        if episode.status == EpisodeStatus.CLOSED:  # a finished plan leaves no episode work open
            open_work = Task.objects.filter(focus_id=episode.public_id, status__in=OPEN_TASK_STATUSES)
            assert not open_work.exists()
    assert checked >= 5


def test_episode_tasks_tell_the_same_story_as_the_plan_at_the_times_it_happened(world):
    """
    Each discharge's tasks were created when the A03 came in and taken by the patient's coordinator; the
    steps done are completed by their deadline at the time the episode records; the rest is open only where
    the plan does not already have the same task open (cancelled as duplicates), and none is overdue.
    """
    today, now = clock.today_in(CHICAGO), clock.now()
    for plan in tcm_plans():
        episode = TransitionEpisode.objects.select_related("encounter").get(patient=plan.patient,
                                                                            organization=plan.organization)  # fmt: skip
        tasks = list(Task.objects.filter(focus_type=EPISODE_FOCUS, focus_id=episode.public_id).order_by("pk"))
        assert tasks
        plan_open = set(
            Task.objects.filter(careplan=plan, status__in=OPEN_TASK_STATUSES).values_list("title", flat=True)
        )
        first_keys = {t.series: t.dedupe_key for t in tasks if t.occurrence == 1}
        received = dt.datetime.fromisoformat(episode.encounter.history[0]["at"])
        for task in tasks:
            assert task.careplan_id is None
            assert (task.organization_id, task.patient_id) == (plan.organization_id, plan.patient_id)
            assert task.owner_id is not None, task
            events = list(TaskEvent.objects.filter(task=task).order_by("at", "pk"))
            assert events[0].kind == "created"
            assert events[0].at >= episode.encounter.discharged_at
            assert all(e.at <= now for e in events)
            if task.occurrence in (None, 1):
                assert events[0].at == received
            kind = (task.dedupe_key or first_keys.get(task.series, "")).rsplit(":", 1)[-1]
            if task.status == TaskStatus.COMPLETED:
                assert task.outcome_note
                assert episode.discharge_day <= task.completed_at.astimezone(CHICAGO).date() < today
                assert events[-1].at == task.completed_at
                if kind in STEP_FIELDS:
                    assert task.completed_at == getattr(episode, STEP_FIELDS[kind])
                    assert task.completed_at.astimezone(CHICAGO).date() <= task.due_date
            elif task.status == TaskStatus.CANCELLED:
                assert episode.window_end < today or PLAN_TASK_FOR[kind] in plan_open
                assert events[-1].note in (DUPLICATE_NOTE, "The 30-day window after the discharge ended.")
            else:
                # Only a checklist still waiting for a step the episode has not recorded (the contact) is late.
                waiting = [s["key"] for s in episode.checklist if s["key"] in STEP_FIELDS and not s.get("done_at")]
                assert task.due_date >= today or (kind == "checklist" and waiting), task
                assert PLAN_TASK_FOR[kind] not in plan_open, task
        for step in episode.checklist:
            if step.get("done_at") and step["key"] in STEP_FIELDS:  # the checklist agrees with the deadlines
                assert getattr(episode, STEP_FIELDS[step["key"]]) is not None, (episode, step)
            if step.get("done_at"):
                assert episode.discharge_day <= dt.datetime.fromisoformat(step["done_at"]).astimezone(CHICAGO).date()
        assert all(dt.datetime.fromisoformat(entry["at"]) < now for entry in episode.encounter.history)
        if episode.closed_at:
            assert episode.closed_at.astimezone(CHICAGO).date() == episode.window_end + dt.timedelta(days=1)


def test_the_coordinator_s_worklist_shows_each_call_once(world):
    """No worklist has a transition task next to the TCM plan's task for the same work."""
    for email in (MARIA, "keisha.johnson@lakeshore.demo"):
        user = User.objects.get(email=email)
        for membership in user.memberships.filter(active=True).select_related("organization"):
            tasks = list(worklist_for(actor_for(user, membership.organization)).tasks)
            plan_titles = {(t.patient_id, t.title) for t in tasks if t.careplan_id}
            series_keys = dict(
                Task.objects.filter(focus_type=EPISODE_FOCUS, occurrence=1).values_list("series", "dedupe_key")
            )
            for task in tasks:
                if task.focus_type == EPISODE_FOCUS:
                    kind = (task.dedupe_key or series_keys.get(task.series, "")).rsplit(":", 1)[-1]
                    assert (task.patient_id, PLAN_TASK_FOR[kind]) not in plan_titles, (email, task)


def test_a_prairie_coordinator_finds_the_open_transitions(world, client):
    actor = maria_actor()
    mine = [p for p in tcm_plans() if p.organization.slug == COORDINATION_SLUG and p.status == CarePlanStatus.ACTIVE]
    assert mine
    open_ids = set(episodes_dashboard(actor).values_list("patient_id", flat=True))
    assert {p.patient_id for p in mine} <= open_ids
    assert dashboard_counts(actor)["open"] == len(open_ids) >= len(mine)
    assert encounters_for_patient(actor, mine[0].patient).exists()
    client.force_login(actor.user)
    page = client.get(reverse("transitions:dashboard")).content.decode()
    assert mine[0].patient.family_name in page
    stays = client.get(reverse("transitions:patient_stays", args=[mine[0].patient.public_id])).content.decode()
    assert "Lakeshore General Hospital" in stays
    assert "No hospital or emergency stays" not in stays


def test_community_resources_a_coordinator_can_search(world, client):
    actor = maria_actor()
    expected = {
        Need.FOOD_INSECURITY: "Neighborhood Food Pantry",
        Need.TRANSPORTATION_INSECURITY: "Rides to Medical Appointments",
        Need.UTILITY_INSECURITY: "Utility Bill Assistance",
        Need.SOCIAL_CONNECTION: "Family Caregiver Support Group",
        Need.FINANCIAL_INSECURITY: "Prescription Assistance Program",
    }
    for need, name in expected.items():
        hits, _ = directory_search(actor, need=need)
        assert name in {h.service.name for h in hits}, need
    hits, origin = directory_search(actor, need=Need.FOOD_INSECURITY, postal_code="60640", radius_miles=5)
    assert origin is not None
    assert hits[0].location.postal_code == "60640"
    assert hits[0].distance < 1
    hits, _ = directory_search(actor, text="prescription", language="es")
    assert [h.service.name for h in hits] == ["Prescription Assistance Program"]
    for location in ResourceLocation.objects.filter(organization=actor.organization):
        assert location.state == "IL"
        assert location.latitude
        assert location.longitude
    client.force_login(actor.user)
    page = client.get(reverse("community:directory"), {"need": Need.FOOD_INSECURITY}).content.decode()
    assert "Neighborhood Food Pantry" in page


def test_every_demo_organization_has_the_directory_once(world):
    per_org = Counter(CommunityService.objects.values_list("organization__slug", flat=True))
    assert set(per_org) == set(DEMO_SLUGS)
    assert len(set(per_org.values())) == 1
    assert world.counts["community_services"] == sum(per_org.values())
    before = (Agency.objects.count(), CommunityService.objects.count(), ResourceLocation.objects.count(),
              ServiceAtLocation.objects.count())  # fmt: skip
    counts = Counter()
    community_create(organizations=world.organizations, counts=counts)
    after = (Agency.objects.count(), CommunityService.objects.count(), ResourceLocation.objects.count(),
             ServiceAtLocation.objects.count())  # fmt: skip
    assert after == before
    assert counts["community_services"] == 0
