"""
Forms of the directory pages. They parse and type the input; the services decide what is valid, and
`DirectoryForm.add_service_error` puts a service's error next to the field it names.
"""

from typing import Any

from django import forms

from carecoord.core.choices import US_STATES
from carecoord.core.errors import ApplicationError
from carecoord.patients.choices import LANGUAGES

from .domain import WEEKDAYS
from .models import ExternalOrganization, ExternalOrganizationKind, Location, Practitioner
from .taxonomy import SPECIALTY_BY_CODE, specialty_choices, specialty_display

OTHER_SPECIALTY = "other"
STATE_CHOICES = [("", "—"), *US_STATES]


class DirectoryForm(forms.Form):
    """A form that shows a service's error next to the field it names, or on top when it names none here."""

    def service_field(self, name: str) -> str:
        """This form's field for a service's field name; forms whose fields differ override it."""
        return name

    def add_service_error(self, exc: ApplicationError) -> None:
        field = self.service_field(exc.field) if exc.field else None
        self.add_error(field if field in self.fields else None, exc.message)


def _version_field() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def _phone_field(label: str = "Phone") -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )  # fmt: skip


def _npi_field(help_text: str) -> forms.CharField:
    return forms.CharField(
        label="NPI", required=False, max_length=14, help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )  # fmt: skip


# --- practitioners --------------------------------------------------------------------------------------


