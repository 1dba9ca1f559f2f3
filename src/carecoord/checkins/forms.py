"""Forms of check-ins: policy, cadence, outreach, progress notes, addenda, questionnaires, timeline filters."""

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django import forms
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue

from carecoord.careplans.choices import GoalAchievementStatus
from carecoord.core import clock

from . import notes as note_rules
from .choices import Adherence, Barrier, EscalationAction, OutreachMethod, OutreachOutcome
from .domain import MAX_ENTRY_MINUTES
from .instruments import Instrument
from .selectors import TIMELINE_KINDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
PATIENT_CONTACT = "patient"


def local_now(tz) -> dt.datetime:
    """Now in the organization's time zone, naive and to the minute (what a datetime-local input shows)."""
    return clock.now().astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input read in the organization's time zone (set `tz` after the form is built)."""

    widget = DATETIME
    tz = None

    def to_python(self, value):
        result = super().to_python(value)
        if result is None or self.tz is None:
            return result
        return result.replace(tzinfo=None).replace(tzinfo=self.tz)


def careplan_labels(plans: Iterable) -> dict[int, str]:
    """
    Each care plan's label, by primary key: its title, with its author and organization added where another
    of `plans` has the same title (and its start date, where even those are the same). Reads `author` and
    `organization`: select them with the plans.
    """
    plans = list(plans)
    titles = Counter(plan.title for plan in plans)
    labels = {
        plan.pk: f"{plan.title} — {plan.author}, {plan.organization.name}" if titles[plan.title] > 1 else plan.title
        for plan in plans
    }
    repeated = Counter(labels.values())
    for plan in plans:
        if repeated[labels[plan.pk]] > 1:
            day = plan.start_date
            labels[plan.pk] += f", started {day:%b} {day.day}, {day.year}"
    return labels


