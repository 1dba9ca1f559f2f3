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
        # Checkboxes, not a multi-select: option text wraps instead of being clipped in a narrow card.
        widget=forms.CheckboxSelectMultiple,
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


def decision_fields(data: dict) -> dict:
    """A payer's decision as the prior-auth services take it, from a status or correction form's cleaned data."""
    return {name: data[name] for name in ("on", "units_approved", "reference_number", "denial_reason")}


class PriorAuthStatusForm(forms.Form):
    status = forms.ChoiceField(choices=PriorAuthStatus.choices, label="New status")
    on = forms.DateField(widget=DATE, required=False, label="On", help_text="Blank: today.")
    units_approved = forms.IntegerField(min_value=1, required=False, label="Units approved (partial approval)")
    reference_number = forms.CharField(
        max_length=80,
        required=False,
        label="Authorization number",
        help_text="The payer's number for an approval. Not issued yet? Save, then add it with Edit decision details.",
    )
    denial_reason = forms.CharField(max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def limit_statuses(self, allowed) -> None:
        """Offers only the statuses the authorization may move to next (also when shown again with an error)."""
        self.fields["status"].choices = [c for c in PriorAuthStatus.choices if c[0] in allowed]


class DecisionDetailsForm(forms.Form):
    """Adds or corrects a decision's details after it was recorded (the payer's letter arrived, a typo)."""

    reference_number = forms.CharField(max_length=80, required=False, label="Authorization number")
    units_approved = forms.IntegerField(min_value=1, required=False, label="Units approved (partial approval)")
    start_date = forms.DateField(widget=DATE, label="Authorized from")
    end_date = forms.DateField(widget=DATE, label="Authorized through")
    denial_reason = forms.CharField(max_length=500, required=False)
    note = forms.CharField(max_length=500, required=False, label="Why (optional)", help_text="Kept in the history.")
    version = forms.IntegerField(widget=forms.HiddenInput)

    @classmethod
    def for_auth(cls, auth, data=None, *, prefix: str | None = "details"):
        """The fields this decision has (units for a partial approval, the reason for a denial), filled in."""
        initial = {name: getattr(auth, name) for name in ("reference_number", "units_approved", "start_date",
                                                           "end_date", "denial_reason")}  # fmt: skip
        form = cls(data, initial={**initial, "version": auth.version}, prefix=prefix)
        if auth.status != PriorAuthStatus.PARTIALLY_APPROVED:
            del form.fields["units_approved"]
        if auth.status != PriorAuthStatus.DENIED:
            del form.fields["denial_reason"]
        return form


class DecisionCorrectForm(forms.Form):
    """Corrects a decision recorded in error: back to awaiting the payer, or to the payer's real decision."""

    status = forms.ChoiceField(choices=PriorAuthStatus.choices, label="Correct the status to")
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), help_text="What was recorded in error."
    )
    on = forms.DateField(widget=DATE, required=False, label="Decided on", help_text="For a decision; blank: as before.")
    units_approved = forms.IntegerField(min_value=1, required=False, label="Units approved (partial approval)")
    reference_number = forms.CharField(max_length=80, required=False, label="Authorization number")
    denial_reason = forms.CharField(max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def limit_statuses(self, allowed) -> None:
        self.fields["status"].choices = [c for c in PriorAuthStatus.choices if c[0] in allowed]


class FollowUpForm(forms.Form):
    """A call or message with the payer about a request awaiting its decision."""

    note = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Who you reached and what they said (for example: still in clinical review).",
    )
    payer_reference = forms.CharField(max_length=80, required=False, label="Payer's call reference")
    contact_name = forms.CharField(max_length=120, required=False, label="Spoke with")
    follow_up_on = forms.DateField(
        widget=DATE, required=False, label="Next follow-up", help_text="Moves the follow-up task on the worklist."
    )


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
    documents = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
        label="Documents needed",
        help_text="One a line (proof of income, photo ID...). Mark each one received in the checklist.",
    )
    reference_number = forms.CharField(max_length=80, required=False)
    note = forms.CharField(max_length=500, required=False)

    def clean_documents(self) -> list[str]:
        text = self.cleaned_data["documents"]
        return domain.clean_document_names(text.splitlines()) if isinstance(text, str) else text

    def prepare_initial(self, app, documents) -> None:
        """Fills the form from an application and its documents (for editing)."""
        for name in self.fields:
            if name == "documents":
                self.initial[name] = "\n".join(d.name for d in documents)
            elif hasattr(app, name):
                self.initial[name] = getattr(app, name)


class DocumentMarkForm(forms.Form):
    """One button of an application's document checklist: this document received, or not received after all."""

    document = forms.UUIDField(error_messages={"required": "Choose the document.", "invalid": "Choose the document."})
    received = forms.TypedChoiceField(
        choices=[("1", "Received"), ("0", "Not received")], coerce=lambda value: value == "1"
    )
    version = forms.IntegerField(min_value=1)


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
    # Blank is the default, our organization's own requests (selectors.OWN_SCOPE); the JSON API does not
    # send it and keeps listing all it may read.
    scope = forms.ChoiceField(
        required=False,
        label="Whose",
        choices=[("", "Our organization's"), ("all", "All I can see")],
        error_messages={"invalid_choice": "“%(value)s” is not a choice of whose requests to show."},
    )

    def __init__(self, *args, payers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = payers
