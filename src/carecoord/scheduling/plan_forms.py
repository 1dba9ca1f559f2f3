"""Forms of visit plans and recurring series. They validate input and shape it for the services."""

import datetime as dt

from django import forms

from carecoord.directory.models import Location, Practitioner

from .choices import CancellationReason, Weekday
from .models import AppointmentType
from .planning_selectors import visit_locations

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
MAX_VISIT_ROWS = 12
MAX_ORDER_ROWS = 12


def _weekdays_field(label: str, *, required: bool) -> forms.TypedMultipleChoiceField:
    return forms.TypedMultipleChoiceField(
        choices=Weekday.choices, coerce=int, required=required, label=label, widget=forms.CheckboxSelectMultiple
    )


class _OrgChoices:
    """
    Sets the organization's active types, practitioners and places of care (no pharmacy or payer office) on the
    form's choice fields; a location outside them fails validation like a stranger's.
    """

    def set_choices(self, organization) -> None:
        querysets = {
            "appointment_type": AppointmentType.objects.filter(organization=organization, active=True),
            "practitioner": Practitioner.objects.filter(organization=organization, active=True),
            "location": visit_locations(organization),
        }
        for name, queryset in querysets.items():
            if name in self.fields:
                self.fields[name].queryset = queryset


# --- visit plans --------------------------------------------------------------------------------------------


