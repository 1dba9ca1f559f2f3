"""
Medications: lists from one source on one date (a discharge list, a nursing home's MAR, an outside
prescriber's list...), their lines (FHIR MedicationStatement), and reconciliations — a comparison of two or
more lists, the coordinator's decision for each medication, and once signed the reconciled list that is the
patient's current medication list. A signed reconciliation and its reconciled list cannot change, even
through SQL (migrations/0002_signed_reconciliations_are_final.py); a newer one supersedes it.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from carecoord.core import timefmt
from carecoord.core.models import BaseModel, Organization
from carecoord.directory.models import ExternalOrganization, Practitioner
from carecoord.patients.models import Patient

from .choices import Action, Frequency, ListKind, ListSource, ReconciliationStatus, Route, StatementStatus


class MedicationList(BaseModel):
    """A list of medications from one source on one date, or the reconciled list a signed reconciliation made."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medication_lists")
    kind = models.CharField(max_length=12, choices=ListKind.choices, default=ListKind.SOURCE)
    source = models.CharField(max_length=12, choices=ListSource.choices, blank=True)
    source_name = models.CharField(
        max_length=200, blank=True, help_text="Who gave it, e.g. “Lakeside General discharge summary”."
    )
    external_organization = models.ForeignKey(
        ExternalOrganization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    list_date = models.DateField(help_text="The date the source's list is from.")
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    entered_in_error = models.BooleanField(default=False)

    class Meta:
        ordering = ["-list_date", "-id"]
        indexes = [models.Index(fields=["patient", "kind", "list_date"], name="medlist_patient_kind_date")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=ListKind.SOURCE) & ~Q(source="")) | (Q(kind=ListKind.RECONCILED) & Q(source="")),
                name="medlist_source_for_source_lists",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({timefmt.day(self.list_date)})"

    def get_absolute_url(self) -> str:
        return reverse("medications:list_detail", args=[self.public_id])

    @property
    def label(self) -> str:
        if self.kind == ListKind.RECONCILED:
            return "Reconciled list"
        return self.source_name or self.get_source_display()


class MedicationStatement(BaseModel):
    """One medication on a list (FHIR MedicationStatement): what, how much, how, how often, who prescribed it."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medication_statements")
    medication_list = models.ForeignKey(MedicationList, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    rxnorm_code = models.CharField("RxNorm code (RxCUI)", max_length=10, blank=True)
    ingredient_code = models.CharField(
        max_length=10, blank=True, help_text="The RxNorm ingredient RxCUI, used to match lines across lists."
    )
    display = models.CharField("medication", max_length=300)
    dose = models.CharField(max_length=100, blank=True, help_text="e.g. 10 mg, 1 tablet, 2 puffs.")
    route_code = models.CharField("route", max_length=20, choices=Route.choices, blank=True)
    frequency_code = models.CharField("frequency", max_length=10, choices=Frequency.choices, blank=True)
    frequency_text = models.CharField("frequency as written", max_length=200, blank=True)
    prescriber = models.ForeignKey(Practitioner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    start_date = models.DateField(null=True, blank=True)
    stop_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=StatementStatus.choices, default=StatementStatus.ACTIVE)
    status_reason = models.CharField(
        max_length=500, blank=True, help_text="Why the medication has its status, e.g. why it is on hold."
    )
    resume_date = models.DateField(null=True, blank=True, help_text="For a medication on hold: when to resume it.")
    adherence_note = models.CharField(max_length=500, blank=True)
    last_order = models.ForeignKey(
        "ReconciliationDecision", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="On a reconciled list: the change, stop or hold that last changed this medication (who ordered it).",
    )  # fmt: skip

    class Meta:
        ordering = ["medication_list", "position", "id"]
        indexes = [models.Index(fields=["patient", "status"], name="medstatement_patient_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(rxnorm_code="") | Q(rxnorm_code__regex=r"^[1-9][0-9]{0,9}$"), name="medstatement_rxcui"
            ),
            models.CheckConstraint(
                condition=Q(stop_date__isnull=True) | Q(start_date__isnull=True) | Q(start_date__lte=F("stop_date")),
                name="medstatement_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def informant_id(self) -> int | None:
        """
        The directory practitioner this line's information comes from: the orderer of its last change when it
        has one (None when that orderer is a name only), else its prescriber.
        """
        if self.last_order_id is not None:
            return self.last_order.ordered_by_practitioner_id
        return self.prescriber_id

    @property
    def frequency_label(self) -> str:
        structured = self.get_frequency_code_display() if self.frequency_code else ""
        if self.frequency_text and structured and self.frequency_code != Frequency.OTHER:
            return f"{structured} — {self.frequency_text}"
        return self.frequency_text or structured


class Reconciliation(BaseModel):
    """
    A comparison of source lists against a base list and the coordinator's decisions; signing makes the
    reconciled list and freezes both. The latest signed one is the patient's current list.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medication_reconciliations")
    base_list = models.ForeignKey(MedicationList, on_delete=models.PROTECT, related_name="+")
    compared_lists = models.ManyToManyField(MedicationList, related_name="+")
    status = models.CharField(max_length=10, choices=ReconciliationStatus.choices, default=ReconciliationStatus.DRAFT)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    content_sha256 = models.CharField(max_length=64, blank=True, help_text="Hash of the decisions as signed.")
    result_list = models.OneToOneField(
        MedicationList, null=True, blank=True, on_delete=models.PROTECT, related_name="reconciliation"
    )
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["patient", "status", "signed_at"], name="medrec_patient_signed")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ReconciliationStatus.SIGNED)
                | (Q(signed_at__isnull=False) & Q(signed_by__isnull=False) & Q(result_list__isnull=False)),
                name="medrec_signed_has_signer",
            )
        ]

    def __str__(self) -> str:
        when = f" signed {timefmt.day(self.signed_at, self.organization.tz)}" if self.signed_at else ""
        return f"Medication reconciliation{when}"

    def get_absolute_url(self) -> str:
        return reverse("medications:reconciliation_detail", args=[self.public_id])

    @property
    def is_signed(self) -> bool:
        return self.status == ReconciliationStatus.SIGNED


class ReconciliationDecision(BaseModel):
    """
    The decision on one medication of a reconciliation (a row of the comparison). A change, stop or hold is a
    prescriber's order: `ordered_by` names who ordered it (`services.ORDERED_ACTIONS`).
    """

    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.PROTECT, related_name="decisions")
    row_key = models.CharField(max_length=120)
    action = models.CharField(max_length=10, choices=Action.choices)
    chosen_line = models.ForeignKey(MedicationStatement, on_delete=models.PROTECT, related_name="+")
    dose = models.CharField(max_length=100, blank=True, help_text="For a change: the new dose.")
    frequency_code = models.CharField(max_length=10, choices=Frequency.choices, blank=True)
    frequency_text = models.CharField(max_length=200, blank=True)
    route_code = models.CharField(max_length=20, choices=Route.choices, blank=True)
    note = models.CharField(max_length=500, blank=True, help_text="For a hold: the reason (required).")
    resume_date = models.DateField(null=True, blank=True, help_text="For a hold: when to resume, if known.")
    ordered_by = models.CharField(
        max_length=200, blank=True,
        help_text="For a change, stop or hold: the prescriber who ordered it (a provider deciding is the orderer).",
    )  # fmt: skip
    ordered_by_practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The ordering prescriber in the directory, when chosen from it.",
    )  # fmt: skip
    task = models.ForeignKey("careplans.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["reconciliation", "row_key"], name="medrec_one_decision_per_row")
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.row_key}"
