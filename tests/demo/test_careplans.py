"""The demo's care plans, goals and tasks: every coordinator's worklist looks like a working day."""

import zoneinfo
from collections import Counter, defaultdict

import pytest

from carecoord.careplans.choices import (
    HIGH_PRIORITIES,
    OPEN_TASK_STATUSES,
    CarePlanStatus,
    GoalAchievementStatus,
    GoalLifecycleStatus,
    TaskStatus,
)
from carecoord.careplans.models import CarePlan, CarePlanRevision, Goal, Task, TaskEvent
from carecoord.careplans.selectors import worklist_for
from carecoord.core import clock
from carecoord.core.access import actor_for
from carecoord.core.choices import Role
from carecoord.core.models import Membership
from carecoord.demo.careplans import CHRONIC
from carecoord.demo.world import COORDINATION_SLUG, DEMO_SLUGS
from carecoord.patients.models import CareTeamMember, Patient, PatientShare
from carecoord.patients.selectors import patients_visible_to

pytestmark = pytest.mark.django_db
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
FK_FIELDS = {
    CarePlan: ["organization", "patient", "author", "approved_by", "template"],
    Goal: ["organization", "patient", "careplan"],
    Task: ["organization", "patient", "careplan", "goal", "owner", "completed_by", "created_by", "escalation_of"],
}


def coordinator_memberships():
    return Membership.objects.filter(organization__slug__in=DEMO_SLUGS, role=Role.COORDINATOR).select_related(
        "user", "organization"
    )


def test_every_coordinator_has_a_realistic_worklist(world):
    memberships = list(coordinator_memberships())
    assert len(memberships) == 14  # three or two per organization, and the Prairie coordinator at the clinic
    for m in memberships:
        worklist = worklist_for(actor_for(m.user, m.organization))
        counts, who = worklist.counts, f"{m.user.email} at {m.organization.slug}"
        assert 1 <= counts["overdue"] <= 15, (who, counts)
        assert counts["today"] >= 1, (who, counts)
        assert counts["upcoming"] >= 10, (who, counts)
        tasks = list(worklist.tasks)
        assert {t.patient.organization_id for t in tasks} <= {m.organization_id} | set(
            PatientShare.objects.filter(organization=m.organization).values_list("patient__organization_id", flat=True)
        )


def test_most_coordinators_have_weeks_of_work_ahead_and_a_few_urgent_tasks(world):
    busy = 0
    for m in coordinator_memberships():
        worklist = worklist_for(actor_for(m.user, m.organization))
        counts = worklist.counts
        assert counts["overdue"] <= 8, (m.user.email, counts)
        assert counts["today"] <= 5, (m.user.email, counts)
        busy += 20 <= counts["upcoming"] <= 60
        assert any(t.priority in HIGH_PRIORITIES for t in worklist.tasks), m.user.email
    assert busy >= 9  # the embedded coordinator has only a few patients at the clinic


def test_every_task_owner_and_completer_is_a_member_of_the_task_organization(world):
    members = set(Membership.objects.filter(active=True).values_list("user_id", "organization_id"))
    rows = Task.objects.values_list("organization_id", "owner_id", "owner_role", "completed_by_id", "created_by_id")
    assert rows
    for org_id, owner_id, owner_role, completed_by_id, created_by_id in rows:
        assert owner_id or owner_role
        assert owner_id is None or (owner_id, org_id) in members
        assert completed_by_id is None or (completed_by_id, org_id) in members
        assert created_by_id is None or (created_by_id, org_id) in members


def test_every_plan_patient_is_visible_to_the_plan_organization(world):
    for m in coordinator_memberships():
        actor = actor_for(m.user, m.organization)
        visible = set(patients_visible_to(actor).values_list("pk", flat=True))
        plans = set(CarePlan.objects.filter(organization=m.organization).values_list("patient_id", flat=True))
        assert plans
        assert plans <= visible, m.organization.slug


def test_tasks_goals_and_plans_agree_on_organization_and_patient(world):
    # Care-plan tasks only: a discharge's transition tasks belong to no plan (test_demo_transitions_community).
    for task in Task.objects.filter(careplan__isnull=False).select_related("careplan", "goal"):
        assert (task.organization_id, task.patient_id) == (task.careplan.organization_id, task.careplan.patient_id)
        assert task.goal is None or task.goal.careplan_id == task.careplan_id
    for goal in Goal.objects.select_related("careplan"):
        assert (goal.organization_id, goal.patient_id) == (goal.careplan.organization_id, goal.careplan.patient_id)
        assert goal.start_date == goal.careplan.start_date


def test_rows_are_valid_records_with_fhir_statuses(world):
    for model, fks in FK_FIELDS.items():
        for row in model.objects.all():
            row.full_clean(exclude=fks, validate_unique=False, validate_constraints=False)


