"""core.errors: a ValidationError carrying several fields' messages, and how a form shows it."""

import pytest
from django import forms

from carecoord.core.errors import ConflictError, NotFoundError, ValidationError
from carecoord.core.http import put_service_error


class TwoFieldForm(forms.Form):
    name = forms.CharField(required=False)
    born = forms.DateField(required=False)


def test_a_single_error_carries_its_one_field():
    exc = ValidationError("Give a name.", field="name")
    assert exc.field_errors == {"name": ["Give a name."]}
    assert ConflictError("Reload the page.").field_errors == {None: ["Reload the page."]}


def test_several_errors_keep_the_first_as_field_and_message_for_edges_that_show_one():
    exc = ValidationError.of({"born": ["Not in the future."], "name": ["Give a name.", "Shorter, please."]})
    assert (exc.field, exc.message, str(exc)) == ("born", "Not in the future.", "Not in the future.")
    assert exc.field_errors == {"born": ["Not in the future."], "name": ["Give a name.", "Shorter, please."]}
    assert exc.code == "invalid"
    with pytest.raises(ValueError, match="at least one"):
        ValidationError.of({"name": []})


def test_the_form_shows_every_field_and_puts_unknown_fields_above_it():
    form = TwoFieldForm(data={})
    assert form.is_valid()
    put_service_error(form, ValidationError.of({"name": ["Give a name."], "born": ["Not in the future."],
                                                "elsewhere": ["Something else."]}))  # fmt: skip
    assert form.errors == {"name": ["Give a name."], "born": ["Not in the future."], "__all__": ["Something else."]}


def test_a_missing_record_still_answers_with_its_own_page():
    form = TwoFieldForm(data={})
    form.is_valid()
    with pytest.raises(NotFoundError):
        put_service_error(form, NotFoundError())
