"""`carecoord demo` as `make run` calls it, and its options."""

import io
import stat
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import transaction

from carecoord.careplans.models import Task
from carecoord.core.models import Organization, User
from carecoord.demo import world as world_module
from carecoord.patients.models import Patient
from tests.factories import OrganizationFactory

DATA = Path(__file__).resolve().parents[1] / "data" / "synthea"
SMALL = ("--patients", "40")  # the same world, fewer patients: these tests are about the command

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def run(*args) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def saved_password(var_dir: Path) -> str:
    lines = (var_dir / "demo-logins.txt").read_text().splitlines()
    return next(line for line in lines if line.startswith("maria.lopez@prairie.demo")).split()[-1]


def patients_snapshot() -> list[tuple]:
    fields = ("organization__slug", "mrn", "given_name", "family_name", "birth_date", "phone_primary", "chart_alert")
    return list(Patient.objects.order_by("organization__slug", "mrn").values_list(*fields))


def tasks_snapshot() -> list[tuple]:
    fields = ("organization__slug", "patient__mrn", "careplan__title", "title", "occurrence", "due_date", "status",
              "priority", "owner__email", "owner_role", "outcome_note", "snoozed_until")  # fmt: skip
    return sorted(Task.objects.values_list(*fields), key=repr)


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_if_empty_builds_the_world_saves_the_logins_and_prints_them(var_dir):
    output = run("--if-empty", *SMALL)
    logins = var_dir / "demo-logins.txt"
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    saved = logins.read_text()
    password = saved_password(var_dir)
    assert len(password) >= 20
    assert password in output
    for email in world_module.demo_emails():
        assert email in saved
        assert email in output
    assert "Northside Family Clinic" in output
    assert "Organization admin" in output
    assert "Care plans" in output
    assert "Overdue tasks" in output
    assert "Upcoming appointments" in output
    assert "Riverside Community Health Center" in output
    assert Organization.objects.filter(slug__in=world_module.DEMO_SLUGS).count() == 5
    assert Patient.objects.count() == 40


def test_if_empty_a_second_time_changes_nothing_and_shows_the_saved_logins(var_dir):
    run("--if-empty", *SMALL)
    before = row_counts()
    assert before["careplans.Task"] > 0
    saved = (var_dir / "demo-logins.txt").read_text()
    output = run("--if-empty", *SMALL)
    assert output.startswith("Demo data already loaded")
    assert saved in output
    assert row_counts() == before
    assert (var_dir / "demo-logins.txt").read_text() == saved


def test_if_empty_leaves_a_database_with_other_organizations_alone(var_dir):
    OrganizationFactory()
    output = run("--if-empty")
    assert output.startswith("Demo data already loaded")
    assert "No saved logins" in output
    assert not Patient.objects.exists()
    assert not (var_dir / "demo-logins.txt").exists()


def test_without_if_empty_a_loaded_world_is_refused():
    run(*SMALL)
    with pytest.raises(CommandError, match="already loaded"):
        run(*SMALL)


def test_each_install_gets_a_new_password_but_the_same_world(var_dir):
    with transaction.atomic():
        run(*SMALL)
        first, first_password = patients_snapshot(), saved_password(var_dir)
        first_tasks = tasks_snapshot()
        transaction.set_rollback(True)
    assert not Patient.objects.exists()
    run(*SMALL)
    assert patients_snapshot() == first
    assert first_tasks
    assert tasks_snapshot() == first_tasks
    assert saved_password(var_dir) != first_password


def test_a_failure_leaves_nothing_half_written(monkeypatch, var_dir):
    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(world_module, "share_rows", fail)
    with pytest.raises(RuntimeError):
        run(*SMALL)
    assert not Organization.objects.exists()
    assert not User.objects.exists()
    assert not Patient.objects.exists()
    assert not Task.objects.exists()
    assert not (var_dir / "demo-logins.txt").exists()


def test_synthea_bundles_load_into_the_clinic_with_the_world():
    output = run(*SMALL, "--synthea", str(DATA))
    clinic = Organization.objects.get(slug="northside")
    assert Patient.objects.filter(organization=clinic, mrn="ad2e3fc5-2b5d-4cb9-8d03-9ea0f4ac8423").exists()
    assert "Synthea import" in output
    assert "Patients loaded" in output
    output = run("--synthea", str(DATA), "--org", "lakeshore")  # the world exists: Synthea only
    assert Patient.objects.filter(organization__slug="lakeshore", family_name="Hintz").exists()


def test_bad_synthea_options_stop_before_anything_is_built(tmp_path):
    with pytest.raises(CommandError, match="not a folder"):
        run("--synthea", str(tmp_path / "missing"))
    with pytest.raises(CommandError, match="No organization"):
        run("--synthea", str(DATA), "--org", "nowhere")
    assert not Organization.objects.exists()