def test_most_patients_have_one_or_two_plans_from_templates_that_fit(world):
    home = Counter(CarePlan.objects.exclude(organization__slug=COORDINATION_SLUG).values_list("patient_id", flat=True))
    patients = Patient.objects.count()
    assert CarePlan.objects.values("patient_id").distinct().count() > patients * 0.7
    assert len(home) > patients * 0.6  # the rest have no problem a built-in template is for (or are shared)
    assert sum(n <= 2 for n in home.values()) > len(home) * 0.9
    families = dict(CHRONIC)
    keys = Counter()
    for plan in CarePlan.objects.select_related("template", "patient").prefetch_related("addresses"):
        assert plan.template is not None
        assert plan.template.organization_id is None
        assert plan.title == plan.template.title
        assert plan.category == plan.template.category
        keys[plan.template.key] += 1
        assert all(c.patient_id == plan.patient_id for c in plan.addresses.all())
        if plan.template.key in families:  # a chronic plan addresses the problem it is for
            prefixes = (*plan.template.condition_codes, *families[plan.template.key])
            assert plan.addresses.all(), plan
            assert all(c.code.startswith(prefixes) for c in plan.addresses.all())
        if plan.template.key in ("pediatric-school-readiness", "pediatric-back-to-school"):
            assert plan.patient.age_on(plan.start_date) < 18
    for key in ("type-2-diabetes", "hypertension", "heart-failure", "copd", "depression-phq9", "post-discharge-tcm",
                "nursing-home-admission", "pediatric-school-readiness", "pediatric-back-to-school",
                "post-surgical-pt-ot"):  # fmt: skip
        assert keys[key] > 0, key


def test_plans_start_in_the_last_four_months_mostly_active_and_approved(world):
    today = clock.today_in(CHICAGO)
    providers = set(Membership.objects.filter(role=Role.PROVIDER).values_list("user_id", "organization_id"))
    statuses = defaultdict(Counter)
    for plan in CarePlan.objects.all():
        statuses[plan.organization_id][plan.status] += 1
        assert 2 <= (today - plan.start_date).days <= 120, plan
        if plan.status in (CarePlanStatus.ACTIVE, CarePlanStatus.COMPLETED):
            assert (plan.author_id, plan.organization_id) in providers
            assert plan.approved_by_id == plan.author_id
            assert plan.approved_at is not None
        else:
            assert plan.status == CarePlanStatus.DRAFT
            assert plan.approved_by_id is None
            assert plan.approved_at is None
        if plan.status == CarePlanStatus.COMPLETED:
            assert plan.start_date < plan.end_date < today
            assert not plan.tasks.filter(status__in=OPEN_TASK_STATUSES).exists()
            assert not plan.goals.exclude(lifecycle_status=GoalLifecycleStatus.COMPLETED).exists()
        else:
            assert plan.end_date is None
    assert len(statuses) == len(DEMO_SLUGS)
    for counts in statuses.values():
        assert counts[CarePlanStatus.DRAFT] == 2
        assert counts[CarePlanStatus.COMPLETED] == 1
        assert counts[CarePlanStatus.ACTIVE] > 10


def test_every_plan_has_its_created_revision(world):
    created = CarePlanRevision.objects.filter(summary="Created", version=1)
    assert created.count() == CarePlan.objects.count()
    assert set(created.values_list("careplan_id", flat=True)) == set(CarePlan.objects.values_list("pk", flat=True))
    for revision in created.select_related("careplan"):
        assert revision.changed_by_id == revision.careplan.author_id
        assert revision.changed_at.astimezone(CHICAGO).date() == revision.careplan.start_date


def test_past_work_is_done_with_outcomes_on_its_due_date(world):
    today, now = clock.today_in(CHICAGO), clock.now()
    # Care-plan tasks only: a transition task is a deadline ("by <day>"), done on or before it, and one the
    # TCM plan duplicates is cancelled (test_demo_transitions_community checks those).
    plan_tasks = Task.objects.filter(careplan__isnull=False)
    completed = plan_tasks.filter(status=TaskStatus.COMPLETED).select_related("careplan")
    assert completed.count() > 500
    notes = set()
    for task in completed:
        assert task.outcome_note
        assert task.completed_by_id
        assert task.completed_at <= now
        assert task.completed_at.astimezone(CHICAGO).date() == task.due_date < today
        assert task.due_date >= task.careplan.start_date
        notes.add(task.outcome_note)
    assert len(notes) >= 20  # worded for the kind of work, not one sentence everywhere
    assert set(plan_tasks.values_list("status", flat=True)) <= set(OPEN_TASK_STATUSES) | {TaskStatus.COMPLETED}


