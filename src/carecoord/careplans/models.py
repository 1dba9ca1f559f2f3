"""
Care plans (FHIR CarePlan), their goals (Goal) and the tasks (Task) that carry out the work, plus the
templates organizations apply. The Task is the single unit of a coordinator's work: every capability
(care plans, scheduling, check-ins, transitions, referrals, authorizations) puts its work on the worklist
as tasks, naming itself in `source` and the record it is about in `focus_type`/`focus_id`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from carecoord.core.choices import Role
from carecoord.core.links import public_id_url
from carecoord.core.models import BaseModel, Organization
from carecoord.core.units import unit_label
from carecoord.patients.models import Condition, Patient

from .choices import (
    CarePlanCategory,
    CarePlanIntent,
    CarePlanStatus,
    GoalAchievementStatus,
    GoalLifecycleStatus,
    RecurrenceFrequency,
    TargetComparator,
    TaskKind,
    TaskPriority,
    TaskSource,
    TaskStatus,
)
from .domain import BUCKET_NAMES


class CarePlan(BaseModel):
    """A patient's plan of care: what it addresses, its goals and the activities that pursue them."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="careplans")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=30, choices=CarePlanCategory.choices)
    status = models.CharField(max_length=20, choices=CarePlanStatus.choices, default=CarePlanStatus.DRAFT)
    intent = models.CharField(max_length=20, choices=CarePlanIntent.choices, default=CarePlanIntent.PLAN)
    addresses = models.ManyToManyField(Condition, blank=True, related_name="careplans")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    template = models.ForeignKey("CarePlanTemplate", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["patient", "status"], name="careplan_patient_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="careplan_period_order",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return public_id_url("careplans:detail", self.public_id)


class CarePlanRevision(models.Model):
    """One change to a care plan: who changed what, when (the plan's history)."""

    careplan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    summary = models.CharField(max_length=200)
    changes = models.JSONField(default=dict, help_text="field: [before, after]")

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.careplan} v{self.version}: {self.summary}"


