"""core.forms.valid_filters: the filters of a filter form that validated, shared by the worklist, the resource
directory and the audit log."""

import datetime as dt

from django import forms

from carecoord.careplans.forms import WorklistFilterForm
from carecoord.community.forms import DirectorySearchForm
from carecoord.core.forms import AuditFilterForm, valid_filters


class RangeForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "Any"), ("a", "A"), ("b", "B")], required=False)
    count = forms.IntegerField(required=False, min_value=0)
    text = forms.CharField(required=False, max_length=5)
    low = forms.DateField(required=False)
    high = forms.DateField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("low") and data.get("high") and data["low"] > data["high"]:
            self.add_error("high", "The end is before the start.")
        return data


def test_an_unbound_form_has_no_filters():
    assert valid_filters(RangeForm()) == {}
    assert valid_filters(RangeForm(), pairs=[("low", "high")]) == {}


def test_an_invalid_field_drops_only_itself_and_empty_values_are_left_out():
    form = RangeForm({"kind": "zzz", "count": "0", "text": "", "low": "2026-11-01"})
    assert valid_filters(form) == {"count": 0, "low": dt.date(2026, 11, 1)}
    assert set(form.errors) == {"kind"}  # the error is still there for the page to show


def test_a_pair_is_dropped_together_when_either_side_is_invalid():
    form = RangeForm({"kind": "a", "low": "2026-11-01", "high": "not a date"})
    assert valid_filters(form, pairs=[("low", "high")]) == {"kind": "a"}
    form = RangeForm({"kind": "a", "low": "nope", "high": "2026-11-05"})
    assert valid_filters(form, pairs=[("low", "high")]) == {"kind": "a"}


def test_a_pair_is_dropped_together_when_its_combination_is_invalid():
    data = {"text": "x", "low": "2026-11-05", "high": "2026-11-01"}
    assert valid_filters(RangeForm(data), pairs=[("low", "high")]) == {"text": "x"}
    # Without the pair only the field that carries the error is left out.
    assert valid_filters(RangeForm(data)) == {"text": "x", "low": dt.date(2026, 11, 5)}


def test_a_valid_pair_is_kept():
    form = RangeForm({"low": "2026-11-01", "high": "2026-11-05", "count": "x"})
    assert valid_filters(form, pairs=[("low", "high")]) == {"low": dt.date(2026, 11, 1), "high": dt.date(2026, 11, 5)}


def test_the_three_filter_forms_keep_their_rules():
    worklist = WorklistFilterForm({"priority": "urgent", "due_from": "2026-11-05", "due_to": "2026-11-01"}, team=None)
    assert worklist.filters() == {"priority": "urgent"}
    assert "due_to" in worklist.errors
    assert WorklistFilterForm(team=None).filters() == {}

    directory = DirectorySearchForm({"radius": "9999", "age": "0", "q": "food"})
    assert directory.filters() == {
        "need": "",
        "postal_code": "",
        "radius_miles": None,
        "language": "",
        "age": 0,
        "text": "food",
    }
    assert "radius" in directory.errors

    audit = AuditFilterForm({"start": "2026-11-05", "end": "2026-11-01", "event": "patient.view"})
    assert valid_filters(audit) == {"start": dt.date(2026, 11, 5), "event": "patient.view"}
    assert "end" in audit.errors