class PractitionerForm(DirectoryForm):
    prefix = forms.CharField(required=False, max_length=20, help_text="For example Dr.")
    given_name = forms.CharField(label="Given name", max_length=100)
    family_name = forms.CharField(label="Family name", max_length=100)
    suffix = forms.CharField(label="Credentials", required=False, max_length=40, help_text="For example MD, NP, PT.")
    npi = _npi_field("The 10-digit National Provider Identifier.")
    specialty = forms.ChoiceField(
        required=False,
        choices=[("", "— Not recorded —"), *specialty_choices(), (OTHER_SPECIALTY, "Another NUCC code…")],
        help_text="NUCC provider taxonomy. For a code not listed, choose “Another NUCC code” and fill in both "
        "fields below.",
    )
    other_specialty_code = forms.CharField(
        label="Other taxonomy code", required=False, max_length=10, help_text="10 characters, like 207Q00000X."
    )
    other_specialty_display = forms.CharField(label="Other specialty name", required=False, max_length=200)
    languages = forms.MultipleChoiceField(
        label="Languages spoken", required=False, choices=LANGUAGES, widget=forms.CheckboxSelectMultiple
    )
    accepting_new_patients = forms.BooleanField(label="Accepting new patients", required=False, initial=True)
    phone = _phone_field()
    email = forms.EmailField(required=False, max_length=254)
    external_organization = forms.ModelChoiceField(
        label="Works at", required=False, queryset=ExternalOrganization.objects.none(), empty_label="— Not recorded —"
    )

    def __init__(self, *args, external_organizations, with_version: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["external_organization"].queryset = external_organizations
        if with_version:
            self.fields["version"] = _version_field()

    @classmethod
    def initial_for(cls, practitioner: Practitioner) -> dict[str, Any]:
        initial = {name: getattr(practitioner, name) for name in (
            "prefix", "given_name", "family_name", "suffix", "npi", "languages", "accepting_new_patients",
            "phone", "email", "external_organization", "version",
        )}  # fmt: skip
        code = practitioner.specialty_code
        if code in SPECIALTY_BY_CODE:
            initial["specialty"] = code
        elif code:
            initial.update(specialty=OTHER_SPECIALTY, other_specialty_code=code,
                           other_specialty_display=practitioner.specialty_display)  # fmt: skip
        return initial

    def service_field(self, name: str) -> str:
        if name == "specialty_code":
            return "other_specialty_code" if self.data.get("specialty") == OTHER_SPECIALTY else "specialty"
        if name == "specialty_display":
            return "other_specialty_display"
        return name

    def service_data(self) -> dict[str, Any]:
        """The cleaned input in the shape `practitioner_create` / `practitioner_update` take."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        choice = data.pop("specialty")
        code, display = data.pop("other_specialty_code"), data.pop("other_specialty_display")
        if choice == OTHER_SPECIALTY:
            data.update(specialty_code=code, specialty_display=display)
        else:
            data.update(specialty_code=choice, specialty_display=specialty_display(choice))
        return data


class PractitionerFilterForm(forms.Form):
    q = forms.CharField(label="Name or NPI", required=False, max_length=100)
    specialty = forms.ChoiceField(required=False, choices=[("", "Any specialty"), *specialty_choices()])
    language = forms.ChoiceField(label="Speaks", required=False, choices=[("", "Any language"), *LANGUAGES])
    accepting = forms.ChoiceField(
        label="New patients", required=False, choices=[("", "Any"), ("yes", "Accepting"), ("no", "Not accepting")]
    )
    inactive = forms.BooleanField(label="Include inactive", required=False)

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        accepting = {"yes": True, "no": False}.get(data.get("accepting") or "")
        return {
            "query": data.get("q", ""), "specialty": data.get("specialty", ""),
            "language": data.get("language", ""), "accepting": accepting, "active_only": not data.get("inactive"),
        }  # fmt: skip


# --- external organizations -----------------------------------------------------------------------------


class ExternalOrganizationForm(DirectoryForm):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=[("", "— Choose —"), *ExternalOrganizationKind.choices])
    npi = _npi_field("The organization's 10-digit NPI, if it has one.")
    phone = _phone_field()
    fax = _phone_field("Fax")
    email = forms.EmailField(required=False, max_length=254)
    website = forms.URLField(required=False, max_length=200, assume_scheme="https")
    address_line = forms.CharField(label="Street address", required=False, max_length=200)
    city = forms.CharField(required=False, max_length=100)
    state = forms.ChoiceField(required=False, choices=STATE_CHOICES)
    postal_code = forms.CharField(label="ZIP code", required=False, max_length=10)

    def __init__(self, *args, with_version: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if with_version:
            self.fields["active"] = forms.BooleanField(
                label="Active", required=False, help_text="Inactive organizations are hidden from lists and pickers."
            )
            self.fields["version"] = _version_field()

    @classmethod
    def initial_for(cls, organization: ExternalOrganization) -> dict[str, Any]:
        names = [*cls.base_fields, "active", "version"]
        return {name: getattr(organization, name) for name in names}

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class ExternalOrganizationFilterForm(forms.Form):
    q = forms.CharField(label="Name or city", required=False, max_length=100)
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *ExternalOrganizationKind.choices])
    inactive = forms.BooleanField(label="Include inactive", required=False)

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"query": data.get("q", ""), "kind": data.get("kind", ""), "active_only": not data.get("inactive")}


# --- locations ------------------------------------------------------------------------------------------


class LocationForm(DirectoryForm):
    name = forms.CharField(max_length=200)
    external_organization = forms.ModelChoiceField(
        label="Belongs to", required=False, queryset=ExternalOrganization.objects.none(),
        empty_label="— Our own site —",
    )  # fmt: skip
    address_line = forms.CharField(label="Street address", max_length=200)
    city = forms.CharField(max_length=100)
    state = forms.ChoiceField(choices=STATE_CHOICES)
    postal_code = forms.CharField(label="ZIP code", max_length=10)
    phone = _phone_field()

    def __init__(self, *args, external_organizations, with_version: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["external_organization"].queryset = external_organizations
        for day, name in WEEKDAYS:
            self.fields[f"{day}_open"] = forms.TimeField(
                label=f"{name} opens", required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            )
            self.fields[f"{day}_close"] = forms.TimeField(
                label=f"{name} closes", required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            )
            self.fields[f"{day}_closed"] = forms.BooleanField(label=f"{name} closed all day", required=False)
        if with_version:
            self.fields["active"] = forms.BooleanField(
                label="Active", required=False, help_text="Inactive locations are hidden from lists and pickers."
            )
            self.fields["version"] = _version_field()

    @classmethod
    def initial_for(cls, location: Location) -> dict[str, Any]:
        names = [*cls.base_fields, "active", "version"]
        initial = {name: getattr(location, name) for name in names}
        for day, _ in WEEKDAYS:
            periods = (location.hours or {}).get(day)
            if periods == []:
                initial[f"{day}_closed"] = True
            elif periods:
                initial[f"{day}_open"], initial[f"{day}_close"] = periods[0]
        return initial

    @property
    def weekday_rows(self) -> list[dict[str, Any]]:
        return [
            {"label": name, "open": self[f"{day}_open"], "close": self[f"{day}_close"], "closed": self[f"{day}_closed"]}
            for day, name in WEEKDAYS
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for day, name in WEEKDAYS:
            opens, closes = data.get(f"{day}_open"), data.get(f"{day}_close")
            if data.get(f"{day}_closed") or (opens is None) == (closes is None):
                continue
            missing = f"{day}_close" if closes is None else f"{day}_open"
            if missing not in self.errors:
                self.add_error(missing, f"{name}: enter both times, tick “closed all day”, or leave both empty.")
        return data

    def service_data(self) -> dict[str, Any]:
        """
        The cleaned input in the shape `location_create` / `location_update` take. The form edits one period
        a day, which is what sites publish; split days would need a second pair of fields.
        """
        names = [*self.base_fields, "active"]
        data = {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}
        hours: dict[str, list] = {}
        for day, _ in WEEKDAYS:
            opens, closes = self.cleaned_data.get(f"{day}_open"), self.cleaned_data.get(f"{day}_close")
            if self.cleaned_data.get(f"{day}_closed"):
                hours[day] = []
            elif opens is not None and closes is not None:
                hours[day] = [[opens.strftime("%H:%M"), closes.strftime("%H:%M")]]
        data["hours"] = hours
        return data


class LocationFilterForm(forms.Form):
    q = forms.CharField(label="Name or city", required=False, max_length=100)
    inactive = forms.BooleanField(label="Include inactive", required=False)

    def filters(self) -> dict[str, Any]:
        return {"query": self.cleaned_data.get("q", ""), "active_only": not self.cleaned_data.get("inactive")}
