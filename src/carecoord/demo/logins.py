"""
The demo logins: saved to <VAR_DIR>/demo-logins.txt (readable by its owner only) so `make run` can show
them again later, and printed as a rich table. One line per login (email): a user with memberships in
several organizations (the Prairie coordinator embedded at Northside) has them all on that line.
"""

import os
from pathlib import Path

from django.conf import settings
from rich.table import Table

from carecoord.core import clock

from .world import Login

LOGINS_FILE = "demo-logins.txt"
COLUMNS = ("Email", "Organization", "Role", "Password")


def logins_by_user(logins: list[Login]) -> list[Login]:
    """
    One row per email, in the order first seen: the organizations of a user with several memberships joined
    with "; ", and the roles too when they differ (in the same order), so each login is listed once.
    """
    grouped: dict[str, list[Login]] = {}
    for login in logins:
        grouped.setdefault(login.email, []).append(login)
    rows = []
    for email, found in grouped.items():
        roles = [login.role for login in found]
        role = roles[0] if len(set(roles)) == 1 else "; ".join(roles)
        organizations = "; ".join(login.organization for login in found)
        rows.append(Login(email, organizations, role, found[0].password))
    return rows


def logins_path() -> Path:
    return Path(settings.VAR_DIR) / LOGINS_FILE


def logins_save(logins: list[Login], path: Path | None = None) -> Path:
    """Writes the logins as a plain-text table, mode 600 from the moment the file exists."""
    path = path or logins_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    people = logins_by_user(logins)
    rows = [COLUMNS, *((login.email, login.organization, login.role, login.password) for login in people)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        f"CareCoord demo logins, created {clock.now():%Y-%m-%d %H:%M} UTC.",
        "Sign in at http://127.0.0.1:8000/ with any of these; organization admins set up two-factor (TOTP) at",
        "their first sign-in. Every demo user has the same password, new with each demo install. One line per",
        "login; a login in several organizations lists them all and switches between them after signing in.",
        "",
        *("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows),
    ]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    path.chmod(0o600)  # an older file keeps its mode through O_CREAT
    return path


def logins_table(logins: list[Login]) -> Table:
    table = Table(title="CareCoord demo logins", title_justify="left")
    for column in COLUMNS:
        table.add_column(column, no_wrap=column in ("Email", "Password"))
    for login in logins_by_user(logins):
        table.add_row(login.email, login.organization, login.role, login.password)
    return table
