"""Forms of the patient registry. They validate input; the services act on `cleaned_data`."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from carecoord.core.models import Organization, User
from carecoord.directory.models import Practitioner

from .choices import CareTeamRole, CodeSystem, ConditionClinicalStatus, IdentifierType
from .codes import COMMON_ICD10CM
from .models import Patient, RelatedPerson
from .services import PATIENT_FIELDS, RELATED_FIELDS, RELATED_PERMISSION_FIELDS, patient_problems

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PatientForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        widgets = {
            "birth_date": DATE,
            "phone_primary": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "phone_secondary": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        labels = {
            "address_line1": "Address line 1",
            "address_line2": "Address line 2",
            "phone_primary": "Main phone",
            "phone_primary_kind": "Main phone type",
            "phone_secondary": "Other phone",
            "phone_secondary_kind": "Other phone type",
        }
        help_texts = {
            "phone_primary": "Any format, e.g. (312) 555-0100.",
            "phone_secondary": "",
            "postal_code": "5 digits, or ZIP+4 like 60601-1234.",
        }

    def __init__(self, *args, organization: Organization | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("phone_primary", "phone_secondary", "email"):
            self.fields[name].widget.attrs.setdefault("autocomplete", "off")
        # Asked only when there is another phone; left empty, the model's default type stands.
        self.fields["phone_secondary_kind"].required = False
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            organization = organization or self.instance.organization
        self.organization = organization

    def clean_phone_secondary_kind(self):
        return self.cleaned_data.get("phone_secondary_kind") or Patient._meta.get_field("phone_secondary_kind").default

    def validate_unique(self):
        """Uniqueness is the service's job (it knows the organization)."""

    def _post_clean(self):
        # Instead of model validation, the service's own checks (after normalizing phones, names, ZIP) on a
        # scratch copy: the service runs only on a valid form, so without them a bad birth date or phone
        # would show only once the other fields were fixed.
        if self.organization is None:
            return
        data = {name: value for name, value in self.cleaned_data.items() if name in PATIENT_FIELDS}
        draft = Patient(organization=self.organization, **data)
        # Fields already in error, and those the user does not type (the service still checks them).
        skip = {*self.errors, *(f.name for f in Patient._meta.fields if f.name not in self.fields)}
        for field, messages in patient_problems(draft, skip=skip).items():
            self.add_error(None if field == NON_FIELD_ERRORS else field, messages)

    def patient_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in PATIENT_FIELDS}


class RelatedPersonForm(forms.ModelForm):
    class Meta:
        model = RelatedPerson
        fields = RELATED_FIELDS
        widgets = {"phone": forms.TextInput(attrs={"type": "tel"}), "note": forms.TextInput()}

    def __init__(self, *args, may_grant_permissions: bool = True, **kwargs):
        """`may_grant_permissions` False (the front desk): without the proxy and information-sharing boxes."""
        super().__init__(*args, **kwargs)
        if not may_grant_permissions:
            for name in RELATED_PERMISSION_FIELDS:
                del self.fields[name]

    def _post_clean(self):
        pass

    def data_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in RELATED_FIELDS if name in self.fields}


class CareTeamMemberForm(forms.Form):
    role = forms.ChoiceField(choices=CareTeamRole.choices)
    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Staff member")
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.none(), required=False, label="Practitioner (directory)"
    )
    related_person = forms.ModelChoiceField(
        queryset=RelatedPerson.objects.none(), required=False, label="Family member or caregiver"
    )
    start_date = forms.DateField(widget=DATE)
    note = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, staff, practitioners, related_persons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff
        self.fields["practitioner"].queryset = practitioners
        self.fields["related_person"].queryset = related_persons
        self.fields["practitioner"].label_from_instance = lambda p: (
            f"{p.display_name} — {p.specialty_display}" if p.specialty_display else p.display_name
        )

    def clean(self):
        data = super().clean()
        chosen = [name for name in ("user", "practitioner", "related_person") if data.get(name)]
        if len(chosen) != 1:
            raise forms.ValidationError("Choose exactly one: a staff member, a practitioner or a family member.")
        return data


class ConditionForm(forms.Form):
    code_system = forms.ChoiceField(choices=CodeSystem.choices, initial=CodeSystem.ICD10CM)
    code = forms.CharField(
        max_length=20,
        widget=forms.TextInput(attrs={"list": "common-codes"}),
        help_text="e.g. E11.9 (suggestions appear as you type)",
    )
    display = forms.CharField(
        max_length=300, required=False, label="Description", help_text="Filled in for common codes when left empty."
    )
    clinical_status = forms.ChoiceField(choices=ConditionClinicalStatus.choices, initial="active")
    onset_date = forms.DateField(required=False, widget=DATE)
    note = forms.CharField(required=False, max_length=300)

    def clean(self):
        data = super().clean()
        code = (data.get("code") or "").strip().upper()
        if len(code) > 3 and "." not in code and data.get("code_system") == CodeSystem.ICD10CM:
            code = f"{code[:3]}.{code[3:]}"
        if not data.get("display") and data.get("code_system") == CodeSystem.ICD10CM:
            data["display"] = COMMON_ICD10CM.get(code, "")
        if code and not data.get("display"):
            self.add_error("display", "Describe the condition (the code is not in the common list).")
        return data


class ConditionStatusForm(forms.Form):
    clinical_status = forms.ChoiceField(choices=ConditionClinicalStatus.choices)
    version = forms.IntegerField(widget=forms.HiddenInput)


class IdentifierForm(forms.Form):
    type = forms.ChoiceField(choices=IdentifierType.choices)
    system = forms.CharField(max_length=200, label="Issuer", help_text="e.g. Illinois Medicaid, BCBS IL")
    value = forms.CharField(max_length=80)


class ShareForm(forms.Form):
    grantee = forms.ModelChoiceField(queryset=Organization.objects.none(), label="Share with")
    signed_on = forms.DateField(widget=DATE, label="Consent signed on")
    signed_by = forms.CharField(max_length=200, help_text="The patient or their proxy.")
    method = forms.CharField(max_length=100, initial="Signed release form")
    expires_on = forms.DateField(widget=DATE, required=False, label="Consent expires on")

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grantee"].queryset = organizations
