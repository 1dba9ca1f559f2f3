"""Forms of care plans, goals, tasks and the worklist. They validate input; services act."""

from django import forms

from carecoord.core.forms import valid_filters
from carecoord.core.models import User

from .choices import (
    TASK_OWNER_ROLE_CHOICES,
    CarePlanCategory,
    CarePlanIntent,
    CarePlanStatus,
    GoalAchievementStatus,
    GoalLifecycleStatus,
    RecurrenceFrequency,
    TargetComparator,
    TaskKind,
    TaskPriority,
)
from .models import CarePlanTemplate
from .services import PLAN_FIELDS, past_due_date_problem

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _blank(choices, label="Any"):
    return [("", label), *choices]


class WorklistFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=_blank(TaskKind.choices), required=False)
    category = forms.ChoiceField(choices=_blank(CarePlanCategory.choices), required=False, label="Program")
    priority = forms.ChoiceField(choices=_blank(TaskPriority.choices), required=False)
    due_from = forms.DateField(required=False, widget=DATE, label="Due from")
    due_to = forms.DateField(required=False, widget=DATE, label="Due to")
    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    bucket = forms.ChoiceField(
        required=False,
        choices=[
            ("", "All but snoozed"),  # overdue, due today and upcoming; short enough to read whole in the filter bar
            ("overdue", "Overdue"),
            ("today", "Due today"),
            ("upcoming", "Upcoming"),
            ("snoozed", "Snoozed"),
        ],
        label="Show",
    )
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Worklist of")

    def __init__(self, *args, team=None, me=None, **kwargs):
        """`team` (a supervisor's) fills "Worklist of"; `me` is left out of it, since "Me" is them."""
        super().__init__(*args, **kwargs)
        if team is None:
            del self.fields["owner"]
            return
        if me is not None:
            team = team.exclude(pk=me.pk)
            if self.is_bound and self.data.get("owner") == str(me.pk):  # an address naming yourself means "Me"
                self.data = self.data.copy()
                self.data["owner"] = ""
        self.fields["owner"].queryset = team
        self.fields["owner"].empty_label = "Me"

    def clean(self):
        data = super().clean()
        start, end = data.get("due_from"), data.get("due_to")
        if start and end and end < start:
            self.add_error("due_to", "“Due to” must be on or after “Due from”.")
        return data

    def filters(self) -> dict:
        """
        The filters to apply: every valid one, so an invalid field drops only itself (a supervisor's "Worklist
        of" or the "Show" choice stay as the address says). A range with either end invalid drops both ends.
        """
        return valid_filters(self, pairs=[("due_from", "due_to")])


class CompleteTaskForm(forms.Form):
    note = forms.CharField(label="Outcome", widget=forms.Textarea(attrs={"rows": 2}), max_length=4000, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class SnoozeTaskForm(forms.Form):
    until = forms.DateField(widget=DATE, label="Snooze until")
    reason = forms.CharField(max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReassignTaskForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label="New owner")
    note = forms.CharField(max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members


class BulkReassignForm(forms.Form):
    tasks = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40_000)  # ~1,000 task ids
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label="Move selected tasks to")
    note = forms.CharField(max_length=200, required=False, label="Reason")

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members


