"""What the browser tests do often: sign in and out, check a page with axe-core, read a TOTP code."""

import base64
import re
import time

from axe_playwright_python.sync_playwright import Axe
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from ..factories import TEST_PASSWORD

AXE = Axe()
BLOCKING_IMPACTS = ("serious", "critical")
LOGIN_PATH = re.compile(r"/account/login/(\?.*)?$")


def sign_in(page: Page, email: str, password: str = TEST_PASSWORD, *, go: bool = True) -> None:
    """Fills in and submits the sign-in form (opening it first unless `go` is False)."""
    if go:
        page.goto("/account/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def expect_signed_in(page: Page) -> None:
    """Past the sign-in and two-factor pages, on a page of the app with the "Sign out" button."""
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"/account/"))


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(LOGIN_PATH)


def open_section(page: Page, summary: str) -> None:
    """Opens a <details> section by clicking its summary, as a person would."""
    page.locator("summary", has_text=summary).click()
    expect(page.locator("details", has=page.locator("summary", has_text=summary))).to_have_attribute("open", "")


def assert_accessible(page: Page, what: str) -> None:
    """Runs axe-core on the page as it is now; fails on any serious or critical violation."""
    violations = AXE.run(page).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core found serious problems on {what} ({page.url}):\n" + "\n".join(
        _describe(v) for v in blocking
    )


def _describe(violation: dict) -> str:
    targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:8])
    return f"- {violation['id']} ({violation['impact']}): {violation['help']} — {targets}"


def totp_code(secret_base32: str, *, at: float | None = None) -> str:
    """The six-digit code an authenticator app shows for the key at Unix time `at` (now by default)."""
    totp = TOTP(base64.b32decode(secret_base32.strip()))
    if at is not None:
        totp.time = at
    return f"{totp.token():06d}"


def wrong_code(secret_base32: str) -> str:
    """A six-digit code that no nearby time step accepts."""
    now = time.time()
    near = {totp_code(secret_base32, at=now + 30 * step) for step in range(-3, 5)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


def mark_document(page: Page) -> None:
    """Marks the current document, so `assert_same_document` can tell a partial update from a full reload."""
    page.evaluate("window.__carecoordMark = 'still here'")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("window.__carecoordMark") == "still here", "the page reloaded instead of updating in place"


def accept_confirmation(page) -> list[str]:
    """Accepts the next confirmation the page asks (data-confirm, hx-confirm); the list gets its question."""
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    return asked
