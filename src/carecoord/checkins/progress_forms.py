"""Forms of the Progress tab, therapy plans and the billing-readiness report. They validate input; services act."""

import datetime as dt
import zoneinfo

from django import forms
from django.utils import timezone

from carecoord.directory.models import Practitioner
from carecoord.scheduling.models import AppointmentType

from .choices import ActivityType, CareProgram, TherapyDiscipline, TimeKind
from .domain import MAX_ENTRY_MINUTES, MAX_VISITS_BETWEEN_REPORTS, NOT_A_BILLING_PRACTITIONER, time_day_problem
from .forms import CarePlanChoiceField
from .measures import MEASURES
from .therapy_taxonomy import NOT_A_THERAPIST, group_by_discipline

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
KIND_CHOICES = [(m.key, m.label) for m in MEASURES.values()]


class MeasurementForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "Choose…"), *KIND_CHOICES], label="Measurement")
    value = forms.DecimalField(max_digits=10, decimal_places=2, label="Value (systolic for blood pressure)")
    value2 = forms.DecimalField(max_digits=10, decimal_places=2, required=False, label="Diastolic")
    occurred_at = forms.DateTimeField(widget=DATETIME, label="When measured", input_formats=["%Y-%m-%dT%H:%M"])
    goal = forms.ChoiceField(required=False, label="Toward goal")
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, goals=(), tz: zoneinfo.ZoneInfo | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.goals = {str(g.public_id): g for g in goals}
        self.fields["goal"].choices = [("", "The matching open goal, if any")] + [
            (key, goal.description) for key, goal in self.goals.items()
        ]
        self.tz = tz

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        if self.tz is not None and value is not None:
            # The browser sends wall-clock time without a zone: it is the organization's.
            wall = timezone.make_naive(value) if timezone.is_aware(value) else value
            value = wall.replace(tzinfo=self.tz)
        return value

    def service_args(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "value": data["value"],
            "value2": data.get("value2"),
            "occurred_at": data["occurred_at"],
            "goal": self.goals.get(data.get("goal") or ""),
            "note": data.get("note", ""),
        }


class MeasurementErrorForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False)


def _kind_field():
    return forms.ChoiceField(
        choices=[("", "From my role"), *TimeKind.choices],
        required=False,
        label="Whose time",
        help_text="A provider's time counts as physician/QHP time; anyone else's as clinical staff time.",
    )


class TimerStartForm(forms.Form):
    activity = forms.ChoiceField(choices=ActivityType.choices)
    kind = _kind_field()
    note = forms.CharField(max_length=300, required=False)
    stop_running = forms.BooleanField(required=False, widget=forms.HiddenInput)


class TimerStopForm(forms.Form):
    minutes = forms.IntegerField(min_value=1, max_value=MAX_ENTRY_MINUTES, required=False)


class TimeAddForm(forms.Form):
    activity = forms.ChoiceField(choices=ActivityType.choices)
    minutes = forms.IntegerField(min_value=1, max_value=MAX_ENTRY_MINUTES)
    on_date = forms.DateField(widget=DATE, label="Date")
    kind = _kind_field()
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_on_date(self):
        # The service's rule, checked here too so it shows with the form's own errors on the same submit.
        value = self.cleaned_data["on_date"]
        problem = time_day_problem(value, self.today) if self.today else None
        if problem:
            raise forms.ValidationError(problem)
        return value


class TimeErrorForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False)


