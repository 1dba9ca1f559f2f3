"""Forms of the review queue and the message log."""

from django import forms

from .models import MessageStatus


class ReviewMatchForm(forms.Form):
    """The patient the message is about: one of the candidates, or another patient found by MRN."""

    patient = forms.ChoiceField(required=False, widget=forms.RadioSelect, label="Candidate")
    mrn = forms.CharField(required=False, max_length=40, label="Or another patient's MRN")

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].choices = [(str(c["patient"].public_id), c["patient"].display_name) for c in candidates]

    def clean(self):
        data = super().clean()
        if not data.get("patient") and not (data.get("mrn") or "").strip():
            raise forms.ValidationError("Choose a candidate or give another patient's MRN.")
        return data


class ReviewDismissForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why dismiss it", widget=forms.TextInput)


class MessageFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *MessageStatus.choices], required=False)
