"""Forms of the Insurance tab: payers, coverages, eligibility, prior authorizations, appeals, applications."""

from django import forms

from carecoord.core.uploads import JPEG, PDF, PNG, CheckedFileField

from . import domain
from .choices import (
    APPEAL_OUTCOMES,
    AppealStatus,
    ApplicationStatus,
    EligibilityMethod,
    EligibilityStatus,
    FundingProgram,
    PriorAuthStatus,
    ProductType,
    SubscriberRelationship,
)
from .eligibility import SERVICE_TYPES

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_271_BYTES = 1024 * 1024


class PayerForm(forms.Form):
    name = forms.CharField(max_length=200)
    payer_id = forms.CharField(max_length=80, required=False, label="Payer ID", help_text="Electronic ID for X12.")
    phone = forms.CharField(max_length=20, required=False)
    fax = forms.CharField(max_length=20, required=False)
    portal_url = forms.URLField(max_length=200, required=False, label="Provider portal", assume_scheme="https")
    appeal_deadline_days = forms.IntegerField(
        min_value=1, max_value=730, initial=domain.DEFAULT_APPEAL_DAYS, label="Days to appeal a denial"
    )
    external_organization = forms.ModelChoiceField(
        queryset=None, required=False, label="Directory organization", to_field_name="public_id"
    )

    def __init__(self, *args, external_organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["external_organization"].queryset = external_organizations


class CoverageForm(forms.Form):
    position = forms.TypedChoiceField(
        coerce=int, choices=[(1, "Primary"), (2, "Secondary"), (3, "Tertiary"), (9, "After the others")], initial=9,
        label="Order",
    )  # fmt: skip
    product_type = forms.ChoiceField(choices=ProductType.choices, label="Kind of coverage")
    payer = forms.ModelChoiceField(
        queryset=None, to_field_name="public_id", help_text="Not needed for self-pay.",
        error_messages={"required": "Choose the payer."},
    )  # fmt: skip
    plan_name = forms.CharField(max_length=200, required=False, label="Plan")
    member_id = forms.CharField(
        max_length=80, label="Member ID", help_text="Not needed for self-pay.",
        error_messages={"required": "Give the member ID from the insurance card."},
    )  # fmt: skip
    group_id = forms.CharField(max_length=80, required=False, label="Group number")
    relationship = forms.ChoiceField(
        choices=SubscriberRelationship.choices, initial="self", label="Patient is the subscriber's"
    )
    subscriber_given_name = forms.CharField(max_length=100, required=False, label="Subscriber first name")
    subscriber_family_name = forms.CharField(max_length=100, required=False, label="Subscriber last name")
    subscriber_birth_date = forms.DateField(widget=DATE, required=False, label="Subscriber date of birth")
    start_date = forms.DateField(widget=DATE, required=False, label="Coverage starts")
    end_date = forms.DateField(widget=DATE, required=False, label="Coverage ends")

    # Required (and marked so) for every kind of coverage except self-pay, which has no payer or card.
    NOT_FOR_SELF_PAY = ("payer", "member_id")

    def __init__(self, *args, payers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = payers
        if self.is_bound and self.data.get(self.add_prefix("product_type")) == ProductType.SELF_PAY:
            for name in self.NOT_FOR_SELF_PAY:
                self.fields[name].required = False

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "position"}
        return {**data, "group_id": data.get("group_id") or ""}


class CoverageEndForm(forms.Form):
    end_date = forms.DateField(widget=DATE, required=False, label="Ended on")
    in_error = forms.BooleanField(required=False, label="Entered in error")
    version = forms.IntegerField(widget=forms.HiddenInput)


class CoverageOrderForm(forms.Form):
    position = forms.IntegerField(min_value=1, max_value=9)
    version = forms.IntegerField(widget=forms.HiddenInput)


class EligibilityStartForm(forms.Form):
    service_types = forms.MultipleChoiceField(
        choices=[(code, f"{code} · {label}") for code, label in SERVICE_TYPES.items()],
        initial=["30"],
        label="Ask about",
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    provider = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="public_id", label="Provider (with NPI)",
        help_text="Blank: the organization asks, without an NPI (some payers refuse that).",
    )  # fmt: skip
    service_date = forms.DateField(widget=DATE, required=False, label="Date of service")

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = practitioners


class EligibilityRecordForm(forms.Form):
    method = forms.ChoiceField(choices=[c for c in EligibilityMethod.choices if c[0] != EligibilityMethod.X12])
    status = forms.ChoiceField(
        choices=[(EligibilityStatus.ACTIVE, "Active"), (EligibilityStatus.INACTIVE, "Inactive")], label="Result"
    )
    plan_name = forms.CharField(max_length=200, required=False, label="Plan")
    note = forms.CharField(max_length=500, required=False)


class ResponseUploadForm(forms.Form):
    # Its cleaned value is the file's text (X12 uses ASCII only).
    file = CheckedFileField(
        text=True,
        encoding="ascii",
        max_bytes=MAX_271_BYTES,
        label="271 response file",
        help_text="The X12 file the payer or clearinghouse returned.",
    )


class CodesField(forms.CharField):
    def __init__(self, *args, kind: str, **kwargs):
        self.kind = kind
        super().__init__(*args, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        try:
            return domain.parse_codes(text, kind=self.kind)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value


class PriorAuthForm(forms.Form):
    coverage = forms.ModelChoiceField(queryset=None, to_field_name="public_id")
    service = forms.CharField(max_length=200, help_text="e.g. Outpatient physical therapy")
    procedure_codes = CodesField(kind="procedure", label="CPT/HCPCS codes", help_text="Separated by commas.")
    diagnosis_codes = CodesField(kind="diagnosis", required=False, label="ICD-10-CM codes")
    provider = forms.ModelChoiceField(queryset=None, required=False, to_field_name="public_id")
    units_requested = forms.IntegerField(min_value=1, max_value=9999, label="Units requested")
    start_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(widget=DATE)
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, coverages, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coverage"].queryset = coverages
        self.fields["provider"].queryset = practitioners
        if not self.is_bound:
            only = list(coverages[:2])
            if len(only) == 1:  # the patient's one active coverage is the one asked
                self.initial.setdefault("coverage", only[0].public_id)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:  # shown with the other problems, not after them
            self.add_error("end_date", "The authorization ends before it starts.")
        return data


class PriorAuthStatusForm(forms.Form):
    status = forms.ChoiceField(choices=PriorAuthStatus.choices, label="New status")
    on = forms.DateField(widget=DATE, required=False, label="On", help_text="Blank: today.")
    units_approved = forms.IntegerField(min_value=1, required=False, label="Units approved (partial approval)")
    reference_number = forms.CharField(max_length=80, required=False, label="Authorization number")
    denial_reason = forms.CharField(max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def limit_statuses(self, allowed) -> None:
        """Offers only the statuses the authorization may move to next (also when shown again with an error)."""
        self.fields["status"].choices = [c for c in PriorAuthStatus.choices if c[0] in allowed]


class VisitForm(forms.Form):
    service_date = forms.DateField(widget=DATE, label="Visit date")
    units = forms.IntegerField(min_value=1, max_value=999, initial=1)
    note = forms.CharField(max_length=300, required=False)


STILL_FILED = "Still filed: record the payer's decision date"


class AppealStatusForm(forms.Form):
    status = forms.ChoiceField(choices=[c for c in AppealStatus.choices if c[0] != AppealStatus.PREPARING])
    on = forms.DateField(widget=DATE, required=False, help_text="Blank: today.")
    decision_due = forms.DateField(
        widget=DATE,
        required=False,
        label="Decision due",
        help_text="The date the payer must decide by, from its acknowledgement letter (blank: not known).",
    )
    units_approved = forms.IntegerField(min_value=1, required=False, label="Units approved (partial)")
    note = forms.CharField(max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def limit_statuses(self, current: str) -> None:
        """
        Offers what the appeal may become next: filed (or withdrawn) while prepared, then its outcome; a filed
        appeal may also stay filed to record the payer's decision date, which its acknowledgement letter brings
        days after the filing.
        """
        if current == AppealStatus.PREPARING:
            choices = [
                (AppealStatus.FILED, AppealStatus.FILED.label),
                (AppealStatus.WITHDRAWN, AppealStatus.WITHDRAWN.label),
            ]
        else:
            choices = [(AppealStatus.FILED, STILL_FILED)] if current == AppealStatus.FILED else []
            choices += [c for c in AppealStatus.choices if c[0] in APPEAL_OUTCOMES]
        self.fields["status"].choices = choices


class DocumentForm(forms.Form):
    title = forms.CharField(max_length=200, required=False)
    file = CheckedFileField(
        kinds=[PDF, PNG, JPEG], max_bytes=domain.MAX_DOCUMENT_BYTES, help_text="PDF, PNG or JPEG, at most 10 MB."
    )


class ApplicationForm(forms.Form):
    program = forms.ChoiceField(choices=FundingProgram.choices)
    program_name = forms.CharField(max_length=200, required=False, help_text="Blank: the program's name.")
    status = forms.ChoiceField(choices=ApplicationStatus.choices, initial=ApplicationStatus.PREPARING)
    submitted_on = forms.DateField(widget=DATE, required=False)
    decided_on = forms.DateField(widget=DATE, required=False)
    renewal_date = forms.DateField(widget=DATE, required=False)
    documents_missing = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
        label="Documents missing",
        help_text="One a line.",
    )
    reference_number = forms.CharField(max_length=80, required=False)
    note = forms.CharField(max_length=500, required=False)

    def clean_documents_missing(self) -> list[str]:
        text = self.cleaned_data["documents_missing"]
        return domain.clean_document_names(text.splitlines()) if isinstance(text, str) else text

    def prepare_initial(self, app) -> None:
        """Fills the form from an application (for editing)."""
        for name in self.fields:
            if name == "documents_missing":
                self.initial[name] = "\n".join(app.documents_missing)
            elif hasattr(app, name):
                self.initial[name] = getattr(app, name)


class PublicIdChoiceField(forms.ModelChoiceField):
    """A record chosen by its public id; a value that is not even an id gets the invalid-choice message."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError as exc:
            if exc.code == "invalid_choice":
                raise
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            ) from None


class PriorAuthListFilterForm(forms.Form):
    """The filters of the prior authorization list (page and JSON API); keys of selectors' list filters."""

    status = forms.ChoiceField(
        required=False,
        label="Show",
        choices=[
            ("", "All"),
            ("pending", "Awaiting a decision"),
            ("draft", "Drafts (not submitted)"),
            ("approved", "Approved"),
            ("ending", f"Approved, ending within {domain.EXPIRY_ALERT_DAYS} days"),
            ("denied", "Denied"),
            ("appeal_due", f"Appeal due within {domain.APPEAL_SOON_DAYS} days"),
            ("appeal_pending", "Appeal pending"),
            ("expired", "Expired"),
        ],
        error_messages={"invalid_choice": "“%(value)s” is not a status filter this list knows."},
    )
    payer = PublicIdChoiceField(
        queryset=None,
        required=False,
        to_field_name="public_id",
        empty_label="Any payer",
        error_messages={"invalid_choice": "No payer of your directory has this id."},
    )

    def __init__(self, *args, payers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = payers
