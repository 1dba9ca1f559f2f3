"""
`carecoord restore ARTEFACT`: the restore drill's other half (RELIABILITY.md T33).

Decrypts the backup (the key as for `carecoord backup`), checks the dump against the SHA-256 of its
manifest, and restores it into the database of --database-url (default: this installation's DATABASE_URL),
which must be empty unless --force. Then it checks that every table's row count equals the manifest's and
runs `carecoord audit-verify --no-seal` on the restored database; it reports the time taken.
"""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import dj_database_url
import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from psycopg import sql

from .backup import decrypt_stream, key_id, load_key, pg_env, sha256_file, table_counts


class _ChunkReader(io.RawIOBase):
    """A readable stream over the decrypted chunks, for tarfile's streaming mode."""

    def __init__(self, chunks):
        self.chunks, self.pending = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending:
            try:
                self.pending = next(self.chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


class Command(BaseCommand):
    help = "Restores an encrypted backup into an empty database and verifies it (see docs/operations.md)."

    def add_arguments(self, parser):
        parser.add_argument("artefact", help="The .ccbackup file.")
        parser.add_argument("--key-file", help="File holding the key (default: the CARECOORD_BACKUP_KEY variable).")
        parser.add_argument("--database-url", help="Where to restore (default: this installation's database).")
        parser.add_argument("--force", action="store_true", help="Replace a database that already holds tables.")

    def handle(self, *args, **options):
        key = load_key(options["key_file"])
        target = self._target(options["database_url"])
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="carecoord-restore-") as work:
            os.chmod(work, 0o700)
            manifest, dump = self._unpack(Path(options["artefact"]), key, Path(work))
            if manifest.get("key_id") not in (None, key_id(key)):
                raise CommandError("This backup was made with another key.")
            if sha256_file(dump) != manifest["dump_sha256"]:
                raise CommandError("The dump does not match the SHA-256 of its manifest.")
            if manifest["engine"] != target["engine"]:
                raise CommandError(f"A {manifest['engine']} backup cannot be restored into {target['engine']}.")
            restore = self._restore_sqlite if target["engine"] == "sqlite" else self._restore_postgresql
            counts = restore(target, dump, force=options["force"])
        restored_in = time.monotonic() - started
        differing = {t: (n, counts.get(t)) for t, n in manifest["row_counts"].items() if counts.get(t) != n}
        if differing:
            raise CommandError(f"Row counts differ from the manifest (expected, found): {differing}")
        self.stdout.write(f"Restored {len(counts)} tables, {sum(counts.values())} rows in {restored_in:.1f} s.")
        self._verify_audit(target["url"])
        self.stdout.write(self.style.SUCCESS(f"Restore complete and verified in {time.monotonic() - started:.1f} s."))

    def _target(self, url: str | None) -> dict:
        if url:
            settings_dict = dj_database_url.parse(url)
        else:
            settings_dict = connections["default"].settings_dict
            url = os.environ.get("DATABASE_URL") or f"sqlite:///{settings_dict['NAME']}"
        engine = "sqlite" if settings_dict["ENGINE"].endswith("sqlite3") else "postgresql"
        return {"engine": engine, "settings": settings_dict, "url": url}

    def _unpack(self, artefact: Path, key: bytes, work: Path) -> tuple[dict, Path]:
        if not artefact.is_file():
            raise CommandError(f"No backup at {artefact}.")
        manifest, dump = None, None
        with artefact.open("rb") as source:
            reader = io.BufferedReader(_ChunkReader(decrypt_stream(source, key)), buffer_size=1 << 20)
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for member in tar:
                    if member.name == "manifest.json":
                        manifest = json.loads(tar.extractfile(member).read())
                    elif member.name in ("database.sqlite3", "database.pgdump") and member.isfile():
                        dump = work / member.name
                        with dump.open("wb") as out:
                            shutil.copyfileobj(tar.extractfile(member), out)
                    else:
                        raise CommandError(f"Unexpected member in the backup: {member.name!r}.")
        if manifest is None or dump is None:
            raise CommandError("The backup lacks its manifest or its dump.")
        return manifest, dump

    def _restore_sqlite(self, target: dict, dump: Path, *, force: bool) -> dict[str, int]:
        path = Path(target["settings"]["NAME"])
        path.parent.mkdir(parents=True, exist_ok=True)
        destination = sqlite3.connect(path)
        try:
            tables = self._sqlite_tables(destination)
            if tables and not force:
                raise CommandError(f"{path} already holds {len(tables)} tables; restore into an empty one or --force.")
            source = sqlite3.connect(dump)
            try:
                source.backup(destination)
            finally:
                source.close()
            destination.execute("PRAGMA journal_mode=WAL")
            return table_counts(destination.cursor(), self._sqlite_tables(destination))
        finally:
            destination.close()

    @staticmethod
    def _sqlite_tables(db) -> list[str]:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        return [row[0] for row in rows.fetchall()]

    def _restore_postgresql(self, target: dict, dump: Path, *, force: bool) -> dict[str, int]:
        if shutil.which("pg_restore") is None:
            raise CommandError("pg_restore is not installed (Debian: apt-get install postgresql-client).")
        settings_dict = target["settings"]
        env = pg_env(settings_dict)
        self._create_database_if_missing(settings_dict)
        with psycopg.connect(**self._conninfo(settings_dict)) as db:
            tables = [r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        if tables and not force:
            raise CommandError(
                f"Database {settings_dict['NAME']} already holds {len(tables)} tables; restore into an empty one "
                "or --force."
            )
        command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "-d", settings_dict["NAME"]]
        command += ["--clean", "--if-exists"] if tables else ["--single-transaction"]
        result = subprocess.run([*command, str(dump)], env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        with psycopg.connect(**self._conninfo(settings_dict)) as db:
            names = [r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            return table_counts(db.cursor(), names)

    @staticmethod
    def _conninfo(settings_dict: dict, dbname: str | None = None) -> dict:
        info = {"dbname": dbname or settings_dict["NAME"], "connect_timeout": 10}
        for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host"), ("PORT", "port")):
            if settings_dict.get(key):
                info[name] = settings_dict[key]
        return info

    def _create_database_if_missing(self, settings_dict: dict) -> None:
        with psycopg.connect(**self._conninfo(settings_dict, "postgres"), autocommit=True) as db:
            exists = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings_dict["NAME"]]).fetchone()
            if not exists:
                db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings_dict["NAME"])))

    def _verify_audit(self, url: str) -> None:
        env = {**os.environ, "DATABASE_URL": url}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        result = subprocess.run(
            [sys.executable, "-m", "carecoord.cli", "audit-verify", "--no-seal"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        self.stdout.write((result.stdout + result.stderr).strip())
        if result.returncode != 0:
            raise CommandError("The audit chain of the restored database does not verify.")
