"""The `createorg` and `createuser` management commands (the `carecoord` CLI runs the same commands)."""

import io

import pytest
from django.core.management import CommandError, call_command

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent, Membership, Organization, User
from tests.factories import OrganizationFactory

GOOD_PASSWORD = "plum-orchard-ladder-1987"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(*args, stdin: str | None = None) -> str:
    out = io.StringIO()
    options = {"stdout": out, "stderr": io.StringIO()}
    if stdin is not None:
        options["stdin"] = io.StringIO(stdin)
    call_command(*args, **options)
    return out.getvalue()


# --- createorg --------------------------------------------------------------------------------------------


def test_createorg_prints_the_slug_and_requires_two_factor(db):
    out = run("createorg", "Lakeview Clinic", "--kind", "clinic", "--state", "il", "--timezone", "America/Chicago")
    assert out.strip() == "lakeview-clinic"
    org = Organization.objects.get(slug="lakeview-clinic")
    assert org.name == "Lakeview Clinic"
    assert org.state == "IL"
    assert org.require_mfa is True
    assert AuditEvent.objects.filter(event="organization.create", acting_organization=org).count() == 1


def test_createorg_with_slug_and_without_two_factor(db):
    out = run("createorg", "Riverside Hospital", "--kind", "hospital", "--state", "WI", "--timezone",
              "America/Chicago", "--slug", "riverside", "--no-require-mfa")  # fmt: skip
    assert out.strip() == "riverside"
    assert Organization.objects.get(slug="riverside").require_mfa is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--state", "XX", "--timezone", "America/Chicago"], "XX"),
        (["--state", "IL", "--timezone", "Mars/Base"], "Mars/Base"),
        (["--state", "IL", "--timezone", "America/Chicago", "--slug", "Bad Slug"], "slug"),
    ],
)
def test_createorg_errors(db, args, message):
    with pytest.raises(CommandError, match=message):
        run("createorg", "Lakeview Clinic", "--kind", "clinic", *args)
    assert not Organization.objects.exists()


def test_createorg_refuses_a_taken_slug(db):
    OrganizationFactory(slug="lakeview")
    with pytest.raises(CommandError, match="already exists"):
        run("createorg", "Lakeview", "--kind", "clinic", "--state", "IL", "--timezone", "America/Chicago",
            "--slug", "lakeview")  # fmt: skip


# --- createuser -------------------------------------------------------------------------------------------


def test_createuser_reads_the_password_from_stdin(org):
    out = run("createuser", "Alice@Example.org", "--org", org.slug, "--role", "coordinator", "--name",
              "Alice Smith", stdin=f"{GOOD_PASSWORD}\n")  # fmt: skip
    assert "Created alice@example.org (coordinator at lakeside)" in out
    user = User.objects.get(email="alice@example.org")
    assert user.full_name == "Alice Smith"
    assert user.check_password(GOOD_PASSWORD)
    assert list(user.memberships.values_list("organization__slug", "role")) == [("lakeside", "coordinator")]


def test_createuser_accepts_windows_line_endings(org):
    run("createuser", "bob@example.org", "--org", org.slug, "--role", "provider", stdin=f"{GOOD_PASSWORD}\r\n")
    assert User.objects.get(email="bob@example.org").check_password(GOOD_PASSWORD)


def test_createuser_for_an_unknown_organization(db):
    with pytest.raises(CommandError, match="No organization with slug “nowhere”"):
        run("createuser", "alice@example.org", "--org", "nowhere", "--role", "coordinator", stdin=GOOD_PASSWORD)
    assert not User.objects.exists()


@pytest.mark.parametrize("password", ["short", "password1234", ""])
def test_createuser_rejects_a_weak_password(org, password):
    with pytest.raises(CommandError):
        run("createuser", "alice@example.org", "--org", org.slug, "--role", "coordinator", stdin=f"{password}\n")
    assert not User.objects.exists()


def test_createuser_rejects_an_unknown_role(org):
    with pytest.raises(CommandError):
        run("createuser", "alice@example.org", "--org", org.slug, "--role", "wizard", stdin=GOOD_PASSWORD)


def test_createuser_for_an_existing_email_adds_a_membership(org, other_org):
    run("createuser", "alice@example.org", "--org", org.slug, "--role", "coordinator", stdin=GOOD_PASSWORD)
    out = run("createuser", "ALICE@example.org", "--org", other_org.slug, "--role", "provider",
              stdin="a-different-password-entirely\n")  # fmt: skip
    assert "Added role provider at riverside to alice@example.org" in out
    user = User.objects.get()
    assert user.check_password(GOOD_PASSWORD)  # the password is not changed
    assert set(Membership.objects.filter(user=user).values_list("organization__slug", "role")) == {
        ("lakeside", Role.COORDINATOR),
        ("riverside", Role.PROVIDER),
    }


def test_createuser_keeps_admin_privileges_on_a_separate_account(org):
    """RELIABILITY rule 2: the admin role goes on its own identity, never onto an everyday account."""
    run("createuser", "alice@example.org", "--org", org.slug, "--role", "coordinator", stdin=GOOD_PASSWORD)
    with pytest.raises(CommandError, match="separate account"):
        run("createuser", "alice@example.org", "--org", org.slug, "--role", "org_admin", stdin=GOOD_PASSWORD)
    out = run("createuser", "alice.admin@example.org", "--org", org.slug, "--role", "org_admin", stdin=GOOD_PASSWORD)
    assert "Created alice.admin@example.org" in out


# --- the `carecoord` console entry ------------------------------------------------------------------------


def test_the_carecoord_cli_accepts_dashed_command_names(org, capsys):
    from carecoord.cli import main

    main(["carecoord", "audit-verify"])
    assert "Audit chain intact" in capsys.readouterr().out


def test_the_carecoord_cli_exits_non_zero_on_a_broken_chain(org, capsys):
    from django.db import connection, transaction

    from carecoord.cli import main
    from carecoord.core.audit import audit_record, audit_seal
    from carecoord.records.db_guards import AUDIT_TABLE, triggers_lifted

    for _ in range(3):
        audit_record(event="test.event", organization=org)
    audit_seal()
    with transaction.atomic(), triggers_lifted([AUDIT_TABLE]), connection.cursor() as cursor:  # a DBA's edit
        cursor.execute("UPDATE core_auditevent SET event='x' WHERE sequence=2")
    with pytest.raises(SystemExit) as info:
        main(["carecoord", "audit-verify"])
    assert info.value.code == 1
    assert "BROKEN at sequence 2" in capsys.readouterr().err
