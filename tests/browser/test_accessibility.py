"""The accessibility check itself: axe-core runs under the app's Content Security Policy and catches problems."""

import pytest
from playwright.sync_api import expect

from .helpers import assert_accessible


@pytest.mark.browser
def test_axe_check_reports_serious_problems(page):
    page.goto("/account/login/")
    expect(page.get_by_role("heading", name="Sign in to CareCoord")).to_be_visible()
    assert_accessible(page, "the sign-in page")

    # An unlabelled field and pale grey text: what the check must not let through.
    page.evaluate(
        """() => {
            const form = document.querySelector("form");
            form.insertAdjacentHTML("beforeend", '<input type="text" name="unlabelled">');
            const note = document.createElement("p");
            note.textContent = "Pale grey note";
            note.style.color = "#d8d8d8";
            form.append(note);
        }"""
    )
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, "the sign-in page with planted problems")
    message = str(failure.value)
    assert "label (critical)" in message
    assert "color-contrast (serious)" in message
    assert 'input[type="text"]' in message