class PlanForm(forms.Form):
    """The plan as a whole: title, care plan, search window and the patient's availability."""

    title = forms.CharField(max_length=200)
    careplan = forms.TypedChoiceField(required=False, label="For care plan", empty_value=None)
    first_day = forms.DateField(widget=DATE, label="Search from")
    last_day = forms.DateField(widget=DATE, label="Search until")
    weekdays = _weekdays_field("Days the patient can come (none = any)", required=False)
    earliest_time = forms.TimeField(widget=TIME, required=False, label="Not before (time)")
    latest_time = forms.TimeField(widget=TIME, required=False, label="Done by (time)")
    needs_transport = forms.BooleanField(required=False, label="Needs transport (fewer trips matter most)")

    def __init__(self, *args, careplans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.careplans = {str(plan.public_id): plan for plan in careplans}
        self.fields["careplan"].choices = [("", "None")] + [(key, plan.title) for key, plan in self.careplans.items()]

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", "The search window ends before it starts.")
        elif first and last and (last - first).days > 92:
            self.add_error("last_day", "Search at most 92 days at a time.")
        early, late = data.get("earliest_time"), data.get("latest_time")
        if early and late and late <= early:
            self.add_error("latest_time", "The patient's day ends before it starts.")
        return data

    def chosen_careplan(self):
        return self.careplans.get(self.cleaned_data.get("careplan") or "")


class VisitForm(_OrgChoices, forms.Form):
    """One visit the plan needs; with times a week and weeks it repeats (PT twice a week for 3 weeks)."""

    label = forms.CharField(max_length=80)
    appointment_type = forms.ModelChoiceField(queryset=AppointmentType.objects.none(), to_field_name="public_id")
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.none(), required=False, to_field_name="public_id", empty_label="Anyone"
    )
    specialty_code = forms.ChoiceField(required=False, label="Specialty")
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, to_field_name="public_id", empty_label="Any location"
    )
    times_per_week = forms.IntegerField(min_value=1, max_value=7, required=False, label="Times a week")
    weeks = forms.IntegerField(min_value=1, max_value=12, required=False)
    not_before = forms.DateField(widget=DATE, required=False, label="Not before")
    deadline = forms.DateField(widget=DATE, required=False, label="Done by")

    def __init__(self, *args, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices(organization)
        specialties = (
            Practitioner.objects.filter(organization=organization, active=True)
            .exclude(specialty_code="")
            .values_list("specialty_code", "specialty_display")
            .distinct()
            .order_by("specialty_display")
        )
        self.fields["specialty_code"].choices = [("", "Any"), *((code, name or code) for code, name in specialties)]

    def clean(self):
        data = super().clean()
        if bool(data.get("times_per_week")) != bool(data.get("weeks")):
            self.add_error("weeks", "For a repeating visit give both times a week and weeks.")
        start, end = data.get("not_before"), data.get("deadline")
        if start and end and end < start:
            self.add_error("deadline", "The deadline is before the not-before date.")
        return data


class OrderForm(forms.Form):
    """A gap between two visits of the plan, by their row numbers."""

    after = forms.TypedChoiceField(coerce=int, empty_value=None, label="Visit")
    kind = forms.ChoiceField(
        choices=[("at_least", "at least"), ("within", "within")], initial="at_least", label="comes"
    )
    days = forms.IntegerField(min_value=0, max_value=90, label="days after")
    before = forms.TypedChoiceField(coerce=int, empty_value=None, label="visit")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        numbers = [("", "—")] + [(n, f"Visit {n}") for n in range(1, MAX_VISIT_ROWS + 1)]
        self.fields["before"].choices = numbers
        self.fields["after"].choices = numbers

    def clean(self):
        data = super().clean()
        if data.get("before") and data.get("before") == data.get("after"):
            self.add_error("after", "Choose two different visits.")
        return data


VisitFormSet = forms.formset_factory(
    VisitForm, extra=2, min_num=1, validate_min=True, max_num=MAX_VISIT_ROWS, validate_max=True
)
OrderFormSet = forms.formset_factory(OrderForm, extra=2, max_num=MAX_ORDER_ROWS, validate_max=True)


def _visit_json(number: int, data: dict) -> dict:
    return {
        "key": f"v{number}",
        "label": data["label"],
        "appointment_type": str(data["appointment_type"].public_id),
        "practitioner": str(data["practitioner"].public_id) if data.get("practitioner") else "",
        "specialty_code": data.get("specialty_code") or "",
        "location": str(data["location"].public_id) if data.get("location") else "",
        "times_per_week": data.get("times_per_week"),
        "weeks": data.get("weeks"),
        "not_before": data["not_before"].isoformat() if data.get("not_before") else "",
        "deadline": data["deadline"].isoformat() if data.get("deadline") else "",
    }


def plan_request_from(plan_form: PlanForm, visits: VisitFormSet, orders: OrderFormSet) -> dict | None:
    """The plan's request JSON from three valid forms, or None after adding an error for a bad visit number."""
    rows = [form.cleaned_data for form in visits.forms if form.cleaned_data]
    numbered = {n: data for n, data in enumerate(rows, start=1)}
    gaps = []
    for form in orders.forms:
        data = form.cleaned_data
        if not data:
            continue
        if data["before"] not in numbered or data["after"] not in numbered:
            form.add_error("after", f"This plan has visits 1 to {len(numbered)}.")
            return None
        gaps.append(
            {"before": f"v{data['before']}", "after": f"v{data['after']}", "kind": data["kind"], "days": data["days"]}
        )
    data = plan_form.cleaned_data
    return {
        "window": {"first_day": data["first_day"].isoformat(), "last_day": data["last_day"].isoformat()},
        "availability": {
            "weekdays": sorted(data.get("weekdays") or []),
            "earliest_time": data["earliest_time"].strftime("%H:%M") if data.get("earliest_time") else "",
            "latest_time": data["latest_time"].strftime("%H:%M") if data.get("latest_time") else "",
            "needs_transport": bool(data.get("needs_transport")),
        },
        "visits": [_visit_json(n, row) for n, row in numbered.items()],
        "orders": gaps,
    }


def availability_initial(preference, today: dt.date) -> dict:
    """The plan form's starting values: a four-week window from tomorrow and the patient's stored availability."""
    initial = {"first_day": today + dt.timedelta(days=1), "last_day": today + dt.timedelta(days=29)}
    if preference is not None:
        initial.update(
            weekdays=list(preference.weekdays or []),
            earliest_time=preference.earliest_time,
            latest_time=preference.latest_time,
            needs_transport=preference.needs_transport,
        )
    return initial


# --- recurring series ---------------------------------------------------------------------------------------


class SeriesForm(_OrgChoices, forms.Form):
    """A recurring visit: who, where, which days and time, from when, and how many (weeks or occurrences)."""

    appointment_type = forms.ModelChoiceField(queryset=AppointmentType.objects.none(), to_field_name="public_id")
    practitioner = forms.ModelChoiceField(queryset=Practitioner.objects.none(), to_field_name="public_id")
    location = forms.ModelChoiceField(queryset=Location.objects.none(), to_field_name="public_id")
    weekdays = _weekdays_field("Weekdays", required=True)
    local_time = forms.TimeField(widget=TIME, label="Time")
    first_date = forms.DateField(widget=DATE, label="First date")
    weeks = forms.IntegerField(min_value=1, max_value=52, required=False, help_text="Or give the occurrences.")
    occurrences = forms.IntegerField(min_value=1, max_value=104, required=False)

    def __init__(self, *args, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices(organization)

    def chosen(self, name: str):
        """The choice made so far in field `name` (submitted, or asked for by htmx), or None if none or invalid."""
        value = self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)
        try:
            return self.fields[name].clean(value) if value else None
        except forms.ValidationError:
            return None

    def clean(self):
        data = super().clean()
        weeks, count = data.get("weeks"), data.get("occurrences")
        if not weeks and not count:
            self.add_error("occurrences", "Give the number of weeks or of occurrences.")
        elif weeks and not count and data.get("weekdays"):
            data["occurrences"] = min(104, weeks * len(data["weekdays"]))
        return data

    def series_data(self) -> dict:
        """The keyword arguments `series_check` and `series_book` take."""
        names = ("appointment_type", "practitioner", "location", "weekdays", "local_time", "first_date", "occurrences")
        return {name: self.cleaned_data[name] for name in names}


class SeriesSkipForm(forms.Form):
    """The occurrences the coordinator agreed to skip (numbers from 1, as listed by the check)."""

    skip = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.MultipleHiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skip"].choices = [(n, n) for n in range(1, 105)]


class SeriesCancelRestForm(forms.Form):
    from_number = forms.IntegerField(min_value=1, max_value=104, label="From occurrence")
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *CancellationReason.choices])
    note = forms.CharField(max_length=300, required=False)


class SeriesChangeRestForm(forms.Form):
    from_number = forms.IntegerField(min_value=1, max_value=104, label="From occurrence")
    weekdays = _weekdays_field("New weekdays", required=True)
    local_time = forms.TimeField(widget=TIME, label="New time")
    starting = forms.DateField(widget=DATE, required=False, label="Starting on (optional)")