class EnrollmentForm(forms.Form):
    program = forms.ChoiceField(choices=CareProgram.choices)
    consent_on = forms.DateField(widget=DATE, label="Consent given on")
    billing_practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.none(),
        required=False,
        label="Billing practitioner",
        help_text="A physician, NP, PA, CNS or CNM of your organization (by their specialty in the directory).",
        error_messages={"invalid_choice": NOT_A_BILLING_PRACTITIONER},
    )
    start_date = forms.DateField(widget=DATE, label="Start")
    end_date = forms.DateField(widget=DATE, required=False, label="End")

    def __init__(self, *args, practitioners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if practitioners is not None:
            self.fields["billing_practitioner"].queryset = practitioners


class EnrollmentEndForm(forms.Form):
    end_date = forms.DateField(widget=DATE, label="Last day in the program")


class TherapistChoiceField(forms.ModelChoiceField):
    """A therapist, listed under their discipline (therapy_taxonomy); an outside practice's says which."""

    def label_from_instance(self, obj) -> str:
        outside = obj.external_organization
        return f"{obj.display_name} ({outside.name})" if outside else obj.display_name

    def group(self, therapists) -> None:
        """Lists `therapists` (the queryset) in one <optgroup> per discipline; validation still reads the queryset."""
        groups = group_by_discipline(therapists)
        self.choices = [
            ("", self.empty_label or ""),
            *[(label, [(p.pk, self.label_from_instance(p)) for p in people]) for label, people in groups],
        ]


class TherapyPlanForm(forms.Form):
    discipline = forms.ChoiceField(choices=[("", "Choose…"), *TherapyDiscipline.choices])
    referring_practitioner = forms.ModelChoiceField(queryset=Practitioner.objects.none(), required=False)
    therapist = TherapistChoiceField(
        queryset=Practitioner.objects.none(),
        required=False,
        help_text="Physical and occupational therapists, speech-language pathologists and therapy assistants.",
        error_messages={"invalid_choice": NOT_A_THERAPIST},
    )
    certification_start = forms.DateField(widget=DATE)
    certification_end = forms.DateField(widget=DATE)
    visits_planned = forms.IntegerField(min_value=1, max_value=365)
    progress_report_every = forms.IntegerField(
        min_value=1,
        max_value=MAX_VISITS_BETWEEN_REPORTS,
        initial=MAX_VISITS_BETWEEN_REPORTS,
        label="Progress report every (visits)",
    )
    appointment_types = forms.ModelMultipleChoiceField(
        queryset=AppointmentType.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Fulfilled appointments of these types count as the plan's visits.",
    )
    careplan = CarePlanChoiceField(queryset=None, required=False, label="Care plan")
    active = forms.BooleanField(required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, practitioners, therapists, appointment_types, careplans, types_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referring_practitioner"].queryset = practitioners
        self.fields["therapist"].queryset = therapists
        self.fields["therapist"].group(therapists)
        self.fields["appointment_types"].queryset = appointment_types
        self.fields["careplan"].queryset = careplans
        if types_url:
            # Choosing the discipline ticks its visit types (therapy_views: the form's GET with ?discipline=).
            self.fields["discipline"].widget.attrs.update(
                {"hx-get": types_url, "hx-trigger": "change", "hx-target": "#therapy-types", "hx-swap": "outerHTML"}
            )

    def clean(self):
        data = super().clean()
        start, end = data.get("certification_start"), data.get("certification_end")
        if start and end and end < start:
            self.add_error("certification_end", "The certification period ends before it starts.")
        return data

    def plan_data(self) -> dict:
        keys = (
            "discipline",
            "referring_practitioner",
            "therapist",
            "certification_start",
            "certification_end",
            "visits_planned",
            "progress_report_every",
            "careplan",
            "active",
        )
        return {k: self.cleaned_data[k] for k in keys}

    @staticmethod
    def initial_for(plan) -> dict:
        return {
            "discipline": plan.discipline,
            "referring_practitioner": plan.referring_practitioner,
            "therapist": plan.therapist,
            "certification_start": plan.certification_start,
            "certification_end": plan.certification_end,
            "visits_planned": plan.visits_planned,
            "progress_report_every": plan.progress_report_every,
            "appointment_types": list(plan.appointment_types.all()),
            "careplan": plan.careplan,
            "active": plan.active,
            "version": plan.version,
        }


class MonthForm(forms.Form):
    """?month=YYYY-MM and ?sort= of the billing-readiness report."""

    month = forms.RegexField(regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False)
    sort = forms.ChoiceField(
        choices=[
            ("name", "Patient"),
            ("program", "Program"),
            ("staff", "Staff minutes"),
            ("physician", "Physician minutes"),
            ("close", "Closest to the next code"),
        ],
        required=False,
    )

    def year_month(self, today: dt.date) -> tuple[int, int]:
        value = self.cleaned_data.get("month") if self.is_valid() else None
        if not value:
            return today.year, today.month
        year, month = value.split("-")
        return int(year), int(month)

    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or "name"
