"""Forms of the organization's care-plan templates. They validate input; template_services acts."""

import re

from django import forms

from carecoord.core.choices import Role

from .choices import (
    TASK_OWNER_ROLE_CHOICES,
    CarePlanCategory,
    RecurrenceFrequency,
    TargetComparator,
    TaskKind,
    TaskPriority,
)
from .template_services import MAX_OFFSET_DAYS


def _blank(choices, label: str):
    return [("", label), *choices]


def _offset_field(*, required: bool, label: str, help_text: str = "") -> forms.IntegerField:
    message = f"Give a number of days from 0 (the start day) to {MAX_OFFSET_DAYS}."
    return forms.IntegerField(
        required=required,
        min_value=0,
        max_value=MAX_OFFSET_DAYS,
        label=label,
        help_text=help_text,
        error_messages={"min_value": message, "max_value": message, "invalid": message},
    )


class TemplateForm(forms.Form):
    """A template's details: on the list page (a new template) and on its edit page (with its version)."""

    title = forms.CharField(max_length=200)
    category = forms.ChoiceField(choices=CarePlanCategory.choices, label="Kind of plan")
    condition_codes = forms.CharField(
        max_length=300,
        required=False,
        label="Condition codes (ICD-10-CM)",
        help_text="The conditions it is meant for, separated by commas, e.g. E11.9, I10.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    active = forms.BooleanField(required=False, label="Active (offered when a care plan is started)")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["active"]
            del self.fields["version"]

    @classmethod
    def initial_for(cls, template) -> dict:
        return {
            "title": template.title,
            "category": template.category,
            "condition_codes": ", ".join(template.condition_codes or []),
            "description": template.description,
            "active": template.active,
            "version": template.version,
        }

    def clean_condition_codes(self) -> list[str]:
        raw = self.cleaned_data.get("condition_codes") or ""
        return [code.upper() for code in re.split(r"[\s,;]+", raw) if code]

    def template_data(self) -> dict:
        """The `data` of template_services.template_create / template_update."""
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class TemplateActiveForm(forms.Form):
    """Retires a template or brings it back, from its page."""

    active = forms.TypedChoiceField(choices=[("1", "Active"), ("0", "Inactive")], coerce=lambda v: v == "1")
    version = forms.IntegerField(widget=forms.HiddenInput)


class TemplateGoalForm(forms.Form):
    description = forms.CharField(max_length=300)
    due_offset_days = _offset_field(
        required=False, label="Due on day", help_text="Days after the plan's start; leave empty for no due date."
    )
    measure_display = forms.CharField(max_length=120, required=False, label="Measure (e.g. Hemoglobin A1c)")
    measure_code = forms.CharField(max_length=20, required=False, label="LOINC code (optional)")
    target_comparator = forms.ChoiceField(
        choices=_blank(TargetComparator.choices, "No target"), required=False, label="Target"
    )
    target_value = forms.DecimalField(required=False, max_digits=10, decimal_places=2)
    target_value_high = forms.DecimalField(required=False, max_digits=10, decimal_places=2, label="Upper value")
    target_unit = forms.CharField(max_length=30, required=False, label="Unit")

    @classmethod
    def initial_for(cls, goal) -> dict:
        initial = {name: getattr(goal, name) for name in cls.base_fields}
        for name in ("target_value", "target_value_high"):  # 7, not the stored 7.00
            if initial[name] is not None:
                initial[name] = f"{initial[name].normalize():f}"
        return initial

    def goal_data(self) -> dict:
        """The `data` of template_services.template_goal_add / template_goal_update."""
        return dict(self.cleaned_data)


class TemplateTaskForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=TaskKind.choices)
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.ROUTINE)
    owner_role = forms.ChoiceField(
        choices=TASK_OWNER_ROLE_CHOICES,
        initial=Role.COORDINATOR,
        label="Owner role",
        help_text="A coordinator task goes to the patient's coordinator when there is one.",
    )
    offset_days = _offset_field(
        required=True, label="Due on day", help_text="Days after the plan's start: 0 is the start day."
    )
    goal = forms.ChoiceField(required=False, label="Toward goal")
    recurrence_frequency = forms.ChoiceField(
        choices=_blank(RecurrenceFrequency.choices, "Does not repeat"), required=False, label="Repeat"
    )
    recurrence_interval = forms.IntegerField(
        min_value=1, max_value=52, initial=1, required=False, label="Every (days, weeks or months)"
    )
    recurrence_count = forms.IntegerField(min_value=2, max_value=366, required=False, label="Times in all")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, goals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.goals = {str(goal.pk): goal for goal in goals}
        self.fields["goal"].choices = [("", "—"), *[(key, g.description) for key, g in self.goals.items()]]

    @classmethod
    def initial_for(cls, task) -> dict:
        initial = {name: getattr(task, name) for name in cls.base_fields if name != "goal"}
        initial["goal"] = str(task.goal_id) if task.goal_id else ""
        return initial

    def clean(self):
        data = super().clean()
        if data.get("recurrence_frequency") and not data.get("recurrence_count"):
            self.add_error("recurrence_count", "Say how many times it repeats.")
        return data

    def task_data(self) -> dict:
        """The `data` of template_services.template_task_add / template_task_update."""
        data = dict(self.cleaned_data)
        data["goal"] = self.goals.get(data.get("goal") or "")
        data["recurrence_interval"] = data.get("recurrence_interval") or 1
        return data