class _CarePlanChoices(ModelChoiceIterator):
    """Reads the plans once and labels them together, so plans with the same title can be told apart."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        plans = list(self.queryset)
        labels = careplan_labels(plans)
        for plan in plans:
            yield (ModelChoiceIteratorValue(self.field.prepare_value(plan), plan), labels[plan.pk])


class CarePlanChoiceField(forms.ModelChoiceField):
    """A care plan dropdown; give it plans with `author` and `organization` selected (no query per option)."""

    iterator = _CarePlanChoices


class CheckinPolicyForm(forms.Form):
    high_risk_interval_days = forms.IntegerField(min_value=1, max_value=365, label="High-risk patients: every (days)")
    default_interval_days = forms.IntegerField(min_value=1, max_value=365, label="Other patients: every (days)")
    failed_attempts_to_escalate = forms.IntegerField(
        min_value=1, max_value=20, label="Escalate after this many failed attempts in a row"
    )
    escalation_action = forms.ChoiceField(choices=EscalationAction.choices, label="On escalation")

    @classmethod
    def initial_for(cls, policy) -> dict:
        return {name: getattr(policy, name) for name in cls.base_fields}


class CadenceForm(forms.Form):
    HIGH_RISK, STANDARD, CUSTOM = "high_risk", "standard", "custom"
    preset = forms.ChoiceField(label="How often", widget=forms.RadioSelect)
    interval_days = forms.IntegerField(
        min_value=1, max_value=365, required=False, label="Every (days)", help_text="For “Another interval”."
    )
    reason = forms.CharField(max_length=200, required=False)
    careplan = CarePlanChoiceField(queryset=None, required=False, label="Care plan", empty_label="None")
    first_due = forms.DateField(
        widget=DATE, required=False, label="First check-in due", help_text="Blank: one interval from the last contact."
    )

    def __init__(self, *args, policy, careplans, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.fields["preset"].choices = [
            (self.HIGH_RISK, f"High risk: every {policy.high_risk_interval_days} days"),
            (self.STANDARD, f"Standard: every {policy.default_interval_days} days"),
            (self.CUSTOM, "Another interval"),
        ]
        self.fields["careplan"].queryset = careplans

    def clean(self):
        data = super().clean()
        preset = data.get("preset")
        if preset == self.HIGH_RISK:
            data["interval_days"] = self.policy.high_risk_interval_days
        elif preset == self.STANDARD:
            data["interval_days"] = self.policy.default_interval_days
        elif preset == self.CUSTOM and not data.get("interval_days"):
            self.add_error("interval_days", "Give the number of days between check-ins.")
        return data

    def service_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("interval_days", "reason", "careplan", "first_due")}


class OutreachForm(forms.Form):
    method = forms.ChoiceField(choices=OutreachMethod.choices, initial=OutreachMethod.PHONE)
    outcome = forms.ChoiceField(choices=OutreachOutcome.choices, widget=forms.RadioSelect)
    occurred_at = LocalDateTimeField(label="When")
    contact = forms.ChoiceField(label="Who was contacted")
    note = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    task = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # Shown with a task (the worklist's "Log call"): the call's minutes and completing the task, in one save.
    minutes = forms.IntegerField(
        min_value=1,
        max_value=MAX_ENTRY_MINUTES,
        required=False,
        label="Minutes spent",
        help_text="Optional. Recorded as care-management time for a call, on the day of the call.",
    )
    complete_task = forms.BooleanField(
        required=False,
        label="Complete the task",
        widget=forms.CheckboxInput(attrs={"aria-describedby": "complete-task-when"}),  # the page says when
    )
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, tz, related_persons, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {
            "occurred_at": local_now(tz),
            "contact": PATIENT_CONTACT,
            "complete_task": True,
            **kwargs["initial"],
        }
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].tz = tz
        self.people = {str(p.public_id): p for p in related_persons}
        self.fields["contact"].choices = [(PATIENT_CONTACT, "The patient")] + [
            (key, f"{p.display_name} ({p.get_relationship_display()})") for key, p in self.people.items()
        ]

    def related_person(self):
        return self.people.get(self.cleaned_data["contact"])


class NoteForm(forms.Form):
    """A progress note's fields, shaped by its template: the structured sections it shows, goals, participants."""

    title = forms.CharField(max_length=200)
    occurred_at = LocalDateTimeField(label="When it happened")
    symptoms = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    adherence = forms.ChoiceField(choices=Adherence.choices, required=False, label="Medication adherence")
    barriers = forms.MultipleChoiceField(choices=Barrier.choices, required=False, widget=forms.CheckboxSelectMultiple)
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 8}), label="Note", max_length=20_000)
    participant_patient = forms.BooleanField(required=False, label="The patient")
    participant_family = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, label="Family")
    participant_providers = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Care team"
    )
    participant_other = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label="Others",
        help_text="One name a line.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, template, tz, goals, related_persons, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = note_rules.note_template(template)
        self.fields["occurred_at"].tz = tz
        self.fields["body"].help_text = self.template.prompt
        for section in ("symptoms", "adherence", "barriers"):
            if not self.template.shows(section):
                del self.fields[section]
        self.family = {str(p.public_id): p.display_name for p in related_persons}
        self.providers = dict(providers)
        self.fields["participant_family"].choices = list(self.family.items())
        self.fields["participant_providers"].choices = list(self.providers.items())
        self.goals = goals if self.template.shows(note_rules.GOALS) else []
        for index in range(len(self.goals)):
            self.fields[f"goal_{index}_progress"] = forms.CharField(
                required=False, max_length=2000, label="Progress", widget=forms.Textarea(attrs={"rows": 2})
            )
            self.fields[f"goal_{index}_status"] = forms.ChoiceField(
                required=False, label="Goal status", choices=[("", "Leave as it is"), *GoalAchievementStatus.choices]
            )

    def goal_rows(self) -> list[tuple]:
        """(goal, progress field, status field) for the template."""
        return [(g, self[f"goal_{i}_progress"], self[f"goal_{i}_status"]) for i, g in enumerate(self.goals)]

    def goal_groups(self) -> list[tuple[str, list[tuple]]]:
        """
        The goal rows by care plan, each group under its plan's label (with its author and organization where
        two plans share a title), in the order of `goals`.
        """
        labels = careplan_labels({g.careplan.pk: g.careplan for g in self.goals}.values())
        groups: list[tuple[str, list[tuple]]] = []
        last_plan = None
        for row in self.goal_rows():
            if row[0].careplan_id != last_plan:
                last_plan = row[0].careplan_id
                groups.append((labels[last_plan], []))
            groups[-1][1].append(row)
        return groups

    def note_data(self, patient) -> dict:
        data = self.cleaned_data
        structured: dict = {}
        for section in ("symptoms", "adherence", "barriers"):
            if section in self.fields:
                structured[section] = data[section]
        structured["goals"] = [
            {"goal": str(g.public_id), "progress": data[f"goal_{i}_progress"], "status": data[f"goal_{i}_status"]}
            for i, g in enumerate(self.goals)
        ]
        return {
            "title": data["title"],
            "occurred_at": data["occurred_at"],
            "body": data["body"],
            "structured": structured,
            "participants": self._participants(patient),
        }

    def _participants(self, patient) -> list[dict]:
        data = self.cleaned_data
        people = [{"kind": "patient", "name": patient.display_name}] if data["participant_patient"] else []
        people += [{"kind": "family", "id": k, "name": self.family[k]} for k in data["participant_family"]]
        people += [{"kind": "provider", "id": k, "name": self.providers[k]} for k in data["participant_providers"]]
        people += [
            {"kind": "other", "name": line.strip()} for line in data["participant_other"].splitlines() if line.strip()
        ]
        return people

    @staticmethod
    def initial_for(note, tz, goals) -> dict:
        """A form's initial values from a saved draft."""
        structured, people = note.structured or {}, note.participants or []
        initial = {
            "title": note.title,
            "occurred_at": note.occurred_at.astimezone(tz).replace(tzinfo=None),
            "body": note.body,
            "symptoms": structured.get("symptoms", ""),
            "adherence": structured.get("adherence", ""),
            "barriers": structured.get("barriers", []),
            "participant_patient": any(p["kind"] == "patient" for p in people),
            "participant_family": [p.get("id") for p in people if p["kind"] == "family"],
            "participant_providers": [p.get("id") for p in people if p["kind"] == "provider"],
            "participant_other": "\n".join(p["name"] for p in people if p["kind"] == "other"),
            "version": note.version,
        }
        progress = {row["goal"]: row for row in structured.get("goals", [])}
        for index, goal in enumerate(goals):
            row = progress.get(str(goal.public_id), {})
            initial[f"goal_{index}_progress"] = row.get("progress", "")
            initial[f"goal_{index}_status"] = row.get("status", "")
        return initial


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class AddendumForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000, label="Addendum")


class AssessmentForm(forms.Form):
    """One questionnaire: a radio group per item with the instrument's answers."""

    occurred_at = LocalDateTimeField(label="When it was given")

    def __init__(self, *args, instrument: Instrument, tz, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("occurred_at", local_now(tz))
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.fields["occurred_at"].tz = tz
        for number, item in enumerate(instrument.items, start=1):
            self.fields[item.link_id] = forms.TypedChoiceField(
                label=f"{number}. {item.text}",
                choices=[(value, text) for value, text in instrument.answers],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose an answer."},
            )

    def item_fields(self):
        return [self[item.link_id] for item in self.instrument.items]

    def answers(self) -> dict[str, int]:
        return {item.link_id: self.cleaned_data[item.link_id] for item in self.instrument.items}


class TimelineFilterForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        choices=list(TIMELINE_KINDS.items()), required=False, widget=forms.CheckboxSelectMultiple, label="Show"
    )
    date_from = forms.DateField(widget=DATE, required=False, label="From")
    date_to = forms.DateField(widget=DATE, required=False, label="To")
    page = forms.IntegerField(min_value=1, max_value=1000, required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end is before the start.")
        return data
