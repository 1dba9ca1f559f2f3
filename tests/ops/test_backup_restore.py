"""
T33, the restore drill, on the database under test (SQLite or PostgreSQL): `carecoord backup` writes an
encrypted artefact and manifest; `carecoord restore` puts it into a fresh database; every table's rows
(count and a content hash) match the source and the audit chain verifies. Without the key nothing is readable.
"""

import base64
import hashlib
import json
import secrets
import sqlite3
import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

from carecoord.core.audit import audit_record, audit_seal
from carecoord.core.choices import AuditAction, Role

from ..factories import OrganizationFactory, PatientFactory, make_actor

DISTINCTIVE = "Quillfeather-Backupson"


@pytest.fixture
def key(monkeypatch):
    value = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    monkeypatch.setenv("CARECOORD_BACKUP_KEY", value)
    return value


@pytest.fixture
def records(transactional_db):
    """Committed data (pg_dump reads from another session) with a sealed audit chain."""
    organization = OrganizationFactory(name="Drill Clinic", slug="drill")
    actor = make_actor(organization, Role.COORDINATOR)
    patients = [PatientFactory(organization=organization, family_name=DISTINCTIVE) for _ in range(3)]
    for patient in patients:
        audit_record(actor=actor, event="patient.view", action=AuditAction.READ, patient=patient, target=patient)
    audit_seal()
    return patients


def rows_digest(cursor, table: str) -> tuple[int, str]:
    cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 -- names from the catalog
    rows = sorted(repr(tuple(row)) for row in cursor.fetchall())
    return len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()


def snapshot(cursor, tables) -> dict[str, tuple[int, str]]:
    return {table: rows_digest(cursor, table) for table in sorted(tables)}


def backup(tmp_path) -> tuple:
    out = tmp_path / "backups"
    call_command("backup", "--output", str(out))
    (artefact,) = out.glob("*.ccbackup")
    manifest = json.loads((out / f"{artefact.name}.manifest.json").read_text())
    return artefact, manifest


@pytest.fixture
def fresh_database(tmp_path):
    """The URL of an empty database of the engine under test; a PostgreSQL one is dropped afterwards."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        yield f"sqlite:///{path}", {"engine": "sqlite", "name": str(path)}
        return
    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    auth = f"{settings_dict['USER']}" + (f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else "")
    url = f"postgres://{auth}@{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{name}"
    info = pg_info(settings_dict)
    yield url, {"engine": "postgresql", "name": name, "info": info}
    with psycopg.connect(dbname="postgres", autocommit=True, **info) as db:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def raw_snapshot(target, tables):
    """Rows read through a plain driver connection (no Django converters), the same way on both sides."""
    if target["engine"] == "sqlite":
        db = sqlite3.connect(target["name"], uri=target["name"].startswith("file:"))
        try:
            return snapshot(db.cursor(), tables)
        finally:
            db.close()
    with psycopg.connect(dbname=target["name"], options="-c TimeZone=UTC", **target["info"]) as db:
        return snapshot(db.cursor(), tables)


def source_target() -> dict:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"engine": "sqlite", "name": settings_dict["NAME"]}
    return {"engine": "postgresql", "name": settings_dict["NAME"], "info": pg_info(settings_dict)}


def pg_info(settings_dict) -> dict:
    info = {"user": settings_dict["USER"], "host": settings_dict["HOST"], "port": settings_dict["PORT"] or 5432}
    if settings_dict.get("PASSWORD"):
        info["password"] = settings_dict["PASSWORD"]
    return info


def test_restore_drill_gives_back_every_row_and_a_verified_audit_chain(records, key, tmp_path, fresh_database):
    artefact, manifest = backup(tmp_path)
    tables = list(manifest["row_counts"])
    before = raw_snapshot(source_target(), tables)
    assert manifest["engine"] == connection.vendor.replace("postgresql", "postgresql")
    assert manifest["row_counts"]["patients_patient"] >= 3
    assert any(m.startswith("core.") for m in manifest["migrations"])
    assert {t: c for t, (c, _) in before.items()} == manifest["row_counts"]

    output = []
    call_command("restore", str(artefact), "--database-url", fresh_database[0], stdout=_Sink(output))
    report = "".join(output)
    assert "Audit chain intact" in report
    assert "Restore complete and verified" in report
    assert raw_snapshot(fresh_database[1], tables) == before


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(records, key, tmp_path, fresh_database):
    artefact, _ = backup(tmp_path)
    call_command("restore", str(artefact), "--database-url", fresh_database[0], stdout=_Sink([]))
    with pytest.raises(CommandError, match="already holds"):
        call_command("restore", str(artefact), "--database-url", fresh_database[0], stdout=_Sink([]))
    output = []
    call_command("restore", str(artefact), "--database-url", fresh_database[0], "--force", stdout=_Sink(output))
    assert "Restore complete and verified" in "".join(output)


def test_the_artefact_cannot_be_read_without_its_key(records, key, tmp_path, monkeypatch, fresh_database):
    artefact, manifest = backup(tmp_path)
    data = artefact.read_bytes()
    for clear in (DISTINCTIVE.encode(), b"SQLite format 3", b"PGDMP", b"manifest.json", b"patients_patient"):
        assert clear not in data
    assert hashlib.sha256(data).hexdigest() == manifest["artefact_sha256"]
    monkeypatch.setenv("CARECOORD_BACKUP_KEY", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("restore", str(artefact), "--database-url", fresh_database[0], stdout=_Sink([]))
    monkeypatch.setenv("CARECOORD_BACKUP_KEY", key)
    tampered = tmp_path / "tampered.ccbackup"
    tampered.write_bytes(data[:-40] + bytes(40))
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("restore", str(tampered), "--database-url", fresh_database[0], stdout=_Sink([]))


def test_a_key_file_beside_the_backups_is_refused(records, tmp_path, monkeypatch):
    monkeypatch.delenv("CARECOORD_BACKUP_KEY", raising=False)
    out = tmp_path / "backups"
    out.mkdir()
    (out / "backup.key").write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    with pytest.raises(CommandError, match="keep the key apart"):
        call_command("backup", "--output", str(out), "--key-file", str(out / "backup.key"))
    with pytest.raises(CommandError, match="No backup key"):
        call_command("backup", "--output", str(out))


class _Sink:
    def __init__(self, parts):
        self.parts = parts

    def write(self, text):
        self.parts.append(text)

    def flush(self):
        pass