class CarePlanForm(forms.Form):
    title = forms.CharField(max_length=200)
    category = forms.ChoiceField(choices=CarePlanCategory.choices)
    intent = forms.ChoiceField(choices=CarePlanIntent.choices, initial=CarePlanIntent.PLAN)
    start_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(widget=DATE, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=10_000)
    addresses = forms.MultipleChoiceField(
        required=False, label="Conditions it addresses", widget=forms.CheckboxSelectMultiple
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, conditions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.conditions = {str(c.public_id): c for c in conditions}
        self.fields["addresses"].choices = [(key, f"{c.display} ({c.code})") for key, c in self.conditions.items()]

    @classmethod
    def initial_for(cls, careplan) -> dict:
        """The form's starting values for editing `careplan` (its addresses must be prefetched or cheap)."""
        return {
            **{name: getattr(careplan, name) for name in PLAN_FIELDS},
            "addresses": [str(c.public_id) for c in careplan.addresses.all()],
            "version": careplan.version,
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The plan ends before it starts.")
        return data

    def plan_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in PLAN_FIELDS}

    def chosen_conditions(self) -> list:
        return [self.conditions[key] for key in self.cleaned_data.get("addresses", [])]


class ApplyTemplateForm(forms.Form):
    template = forms.ModelChoiceField(queryset=CarePlanTemplate.objects.none(), label="Template")
    start_date = forms.DateField(widget=DATE)

    def __init__(self, *args, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates


class CarePlanStatusForm(forms.Form):
    """A move through the plan's lifecycle; the service decides whether the move is allowed."""

    status = forms.ChoiceField(choices=CarePlanStatus.choices)
    reason = forms.CharField(max_length=150, required=False, label="Reason (kept in the plan's history)")
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(forms.Form):
    """Only the version the user saw, for actions without other input (approve)."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class GoalForm(forms.Form):
    description = forms.CharField(max_length=300)
    due_date = forms.DateField(widget=DATE, required=False)
    lifecycle_status = forms.ChoiceField(choices=GoalLifecycleStatus.choices, initial=GoalLifecycleStatus.ACTIVE)
    achievement_status = forms.ChoiceField(
        choices=GoalAchievementStatus.choices, initial=GoalAchievementStatus.IN_PROGRESS
    )
    measure_display = forms.CharField(max_length=120, required=False, label="Measure (e.g. Hemoglobin A1c)")
    target_comparator = forms.ChoiceField(
        choices=_blank(TargetComparator.choices, "No target"), required=False, label="Target"
    )
    target_value = forms.DecimalField(required=False, max_digits=10, decimal_places=2)
    target_value_high = forms.DecimalField(required=False, max_digits=10, decimal_places=2, label="Upper value")
    target_unit = forms.CharField(max_length=30, required=False, label="Unit")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        entered = any(data.get(name) not in (None, "") for name in ("target_value", "target_value_high", "target_unit"))
        if entered and not data.get("target_comparator") and "target_comparator" not in self.errors:
            self.add_error("target_comparator", "Choose how the result compares with the target, or clear the target.")
        return data

    def goal_data(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class GoalStatusForm(forms.Form):
    """The inline edit of a goal's progress on the plan page."""

    lifecycle_status = forms.ChoiceField(choices=GoalLifecycleStatus.choices, label="Status")
    achievement_status = forms.ChoiceField(choices=GoalAchievementStatus.choices, label="Progress")
    version = forms.IntegerField(widget=forms.HiddenInput)


class TaskForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=TaskKind.choices)
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.ROUTINE)
    due_date = forms.DateField(widget=DATE)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Owner (a person)")
    owner_role = forms.ChoiceField(choices=_blank(TASK_OWNER_ROLE_CHOICES, "—"), required=False, label="…or a role")
    goal = forms.ChoiceField(required=False, label="Toward goal")
    repeat = forms.ChoiceField(choices=_blank(RecurrenceFrequency.choices, "Does not repeat"), required=False)
    repeat_interval = forms.IntegerField(
        min_value=1, max_value=52, initial=1, required=False, label="Every (days, weeks or months)"
    )
    repeat_count = forms.IntegerField(min_value=2, max_value=366, required=False, label="Times in all")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=10_000)
    confirm_past_due = forms.BooleanField(
        required=False, label="This date is past: the task will be overdue. Save anyway."
    )

    def __init__(self, *args, members, goals=(), today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members
        self.goals = {str(g.public_id): g for g in goals}
        self.fields["goal"].choices = [("", "—"), *[(key, g.description) for key, g in self.goals.items()]]
        self.today = today

    @property
    def asks_past_due_confirmation(self) -> bool:
        """Whether the form shows the "Save anyway" box: when the due date it was sent is before today."""
        if not self.is_bound or self.today is None:
            return False
        try:
            due = self.fields["due_date"].clean(self.data.get(self.add_prefix("due_date")))
        except forms.ValidationError:
            return False
        return past_due_date_problem(due, self.today) is not None

    def clean(self):
        data = super().clean()
        if self.today is not None and not data.get("confirm_past_due"):
            problem = past_due_date_problem(data.get("due_date"), self.today)
            if problem:
                self.add_error("due_date", problem)
        if not data.get("owner") and not data.get("owner_role"):
            self.add_error("owner", "Choose a person or a role to own the task.")
        if data.get("owner") and data.get("owner_role"):
            self.add_error("owner_role", "Choose a person or a role, not both.")
        if data.get("repeat") and not data.get("repeat_count"):
            self.add_error("repeat_count", "Say how many times it repeats.")
        return data

    def recurrence(self) -> dict:
        if not self.cleaned_data.get("repeat"):
            return {}
        return {
            "frequency": self.cleaned_data["repeat"],
            "interval": self.cleaned_data.get("repeat_interval") or 1,
            "count": self.cleaned_data["repeat_count"],
        }

    def task_data(self) -> dict:
        """The keyword arguments of services.careplan_task_add."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "kind": data["kind"],
            "priority": data["priority"],
            "due_date": data["due_date"],
            "owner": data.get("owner"),
            "owner_role": data.get("owner_role") or "",
            "goal": self.goals.get(data.get("goal") or ""),
            "recurrence": self.recurrence(),
            "description": data.get("description", ""),
            "allow_past_due": bool(data.get("confirm_past_due")),
        }
