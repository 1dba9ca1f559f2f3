from django import forms

from carecoord.core import timefmt

from .choices import AMENDABLE_DEMOGRAPHICS, AmendmentTarget


class AmendmentRequestForm(forms.Form):
    target = forms.ChoiceField(choices=AmendmentTarget.choices, label="What it amends")
    note = forms.ChoiceField(required=False, label="Signed note")
    field = forms.ChoiceField(
        required=False, choices=[("", "—"), *AMENDABLE_DEMOGRAPHICS.items()], label="Demographic field"
    )
    requested_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000, label="What the record should say"
    )
    reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, label="Why (their words)"
    )
    requested_by = forms.CharField(max_length=200, label="Requested by (patient or representative)")

    def __init__(self, *args, notes, **kwargs):
        super().__init__(*args, **kwargs)
        self.notes = {str(note.public_id): note for note in notes}
        self.fields["note"].choices = [("", "—")] + [
            (key, f"{timefmt.day(note.occurred_at)} {note.title}") for key, note in self.notes.items()
        ]

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "target": data["target"],
            "note": self.notes.get(data["note"]),
            "field": data["field"],
            "requested_text": data["requested_text"],
            "reason": data["reason"],
            "requested_by": data["requested_by"],
        }


PATIENT_RECIPIENT = "patient"
OTHER_RECIPIENT = "other"


class ExportRequestForm(forms.Form):
    """
    Who receives a right-of-access export: the patient, one of their personal representatives on file, or
    another person the patient named. `recipient_label()` is what the disclosure accounting records.
    """

    recipient = forms.ChoiceField(widget=forms.RadioSelect, label="Recipient")
    other_name = forms.CharField(
        required=False, max_length=150, label="Other recipient's name (as the patient's written request names them)"
    )

    def __init__(self, *args, patient, representatives, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.representatives = {f"person:{p.public_id}": p for p in representatives}
        self.fields["recipient"].choices = [
            (PATIENT_RECIPIENT, f"{patient.display_name} (the patient)"),
            *[(key, f"{p.display_name} (health care proxy)") for key, p in self.representatives.items()],
            (OTHER_RECIPIENT, "Another recipient the patient named in writing"),
        ]

    def clean(self):
        data = super().clean()
        if data.get("recipient") == OTHER_RECIPIENT and not (data.get("other_name") or "").strip():
            self.add_error("other_name", "Enter the name of the recipient the patient named.")
        return data

    def recipient_label(self) -> str:
        choice = self.cleaned_data["recipient"]
        if choice == PATIENT_RECIPIENT:
            return f"{self.patient.display_name} (the patient)"
        if choice == OTHER_RECIPIENT:
            return self.cleaned_data["other_name"].strip()
        return f"{self.representatives[choice].display_name} (health care proxy)"
