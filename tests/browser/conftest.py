"""
Fixtures of the browser tests: one headless Debian Chromium per session, a fresh context per test, pages
that watch for broken assets, CSP violations and script errors.

The app is served by pytest-django's `live_server` (a thread of this process, transactional database).
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

# Playwright's sync API runs an asyncio loop in this thread; the ORM calls the tests make while it runs
# (factories, assertions on the database) are synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, launched once per session (never a Playwright browser download)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (`make browser-deps`) to run the browser tests."
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


# htmx adds its indicator <style> element unless <meta name="htmx-config"> turns that off; the strict CSP
# blocks it. test_static.py::test_pages_load_styles_and_scripts_without_csp_errors reports it; the other
# tests ignore exactly this message so they test their own subject.
HTMX_INDICATOR_STYLE_HASH = "sha256-faU7yAF8NxuMTNEwVmBz+VcYeIoBQ2EMHW3WaVxCvnk="


@pytest.fixture
def fast_password_hashing(settings):
    """Argon2 costs a second or more per sign-in on a busy machine; these tests are about pages, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def context(browser, live_server, transactional_db, fast_password_hashing):
    """A fresh browser context (no cookies, no storage) pointed at the live server."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


class PageProblems:
    """Collects what a person would not see but a broken page shows: failed assets, script and CSP errors."""

    ASSET_TYPES = {"stylesheet", "script", "image", "font", "xhr", "fetch"}

    def __init__(self, page, ignore: tuple[str, ...] = ()):
        self.items: list[str] = []
        self.ignore = ignore
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.items.append(f"page error: {error}"))
        page.on("response", self._response)
        page.on("requestfailed", self._request_failed)

    def _console(self, message):
        # Error statuses of documents (404, 429 pages) are logged as "Failed to load resource"; assets are
        # checked in _response instead.
        if message.type != "error" or message.text.startswith("Failed to load resource"):
            return
        if not any(known in message.text for known in self.ignore):
            self.items.append(f"console error: {message.text}")

    def _response(self, response):
        if response.request.resource_type in self.ASSET_TYPES and response.status >= 400:
            self.items.append(f"{response.status} for {response.request.resource_type} {response.url}")

    def _request_failed(self, request):
        # ERR_ABORTED is the browser cancelling a load because the page navigated away (a form submit while a
        # deferred script was still loading): not a broken asset. Missing assets show as 4xx in _response.
        if request.resource_type in self.ASSET_TYPES and "ERR_ABORTED" not in (request.failure or ""):
            self.items.append(f"request failed: {request.resource_type} {request.url} ({request.failure})")


@pytest.fixture
def page(context):
    """A page in the test's context; the test fails if an asset failed or a script or CSP error occurred."""
    page = context.new_page()
    problems = PageProblems(page, ignore=(HTMX_INDICATOR_STYLE_HASH,))
    yield page
    assert not problems.items, "The pages had problems:\n" + "\n".join(problems.items)
