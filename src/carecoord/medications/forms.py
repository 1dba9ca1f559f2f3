"""Forms of medications: a source list with its lines (a formset of rows), starting and deciding a reconciliation."""

from django import forms
from django.core.validators import RegexValidator
from django.forms.utils import ErrorDict

from carecoord.core import timefmt

from .choices import Action, Frequency, ListSource, Route, StatementStatus
from .prescribers import NOT_OFFERED

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
RXCUI = RegexValidator(r"^[1-9][0-9]{0,9}$", "An RxNorm code (RxCUI) is digits only, like 29046.")
LINE_FIELDS = (
    "display", "rxnorm_code", "dose", "route_code", "frequency_code", "frequency_text", "prescriber", "start_date",
    "stop_date", "status", "adherence_note",
)  # fmt: skip


def _blank(choices) -> list:
    return [("", "—"), *choices]


def prescriber_label(obj) -> str:
    where = f" — {obj.external_organization.name}" if obj.external_organization_id else ""
    return f"{obj.display_name}{where}"


class PrescriberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return prescriber_label(obj)


class MedicationListForm(forms.Form):
    source = forms.ChoiceField(choices=_blank(ListSource.choices), label="Where the list came from")
    source_name = forms.CharField(
        max_length=200, required=False, label="Source name", help_text="e.g. Lakeside General discharge summary."
    )
    external_organization = forms.ModelChoiceField(
        queryset=None, required=False, label="Organization (directory)", empty_label="—"
    )
    list_date = forms.DateField(widget=DATE, label="Date of the list")
    note = forms.CharField(max_length=500, required=False, label="Note about the list")

    def __init__(self, *args, organizations, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["external_organization"].queryset = organizations
        self.today = today

    def clean_list_date(self):
        # The service refuses it too; said here, it comes with the lines' errors in one round.
        list_date = self.cleaned_data["list_date"]
        if list_date > self.today:
            raise forms.ValidationError("The list's date cannot be in the future.")
        return list_date


class MedicationLineForm(forms.Form):
    """One row of a list. An empty row is skipped."""

    display = forms.CharField(
        max_length=300, label="Medication", widget=forms.TextInput(attrs={"list": "rxnorm-picker", "class": "med-name"})
    )
    rxnorm_code = forms.CharField(
        max_length=10, required=False, label="RxNorm code", validators=[RXCUI],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "med-rxcui"}),
    )  # fmt: skip
    dose = forms.CharField(max_length=100, required=False)
    route_code = forms.ChoiceField(choices=_blank(Route.choices), required=False, label="Route")
    frequency_code = forms.ChoiceField(choices=_blank(Frequency.choices), required=False, label="Frequency")
    frequency_text = forms.CharField(max_length=200, required=False, label="Frequency as written")
    prescriber = PrescriberChoiceField(
        queryset=None, required=False, empty_label="— none on file —",
        error_messages={"invalid_choice": NOT_OFFERED},
    )  # fmt: skip
    start_date = forms.DateField(widget=DATE, required=False, label="Start")
    stop_date = forms.DateField(widget=DATE, required=False, label="Stop")
    status = forms.ChoiceField(choices=StatementStatus.choices, initial=StatementStatus.ACTIVE)
    adherence_note = forms.CharField(max_length=500, required=False, label="Adherence notes")

    def __init__(self, *args, prescribers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prescriber"].queryset = prescribers

    def has_changed(self) -> bool:
        # A row only counts once something other than its default status is filled in.
        return any(name != "status" and name in self.changed_data for name in self.fields)

    def clean(self):
        data = super().clean()
        start, stop = data.get("start_date"), data.get("stop_date")
        if start and stop and stop < start:
            self.add_error("stop_date", "The stop date is before the start date.")
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.lines():
            raise forms.ValidationError("Add at least one medication.")

    def lines(self) -> list[dict]:
        return [
            {name: form.cleaned_data.get(name) for name in LINE_FIELDS}
            for form in self.forms
            if form.has_changed() and form.cleaned_data
        ]


LineFormSet = forms.formset_factory(
    MedicationLineForm, formset=BaseLineFormSet, extra=3, max_num=60, validate_max=True, absolute_max=60
)


class ListChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        count = len(obj.lines.all())
        return f"{obj.label}, {timefmt.day(obj.list_date)} ({count} medication{'s' if count != 1 else ''})"


class ListsChoiceField(forms.ModelMultipleChoiceField):
    label_from_instance = ListChoiceField.label_from_instance


class ReconciliationStartForm(forms.Form):
    base_list = ListChoiceField(
        queryset=None, label="Base list", empty_label=None,
        help_text="The list the others are checked against: after a hospital stay the discharge list, in a "
        "nursing home the facility's orders (MAR).",
    )  # fmt: skip
    against_current = forms.BooleanField(required=False, label="Current medications on file")
    other_lists = ListsChoiceField(
        queryset=None, required=False, label="Compare with", widget=forms.CheckboxSelectMultiple,
        help_text="The nursing home's MAR, an outside prescriber's list, the current reconciled list...",
    )  # fmt: skip

    def __init__(self, *args, lists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["base_list"].queryset = lists
        self.fields["other_lists"].queryset = lists

    def clean(self):
        data = super().clean()
        base, others = data.get("base_list"), data.get("other_lists") or []
        if base is not None and not data.get("against_current") and not [o for o in others if o.pk != base.pk]:
            self.add_error(
                "other_lists", "Choose at least one list other than the base list, or the current medications on file."
            )
        return data


class DecisionForm(forms.Form):
    """
    The decision on one row; `versions` are (line public id, label) of the row's lines, `prescribers` (public
    id, label) of the directory practitioners who may be named as the orderer of a change, stop or hold.
    """

    row_key = forms.CharField(widget=forms.HiddenInput, max_length=120)
    action = forms.ChoiceField(
        choices=Action.choices, widget=forms.RadioSelect, label="Decision",
        error_messages={"required": "Choose a decision (continue, change, stop, hold or ask the prescriber)."},
    )  # fmt: skip
    chosen_line = forms.ChoiceField(label="Version to keep")
    dose = forms.CharField(max_length=100, required=False, label="New dose")
    frequency_code = forms.ChoiceField(choices=_blank(Frequency.choices), required=False, label="New frequency")
    frequency_text = forms.CharField(max_length=200, required=False, label="New frequency as written")
    route_code = forms.ChoiceField(choices=_blank(Route.choices), required=False, label="New route")
    note = forms.CharField(
        max_length=500, required=False, label="Note or question for the prescriber (for a hold: the reason)",
        widget=forms.TextInput(attrs={"class": "wide"}),
    )  # fmt: skip
    resume_date = forms.DateField(widget=DATE, required=False, label="Resume on (for a hold, if known)")
    ordered_by = forms.CharField(
        max_length=200, required=False, label="Ordered by",
        help_text="For a change, stop or hold: the prescriber who ordered it. Required unless you are a provider "
        "(then it is you).",
    )  # fmt: skip
    ordered_by_practitioner = forms.ChoiceField(
        required=False, label="Ordering prescriber (directory)",
        help_text="Or choose the prescriber from the directory.",
        error_messages={"invalid_choice": NOT_OFFERED},
    )  # fmt: skip

    # What a coordinator types or picks on a row besides the decision (the row key and version come preset).
    ENTERED = (
        "dose", "frequency_code", "frequency_text", "route_code", "note", "resume_date", "ordered_by",
        "ordered_by_practitioner",
    )  # fmt: skip

    def __init__(self, *args, versions, prescribers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chosen_line"].choices = versions
        self.fields["ordered_by_practitioner"].choices = [("", "—"), *prescribers]

    @property
    def is_filled(self) -> bool:
        """
        Submitted with a decision, or with something entered (a note without a decision is a mistake to show,
        not to drop). A row left alone is not validated, so it shows no errors.
        """
        if not self.is_bound:
            return False
        return any(str(self.data.get(self.add_prefix(name), "")).strip() for name in ("action", *self.ENTERED))

    def full_clean(self):
        if self.is_bound and not self.is_filled:
            self._errors, self.cleaned_data = ErrorDict(renderer=self.renderer), {}
            return
        super().full_clean()


class SignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(max_length=500, required=False, label="Note with the signature")


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
