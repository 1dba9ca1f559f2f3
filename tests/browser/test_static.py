"""The pages' own CSS and JavaScript are found, served under the Content Security Policy, and run."""

import pytest
from django.contrib.staticfiles import finders
from playwright.sync_api import expect

from .conftest import PageProblems
from .helpers import assert_accessible


def test_app_static_files_are_found():
    """collectstatic (WhiteNoise in production) and the development server find app.css and app.js."""
    missing = [name for name in ("carecoord/app.css", "carecoord/app.js") if finders.find(name) is None]
    assert not missing, (
        f"Static files not found: {missing}. src/carecoord/static is neither an app's static folder nor in "
        "STATICFILES_DIRS, so pages are unstyled and app.js (the idle sign-out timer) never runs: add "
        'STATICFILES_DIRS = [BASE_DIR / "static"] to settings.py.'
    )


@pytest.mark.browser
def test_pages_load_styles_and_scripts_without_csp_errors(context):
    page = context.new_page()
    problems = PageProblems(page)
    page.goto("/account/login/")
    expect(page.get_by_role("heading", name="Sign in to CareCoord")).to_be_visible()
    # app.css is applied (the top bar has the brand colour), htmx and app.js are running.
    assert page.locator(".topbar").evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(8, 69, 103)"
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("htmx.version").startswith("2.")
    assert_accessible(page, "the sign-in page")
    assert not problems.items, "The sign-in page had problems:\n" + "\n".join(problems.items)
