"""Forms of the transitions pages: the dashboard's filters and what a coordinator records on an episode."""

from django import forms

from carecoord.checkins.choices import OutreachMethod

from .choices import CONTACT_METHODS, Complexity, TransitionStep

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DISCHARGED = [("", "Any day"), ("today", "Today"), ("yesterday", "Yesterday"), ("week", "In the last 7 days")]
SORTS = [("", "Nearest deadline first"), ("discharge", "Latest discharge first")]
RISKS = [("", "Any risk"), ("high", "High (LACE 10+)"), ("moderate", "Moderate (LACE 5-9)"), ("low", "Low (LACE 0-4)")]


class DashboardFilterForm(forms.Form):
    """
    Facility, LACE risk band, "late only", the discharge day (today, yesterday, the last 7 days) and the order;
    an unknown value is a field error, not a crash.
    """

    facility = forms.ModelChoiceField(queryset=None, required=False, empty_label="All facilities",
                                      to_field_name="public_id")  # fmt: skip
    risk = forms.ChoiceField(choices=RISKS, required=False, label="Risk")
    late = forms.BooleanField(required=False, label="Late only")
    discharged = forms.ChoiceField(choices=DISCHARGED, required=False, label="Discharged")
    sort = forms.ChoiceField(choices=SORTS, required=False, label="Order")

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input read in the organization's time zone (`tz` is set by the form)."""

    widget = DATETIME
    tz = None

    def to_python(self, value):
        result = super().to_python(value)
        if result is None or self.tz is None:
            return result
        return result.replace(tzinfo=None).replace(tzinfo=self.tz)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class StepForm(VersionForm):
    """A deadline met: the contact made, the medications reconciled or the visit done, with what happened."""

    step = forms.ChoiceField(choices=TransitionStep.choices, widget=forms.HiddenInput)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label="What happened")
    at = LocalDateTimeField(required=False, label="When (leave empty for now)")
    # Asked for the contact only (the page shows it there); the other steps ignore it.
    method = forms.ChoiceField(choices=[(m, OutreachMethod(m).label) for m in CONTACT_METHODS], required=False,
                               initial=OutreachMethod.PHONE, label="How")  # fmt: skip

    def __init__(self, *args, tz=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["at"].tz = tz


class ComplexityForm(VersionForm):
    complexity = forms.ChoiceField(choices=Complexity.choices, label="Medical decision making")


class ChecklistItemForm(VersionForm):
    key = forms.CharField(max_length=60, widget=forms.HiddenInput)
    done = forms.BooleanField(required=False)
