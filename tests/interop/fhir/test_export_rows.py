"""
The bulk export's fast row reading (export_rows): what write_export writes is, type by type and line by line,
what each part's mapper gives for its access-filtered rows one at a time (the path of a FHIR read), and every
line validates as FHIR R4; the visible-patient narrowing and the plain rows change no line, whether they
apply or not; and the statements an export runs do not grow with the number of patients or resources.
"""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecoord.checkins.models import Measurement
from carecoord.core.choices import Role
from carecoord.demo.world import COORDINATION_SLUG
from carecoord.interop.fhir import export_rows
from carecoord.interop.fhir.export import compartment_types, system_types, write_export
from carecoord.interop.fhir.registry import MAPPERS
from carecoord.patients.models import Patient

from ...factories import (
    ConditionFactory,
    OrganizationFactory,
    PatientFactory,
    RelatedPersonFactory,
    UserFactory,
    make_actor,
)
from .conftest import assert_valid


def per_row_output(actor, types: list[str], since: dt.datetime | None = None) -> dict[str, list[dict]]:
    """Each type's resources as the mappers build them one row at a time (no narrowing, no plain rows)."""
    out = {}
    for resource_type in types:
        resources = []
        for part in MAPPERS[resource_type].parts:
            rows = part.read_queryset(actor).order_by("pk")
            if since:
                rows = rows.filter(updated_at__gt=since)
            resources += [json.loads(json.dumps(part.to_fhir(obj))) for obj in rows]
        if resources:
            out[resource_type] = resources
    return out


def exported(actor, types: list[str], directory: Path, since: dt.datetime | None = None) -> dict[str, list[dict]]:
    files = write_export(actor, types, since, directory)
    out = {}
    for item in files:
        lines = (directory / item["file"]).read_text(encoding="utf-8").splitlines()
        assert len(lines) == item["count"]
        out[item["type"]] = [json.loads(line) for line in lines]
    assert sorted(p.name for p in directory.iterdir()) == sorted(item["file"] for item in files)  # no empty files
    return out


@pytest.fixture
def world(db, settings):
    """The demo world (4 organizations, shares into the coordination one) plus measurements, some toward goals."""
    from carecoord.careplans.models import Goal
    from carecoord.demo.world import world_create

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = world_create(password="demo-test-password-7f3k2q", patients=40)
    user = UserFactory()
    for goal in Goal.objects.select_related("patient__organization").order_by("pk")[:6]:
        _measurement(goal.patient, user, goal=goal)
    for organization in world.organizations.values():
        for patient in Patient.objects.filter(organization=organization).order_by("pk")[:4]:
            _measurement(patient, user, kind="bp")
            _measurement(patient, user, organization=world.organizations[COORDINATION_SLUG])
    return world


def test_every_type_of_the_demo_world_is_written_as_its_mapper_writes_it_and_validates(world, tmp_path):
    checked, toward_goals = 0, 0
    for slug, organization in world.organizations.items():
        actor = make_actor(organization, Role.COORDINATOR)
        fast = exported(actor, system_types(), tmp_path / slug)
        assert fast == per_row_output(actor, system_types())
        for resources in fast.values():
            for resource in resources:
                assert_valid(resource)
            checked += len(resources)
        toward_goals += sum("extension" in r for r in fast["Observation"])
        assert {"Patient", "Observation", "Condition"} <= set(fast)
        if slug == COORDINATION_SLUG:  # its shared patients and the measurements it took of them
            shared = {r["subject"]["reference"] for r in fast["Observation"]} - {
                f"Patient/{p.public_id}" for p in Patient.objects.filter(organization=organization)
            }
            assert shared
    assert checked > 500
    assert toward_goals


def test_since_and_type_choices_are_kept(world, tmp_path):
    actor = make_actor(world.organizations[COORDINATION_SLUG], Role.COORDINATOR)
    everything = per_row_output(actor, compartment_types())
    stamps = sorted(r["meta"]["lastUpdated"] for rs in everything.values() for r in rs)
    since = dt.datetime.fromisoformat(stamps[len(stamps) // 2].replace("Z", "+00:00"))
    types = ["Observation", "Patient", "Condition"]
    fast = exported(actor, types, tmp_path / "since", since)
    assert fast == per_row_output(actor, types, since)
    assert set(fast) <= set(types)


def test_without_the_narrowing_the_lines_are_the_same(world, tmp_path, monkeypatch):
    """Above MAX_NARROWING_IDS visible patients the export reads every part as the mappers do: same lines."""
    actor = make_actor(world.organizations[COORDINATION_SLUG], Role.COORDINATOR)
    narrowed = exported(actor, system_types(), tmp_path / "narrowed")
    monkeypatch.setattr(export_rows, "MAX_NARROWING_IDS", 1)
    assert export_rows.visible_patient_ids(actor, [(MAPPERS["Patient"], None)]) is None
    assert exported(actor, system_types(), tmp_path / "plain") == narrowed


# --- access: the narrowing never widens what a part shows ---------------------------------------------------


@pytest.mark.django_db
def test_restricted_and_other_organizations_patients_stay_out(tmp_path):
    organization = OrganizationFactory(slug="rows-access")
    seen = PatientFactory(organization=organization)
    hidden = PatientFactory(organization=organization, restricted=True)
    stranger = PatientFactory(organization=OrganizationFactory(slug="rows-stranger"))
    user = UserFactory()
    for patient in (seen, hidden, stranger):
        ConditionFactory(patient=patient)
        _measurement(patient, user)
    actor = make_actor(organization, Role.COORDINATOR)
    fast = exported(actor, system_types(), tmp_path)
    assert fast == per_row_output(actor, system_types())
    subjects = {r["subject"]["reference"] for t in ("Condition", "Observation") for r in fast[t]}
    assert subjects == {f"Patient/{seen.public_id}"}


# --- statements ----------------------------------------------------------------------------------------------


def _measurement(patient, user, kind="weight", goal=None, organization=None) -> Measurement:
    bp = kind == "bp"
    return Measurement.objects.create(
        organization=organization or patient.organization,
        patient=patient,
        goal=goal,
        kind=kind,
        loinc="85354-9" if bp else "29463-7",
        value=Decimal("128") if bp else Decimal("81.5"),
        value2=Decimal("82") if bp else None,
        unit="mm[Hg]" if bp else "kg",
        occurred_at=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC),
        by=user,
        note="Seated." if bp else "",
    )


def _record(organization, user, count: int) -> None:
    for patient in PatientFactory.create_batch(count, organization=organization):
        ConditionFactory(patient=patient)
        RelatedPersonFactory(patient=patient)
        _measurement(patient, user)
        _measurement(patient, user, kind="bp")


@pytest.mark.django_db
def test_an_export_of_three_times_the_patients_runs_the_same_statements(tmp_path):
    organization = OrganizationFactory(slug="rows-budget")
    user = UserFactory()
    actor = make_actor(organization, Role.COORDINATOR)

    def export(name: str) -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as captured:
            files = write_export(actor, system_types(), None, tmp_path / name)
        return len(captured.captured_queries), {item["type"]: item["count"] for item in files}

    _record(organization, user, 4)
    few, counts = export("few")
    assert counts == {"Patient": 4, "Condition": 4, "Observation": 8, "RelatedPerson": 4}
    _record(organization, user, 8)
    many, counts = export("many")
    assert counts == {"Patient": 12, "Condition": 12, "Observation": 24, "RelatedPerson": 12}
    assert many == few
