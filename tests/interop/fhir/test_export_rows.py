"""
The bulk export's fast row reading (export_rows): what write_export writes is, type by type and line by line,
what each part's mapper gives for its access-filtered rows one at a time (the path of a FHIR read), and every
line validates as FHIR R4; the visible-patient narrowing, the skipping of parts without rows and the plain
rows change no line, whether they apply or not; and the statements an export runs do not grow with the
number of patients or resources.
"""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecoord.checkins.models import Measurement
from carecoord.community.models import Referral
from carecoord.core.choices import Role
from carecoord.demo.world import COORDINATION_SLUG
from carecoord.interop.fhir import export_rows
from carecoord.interop.fhir.export import compartment_types, system_types, write_export
from carecoord.interop.fhir.registry import MAPPERS
from carecoord.patients.choices import CareTeamRole
from carecoord.patients.models import CareTeamMember, Patient

from ...factories import (
    ConditionFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
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
    """The demo world (all its organizations, shares into the coordination one) plus measurements, some toward goals."""
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


def test_plain_rows_read_in_small_batches_give_the_same_lines(world, tmp_path, monkeypatch):
    """Related objects are read batch by batch (those not read yet): many batches, the same lines."""
    actor = make_actor(world.organizations[COORDINATION_SLUG], Role.COORDINATOR)
    monkeypatch.setattr(export_rows, "BATCH_SIZE", 3)
    types = ["Observation", "Condition"]
    fast = exported(actor, types, tmp_path)
    assert fast == per_row_output(actor, types)
    assert len(fast["Observation"]) > 3 * 3


# --- parts without rows are not read --------------------------------------------------------------------------


def _parts(types: list[str]) -> list:
    return [part for name in types for part in MAPPERS[name].parts]


def _found(actor, types: list[str], since: dt.datetime | None = None) -> set[str]:
    """The part classes `may_have_rows` says may have rows, among the parts it checks."""
    parts = _parts(types)
    ids = export_rows.visible_patient_ids(actor, [(part, None) for part in parts])
    answer = export_rows.may_have_rows(parts, actor, ids, since)
    return {type(part).__name__ for part, found in zip(parts, answer, strict=True) if found}


@pytest.mark.django_db
def test_every_narrowed_part_reads_its_own_table():
    """may_have_rows looks for a PATIENT_FIELD part's rows in `part.model`: its queryset must read that model."""
    actor = make_actor(OrganizationFactory(slug="rows-tables"), Role.COORDINATOR)
    narrowed = [part for part in _parts(system_types()) if type(part) in export_rows.PATIENT_FIELD]
    assert len(narrowed) == len(export_rows.PATIENT_FIELD)
    for part in narrowed:
        assert part.read_queryset(actor).model is part.model
        field = export_rows.PATIENT_FIELD[type(part)]
        assert field == "pk" or part.model._meta.get_field(field.removesuffix("_id")).related_model is Patient


@pytest.mark.django_db
def test_parts_of_patients_without_rows_are_found_empty_and_not_read(tmp_path):
    organization = OrganizationFactory(slug="rows-empty")
    actor = make_actor(organization, Role.COORDINATOR)
    patient = PatientFactory(organization=organization)
    ConditionFactory(patient=patient)
    stranger = PatientFactory(organization=OrganizationFactory(slug="rows-empty-stranger"))
    hidden = PatientFactory(organization=organization, restricted=True)
    user = UserFactory()
    for other in (stranger, hidden):  # rows of patients the actor does not see make no part look full
        _measurement(other, user)
        RelatedPersonFactory(patient=other)
    found = _found(actor, system_types())
    assert {"PatientMapper", "ConditionMapper"} <= found
    assert not found & {"ObservationMapper", "RelatedPersonMapper", "CareTeamMapper", "GoalMapper", "CarePlanTask"}
    assert {"LocationMapper", "PractitionerMapper", "SlotMapper"} <= found  # not narrowed: always read
    with CaptureQueriesContext(connection) as captured:
        files = write_export(actor, system_types(), None, tmp_path)
    assert {item["type"] for item in files} == {"Patient", "Condition"}
    reads = " ".join(q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SELECT EXISTS("))
    assert 'FROM "checkins_measurement"' not in reads
    assert 'FROM "patients_relatedperson"' not in reads
    assert 'FROM "patients_condition"' in reads

    _measurement(patient, user)
    assert "ObservationMapper" in _found(actor, system_types())
    assert exported(actor, system_types(), tmp_path / "again") == per_row_output(actor, system_types())


@pytest.mark.django_db
def test_since_finds_parts_with_only_older_rows_empty(tmp_path):
    organization = OrganizationFactory(slug="rows-since")
    actor = make_actor(organization, Role.COORDINATOR)
    patient = PatientFactory(organization=organization)
    ConditionFactory(patient=patient)
    later = Patient.objects.get(pk=patient.pk).updated_at + dt.timedelta(seconds=1)
    assert _found(actor, ["Patient", "Condition"], later) == set()
    assert _found(actor, ["Patient", "Condition"], later - dt.timedelta(days=1)) == {"PatientMapper", "ConditionMapper"}
    assert exported(actor, ["Patient", "Condition"], tmp_path, later) == {}


@pytest.mark.django_db
def test_a_care_team_and_a_received_referral_are_found_and_written(tmp_path):
    """CareTeam rows are patients with members; a Task may be a referral addressed to the organization."""
    organization = OrganizationFactory(slug="rows-team")
    sender = OrganizationFactory(slug="rows-sender")
    actor = make_actor(organization, Role.COORDINATOR)
    patient = PatientFactory(organization=organization)
    assert not _found(actor, ["CareTeam", "Task"]) & {"CareTeamMapper", "ReferralTask"}
    CareTeamMember.objects.create(
        organization=organization,
        patient=patient,
        role=CareTeamRole.COORDINATOR,
        user=actor.user,
        start_date=dt.date(2026, 1, 5),
    )
    elsewhere = PatientFactory(organization=sender)  # not visible to the actor: only the inbox shows it
    Referral.objects.create(
        organization=sender,
        patient=elsewhere,
        need="food-insecurity",
        practitioner=PractitionerFactory(organization=sender),
        receiving_organization=organization,
        reason="Needs groceries.",
        consent_by="The patient",
        consent_method="verbal",
        consent_on=dt.date(2026, 11, 1),
        respond_by=dt.date(2026, 11, 20),
        sent_at=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC),
        created_by=UserFactory(),
    )
    assert {"CareTeamMapper", "ReferralTask"} <= _found(actor, ["CareTeam", "Task"])
    fast = exported(actor, ["CareTeam", "Task"], tmp_path)
    assert fast == per_row_output(actor, ["CareTeam", "Task"])
    assert len(fast["CareTeam"]) == 1
    assert len(fast["Task"]) == 1


@pytest.mark.django_db
def test_a_long_list_of_patients_is_checked_in_several_statements(monkeypatch):
    organization = OrganizationFactory(slug="rows-chunks")
    actor = make_actor(organization, Role.COORDINATOR)
    for patient in PatientFactory.create_batch(3, organization=organization):
        ConditionFactory(patient=patient)
    one = _found(actor, system_types())
    monkeypatch.setattr(export_rows, "MAX_PARAMS", 4)  # one part's test a statement
    parts = _parts(system_types())
    ids = export_rows.visible_patient_ids(actor, [(part, None) for part in parts])
    with CaptureQueriesContext(connection) as captured:
        export_rows.may_have_rows(parts, actor, ids, None)
    assert _found(actor, system_types()) == one
    checked = [p for p in parts if type(p) in export_rows.PATIENT_FIELD or type(p).__name__ == "ReferralTask"]
    assert len(captured.captured_queries) == len(checked)


@pytest.mark.django_db
def test_without_visible_patients_only_the_inbox_and_unnarrowed_parts_are_read():
    organization = OrganizationFactory(slug="rows-nobody")
    actor = make_actor(organization, Role.COORDINATOR)
    parts = _parts(system_types())
    assert export_rows.visible_patient_ids(actor, [(part, None) for part in parts]) == []
    found = _found(actor, system_types())
    assert not found & {type(p).__name__ for p in parts if type(p) in export_rows.PATIENT_FIELD}
    assert "ReferralTask" not in found  # no referral addressed to it either
    assert export_rows.may_have_rows(parts, actor, None, None) == [True] * len(parts)


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