class Goal(BaseModel):
    """What the plan aims at, optionally with a measurable target (FHIR Goal.target)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="goals")
    careplan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="goals")
    description = models.CharField(max_length=300)
    lifecycle_status = models.CharField(
        max_length=20, choices=GoalLifecycleStatus.choices, default=GoalLifecycleStatus.ACTIVE
    )
    achievement_status = models.CharField(
        max_length=20, choices=GoalAchievementStatus.choices, default=GoalAchievementStatus.IN_PROGRESS
    )
    start_date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    measure_code = models.CharField(max_length=20, blank=True, help_text="LOINC code of what is measured.")
    measure_display = models.CharField(max_length=120, blank=True)
    target_comparator = models.CharField(max_length=8, choices=TargetComparator.choices, blank=True)
    target_value = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    target_value_high = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    target_unit = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def target_text(self) -> str:
        """The target in words, e.g. "Hemoglobin A1c below 7 %"."""
        if not self.target_comparator or self.target_value is None:
            return ""
        measure = self.measure_display or "Value"
        low, unit = _plain_number(self.target_value), unit_label(self.target_unit)
        if self.target_comparator == TargetComparator.BETWEEN:
            high = _plain_number(self.target_value_high)
            return f"{measure} between {low} and {high} {unit}".strip()
        return f"{measure} {TargetComparator(self.target_comparator).label} {low} {unit}".strip()


def _plain_number(value) -> str:
    """7.00 -> "7", 7.50 -> "7.5" (decimals from the database keep their trailing zeros)."""
    return f"{value.normalize():f}" if value is not None else ""


class Task(BaseModel):
    """One piece of work, owned by a person or by a role, with a due date (FHIR Task)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="tasks")
    careplan = models.ForeignKey(CarePlan, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")
    goal = models.ForeignKey(Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    kind = models.CharField(max_length=20, choices=TaskKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.REQUESTED)
    priority = models.CharField(max_length=10, choices=TaskPriority.choices, default=TaskPriority.ROUTINE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    owner_role = models.CharField(
        max_length=20, choices=Role.choices, blank=True, help_text="Anyone in this role may take it when no owner."
    )
    due_date = models.DateField(null=True, blank=True)
    snoozed_until = models.DateField(null=True, blank=True)
    snooze_reason = models.CharField(max_length=200, blank=True)
    recurrence = models.JSONField(
        default=dict, blank=True, help_text='e.g. {"frequency": "weekly", "interval": 1, "count": 12}'
    )
    series = models.UUIDField(null=True, blank=True, db_index=True, help_text="Occurrences of one recurring task.")
    occurrence = models.PositiveIntegerField(default=1)
    outcome_note = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=20, choices=TaskSource.choices, default=TaskSource.MANUAL)
    focus_type = models.CharField(
        max_length=80, blank=True, help_text="The record it is about, e.g. scheduling.Appointment."
    )
    focus_id = models.UUIDField(null=True, blank=True)
    dedupe_key = models.CharField(
        max_length=200, blank=True, help_text="Set by automatic creators so the same task is never made twice."
    )
    # Nullable so that adding it is a plain ADD COLUMN: a NOT NULL column makes SQLite rebuild the table, which
    # drops the raw partial index of migration 0002.
    template_task_key = models.SlugField(
        max_length=40,
        null=True,
        blank=True,
        db_index=False,
        help_text="The key of the template task this task was made from, if it has one.",
    )
    escalation_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="escalations"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["organization", "owner", "status", "due_date"], name="task_worklist_owner"),
            models.Index(fields=["organization", "owner_role", "status", "due_date"], name="task_worklist_role"),
            models.Index(fields=["patient", "status"], name="task_patient_status"),
            models.Index(fields=["focus_type", "focus_id"], name="task_focus"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "dedupe_key"], condition=~Q(dedupe_key=""), name="task_dedupe_unique"
            ),
            models.CheckConstraint(condition=Q(occurrence__gte=1), name="task_occurrence_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return public_id_url("careplans:task_detail", self.public_id)

    @property
    def action_form_url(self) -> str:
        """Where the worklist row's Complete, Snooze and Reassign forms load from (`?action=`)."""
        return public_id_url("careplans:task_reassign_form", self.public_id)

    @property
    def bucket_name(self) -> str:
        """The worklist bucket, when the query annotated it (see selectors.worklist_for)."""
        return BUCKET_NAMES.get(getattr(self, "bucket", None), "")


class TaskEvent(models.Model):
    """The history of a task: status changes, reassignments, snoozes, with who and why."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    KIND_LABELS = {"created": "Created", "status": "Status", "reassign": "Reassigned", "snooze": "Snoozed",
                   "due": "Due date moved"}  # fmt: skip

    def __str__(self) -> str:
        return f"{self.kind} {self.from_status}->{self.to_status}"

    @property
    def kind_label(self) -> str:
        return self.KIND_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())

    @property
    def to_status_label(self) -> str:
        return TaskStatus(self.to_status).label if self.to_status in TaskStatus.values else self.to_status


class CarePlanTemplate(BaseModel):
    """A reusable plan: goals and tasks with due dates relative to a start date. Built-ins have no organization."""

    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    key = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=30, choices=CarePlanCategory.choices)
    description = models.TextField(blank=True)
    condition_codes = models.JSONField(default=list, blank=True, help_text="ICD-10-CM codes it is meant for.")
    source_note = models.CharField(max_length=300, blank=True, help_text="The public guidance it follows.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="template_key_unique_per_org"),
            models.UniqueConstraint(
                fields=["key"], condition=Q(organization__isnull=True), name="template_builtin_key"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_builtin(self) -> bool:
        return self.organization_id is None


class TemplateGoal(models.Model):
    """A goal a template creates; its due date is the plan's start plus `due_offset_days`."""

    template = models.ForeignKey(CarePlanTemplate, on_delete=models.CASCADE, related_name="goals")
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(max_length=300)
    due_offset_days = models.PositiveIntegerField(null=True, blank=True)
    measure_code = models.CharField(max_length=20, blank=True)
    measure_display = models.CharField(max_length=120, blank=True)
    target_comparator = models.CharField(max_length=8, choices=TargetComparator.choices, blank=True)
    target_value = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    target_value_high = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    target_unit = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description


class TemplateTask(models.Model):
    """A task a template creates, due `offset_days` after the start, optionally recurring."""

    template = models.ForeignKey(CarePlanTemplate, on_delete=models.CASCADE, related_name="tasks")
    goal = models.ForeignKey(TemplateGoal, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=TaskKind.choices)
    priority = models.CharField(max_length=10, choices=TaskPriority.choices, default=TaskPriority.ROUTINE)
    owner_role = models.CharField(max_length=20, choices=Role.choices, default=Role.COORDINATOR)
    offset_days = models.PositiveIntegerField(default=0)
    recurrence_frequency = models.CharField(max_length=10, choices=RecurrenceFrequency.choices, blank=True)
    recurrence_interval = models.PositiveSmallIntegerField(default=1)
    recurrence_count = models.PositiveSmallIntegerField(null=True, blank=True)
    key = models.SlugField(
        max_length=40,
        blank=True,
        db_index=False,
        help_text="The work this task stands for, kept when its title is edited and by copies; other parts of "
        "CareCoord find the plan's task by it (the TCM template's contact, med_rec, visit, check_in).",
    )

    class Meta:
        ordering = ["offset_days", "position", "id"]

    def __str__(self) -> str:
        return self.title
