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
