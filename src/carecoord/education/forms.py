"""Forms of patient education: they validate input; the services act on `cleaned_data`."""

import re

from django import forms

from carecoord.careplans.choices import CarePlanCategory
from carecoord.core.uploads import PDF, CheckedFileField
from carecoord.patients.choices import LANGUAGES

from .choices import Audience, DeliveryMethod, TeachBack
from .domain import PDF_MAX_BYTES

PATIENT = "patient"
_CODE_SPLIT = re.compile(r"[\s,;]+")


def _codes(text: str) -> list[str]:
    return [code for code in _CODE_SPLIT.split(text or "") if code]


class CodeListField(forms.CharField):
    """Codes typed as a list separated by commas or spaces."""

    def __init__(self, *, pattern: str, example: str, **kwargs):
        self.pattern = re.compile(pattern)
        self.example = example
        super().__init__(required=False, max_length=1000, **kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def clean(self, value):
        codes = _codes(super().clean(value))
        bad = [code for code in codes if not self.pattern.fullmatch(code)]
        if bad:
            raise forms.ValidationError(f"“{bad[0][:20]}” is not a valid code (for example {self.example}).")
        return codes


class MaterialForm(forms.Form):
    topic = forms.SlugField(
        max_length=80, help_text="A short name in lower case with dashes; versions in other languages share it."
    )
    language = forms.ChoiceField(choices=LANGUAGES, initial="en")
    title = forms.CharField(max_length=200)
    summary = forms.CharField(max_length=300, required=False, help_text="One line shown in lists.")
    body = forms.CharField(
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="Plain text. # starts a heading, - starts a bullet, a blank line starts a new paragraph, "
        "**words** are bold. No HTML.",
    )
    pdf = CheckedFileField(
        kinds=[PDF],
        max_bytes=PDF_MAX_BYTES,
        required=False,
        label="Or upload a PDF",
        help_text="A PDF of at most 10 MB. Its reading level cannot be checked here.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )
    audience = forms.ChoiceField(choices=Audience.choices, initial=Audience.PATIENT)
    icd10_prefixes = CodeListField(
        label="ICD-10-CM code prefixes",
        pattern=r"[A-Za-z][0-9][0-9A-Za-z]?(\.[0-9A-Za-z]{0,4})?",
        example="E11 or I50.2",
        help_text="E11 matches every E11 code (E11.9, E11.65...).",
    )
    snomed_codes = CodeListField(label="SNOMED CT codes", pattern=r"[0-9]{6,18}", example="44054006")
    rxnorm_codes = CodeListField(label="RxNorm codes", pattern=r"[0-9]{1,10}", example="11289")
    careplan_categories = forms.MultipleChoiceField(
        label="Care-plan categories",
        choices=CarePlanCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    review_on = forms.DateField(
        required=False, label="Review by", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            for name in ("topic", "language"):
                self.fields[name].disabled = True

    @classmethod
    def initial_for(cls, material) -> dict:
        names = ("topic", "language", "title", "summary", "body", "audience", "icd10_prefixes", "snomed_codes",
                 "rxnorm_codes", "careplan_categories", "review_on", "version")  # fmt: skip
        return {name: getattr(material, name) for name in names}


class LibraryFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=100)
    language = forms.ChoiceField(choices=[("", "Any language"), *LANGUAGES], required=False)
    audience = forms.ChoiceField(choices=[("", "Anyone"), *Audience.choices], required=False)


class DeliveryForm(forms.Form):
    material = forms.ChoiceField(label="Material")
    recipient = forms.ChoiceField(label="Given to")
    method = forms.ChoiceField(label="How", choices=DeliveryMethod.choices, widget=forms.RadioSelect)
    teach_back = forms.ChoiceField(
        label="Teach-back",
        choices=TeachBack.choices,
        required=False,
        help_text="Ask the person to explain it back in their own words.",
    )
    teach_back_note = forms.CharField(label="What they said or missed", max_length=500, required=False)
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, materials, related_persons, **kwargs):
        super().__init__(*args, **kwargs)
        self.materials = {str(m.public_id): m for m in materials}
        self.fields["material"].choices = [(key, f"{m.title} ({m.language_name})") for key, m in self.materials.items()]
        self.people = {str(p.public_id): p for p in related_persons if p.may_receive_information}
        self.fields["recipient"].choices = [(PATIENT, "The patient")] + [
            (key, f"{p.display_name} ({p.get_relationship_display()})") for key, p in self.people.items()
        ]
        self.fields["recipient"].initial = PATIENT

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "material": self.materials[data["material"]],
            "related_person": self.people.get(data["recipient"]),
            "method": data["method"],
            "teach_back": data.get("teach_back") or "",
            "teach_back_note": data.get("teach_back_note") or "",
            "note": data.get("note") or "",
        }


class TeachBackForm(forms.Form):
    result = forms.ChoiceField(
        label="Teach-back", choices=[c for c in TeachBack.choices if c[0]], widget=forms.RadioSelect
    )
    note = forms.CharField(label="What they said or missed", max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