def test_goals_past_their_date_have_a_result(world):
    today = clock.today_in(CHICAGO)
    past = Goal.objects.filter(due_date__lt=today, careplan__status=CarePlanStatus.ACTIVE)
    assert past.exists()
    assert not past.filter(achievement_status=GoalAchievementStatus.IN_PROGRESS).exists()
    assert past.filter(achievement_status=GoalAchievementStatus.ACHIEVED).exists()
    assert Goal.objects.filter(measure_code="4548-4", target_comparator="<", target_value=7).exists()  # HbA1c < 7 %


def test_task_history_has_created_and_completed_events_in_order(world):
    now = clock.now()
    events = defaultdict(list)
    for event in TaskEvent.objects.order_by("at", "pk"):
        events[event.task_id].append(event)
        assert event.at <= now
    for task in Task.objects.all():
        history = events[task.pk]
        assert history, task
        assert history[0].kind == "created", task
        assert history[0].at.astimezone(CHICAGO).date() <= task.due_date
        if task.status == TaskStatus.COMPLETED:
            last = [e for e in history if e.kind == "status"][-1]
            assert (last.to_status, last.by_id, last.note) == (TaskStatus.COMPLETED, task.completed_by_id,
                                                               task.outcome_note)  # fmt: skip
        if task.status in (TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD):
            assert any(e.kind == "status" and e.to_status == task.status for e in history)
        if task.snoozed_until:
            assert any(e.kind == "snooze" for e in history)


def test_repeating_tasks_have_one_open_occurrence_at_a_time(world):
    series = defaultdict(list)
    for task in Task.objects.filter(series__isnull=False).order_by("occurrence"):
        series[task.series].append(task)
    assert len(series) > 50
    for tasks in series.values():
        assert [t.occurrence for t in tasks] == list(range(1, len(tasks) + 1))
        assert len(tasks) <= tasks[0].recurrence["count"]
        assert all(t.status == TaskStatus.COMPLETED for t in tasks[:-1])
        assert len({(t.title, t.careplan_id, t.owner_id, t.owner_role) for t in tasks}) == 1


def test_a_mix_of_in_progress_on_hold_snoozed_urgent_and_role_owned_work(world):
    today = clock.today_in(CHICAGO)
    open_tasks = Task.objects.filter(status__in=OPEN_TASK_STATUSES)
    statuses = Counter(open_tasks.values_list("status", flat=True))
    assert statuses[TaskStatus.IN_PROGRESS] >= 5
    assert statuses[TaskStatus.ON_HOLD] >= 2
    assert open_tasks.filter(priority__in=HIGH_PRIORITIES).count() >= 12
    snoozed = open_tasks.filter(snoozed_until__gt=today)
    assert 4 <= snoozed.count() <= 8
    assert all(t.snooze_reason for t in snoozed)
    roles = Counter(open_tasks.filter(owner__isnull=True).values_list("owner_role", flat=True))
    assert roles[Role.SCHEDULER] >= 20
    assert roles[Role.SUPERVISOR] >= 1
    assert roles[Role.PROVIDER] >= 10


def test_the_coordination_organization_plans_for_the_patients_shared_with_it(world):
    prairie = world.organizations[COORDINATION_SLUG]
    plans = CarePlan.objects.filter(organization=prairie)
    shared = set(PatientShare.objects.filter(organization=prairie).values_list("patient_id", flat=True))
    for_shared = set(plans.filter(patient__in=shared).values_list("patient_id", flat=True))
    assert len(for_shared) >= len(shared) * 0.8
    coordinators = set(
        Membership.objects.filter(organization=prairie, role=Role.COORDINATOR).values_list("user_id", flat=True)
    )
    teams = set(CareTeamMember.objects.filter(role="coordinator").values_list("patient_id", "user_id"))
    owners = Task.objects.filter(organization=prairie, owner__isnull=False).values_list("patient_id", "owner_id")
    assert owners
    for patient_id, owner_id in owners:
        assert owner_id in coordinators
        assert (patient_id, owner_id) in teams


def test_own_tasks_belong_to_the_patient_s_coordinator(world):
    teams = set(CareTeamMember.objects.filter(role="coordinator", note="").values_list("patient_id", "user_id"))
    owned = Task.objects.filter(owner__isnull=False).exclude(organization__slug=COORDINATION_SLUG)
    for org_id, patient_org_id, patient_id, owner_id in owned.values_list(
        "organization_id", "patient__organization_id", "patient_id", "owner_id"
    ):
        assert org_id == patient_org_id
        assert (patient_id, owner_id) in teams


def test_summary_counts_match_the_database(world):
    today = clock.today_in(CHICAGO)
    open_tasks = Task.objects.filter(status__in=OPEN_TASK_STATUSES)
    assert world.counts["careplans"] == CarePlan.objects.count()
    assert world.counts["goals"] == Goal.objects.count()
    assert world.counts["tasks"] == Task.objects.count()
    assert world.counts["tasks_open"] == open_tasks.count()
    assert world.counts["tasks_overdue"] == open_tasks.filter(due_date__lt=today).count()
