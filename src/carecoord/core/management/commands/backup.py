"""
`carecoord backup`: an encrypted, verifiable copy of the whole database (RELIABILITY.md rule 10, T33).

- SQLite: the online backup API (a consistent copy while the app keeps writing). PostgreSQL: `pg_dump -Fc`
  inside an exported snapshot, so the row counts of the manifest are those of the dump exactly.
- The artefact is one file, `carecoord-<engine>-<UTC time>.ccbackup`: a tar (manifest.json + the dump)
  encrypted with AES-256-GCM in 1 MiB chunks (the STREAM construction: a random nonce prefix, a chunk
  counter and a last-chunk flag in each nonce, so chunks cannot be reordered, dropped or truncated unseen).
- The key (32 random bytes, URL-safe base64) comes from CARECOORD_BACKUP_KEY or --key-file, and is never
  written beside the backup: a key file in the output folder is refused. `--generate-key` prints a new one.
- The manifest (also written in clear as `<artefact>.manifest.json`, it holds no PHI): date, engine,
  applied migrations, row counts per table, SHA-256 of the dump and of the encrypted artefact.
The plain dump exists only for the moment of packing, in a private (0700) temporary folder.
"""

import base64
import datetime as dt
import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

MAGIC = b"CCBACKUP1\n"
CHUNK = 1 << 20
KEY_ENV = "CARECOORD_BACKUP_KEY"


# --- keys ------------------------------------------------------------------------------------------------
def generate_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def load_key(key_file: str | None, *, forbidden_dir: Path | None = None) -> bytes:
    """The 32-byte key from --key-file or CARECOORD_BACKUP_KEY; refuses a key file kept in `forbidden_dir`."""
    if key_file:
        path = Path(key_file).resolve()
        if forbidden_dir is not None and path.parent == forbidden_dir.resolve():
            raise CommandError("The key file is in the backup folder: keep the key apart from the backups.")
        text = path.read_text().strip()
    else:
        text = os.environ.get(KEY_ENV, "").strip()
    if not text:
        raise CommandError(f"No backup key: set {KEY_ENV} or pass --key-file (make one with --generate-key).")
    try:
        key = base64.urlsafe_b64decode(text)
    except ValueError as exc:
        raise CommandError("The backup key is not URL-safe base64.") from exc
    if len(key) != 32:
        raise CommandError("The backup key must be 32 bytes (URL-safe base64, as --generate-key prints).")
    return key


def key_id(key: bytes) -> str:
    """A short fingerprint naming which key a backup needs, without revealing it."""
    return hashlib.sha256(b"carecoord-backup-key-id" + key).hexdigest()[:16]


# --- encryption ------------------------------------------------------------------------------------------
class EncryptingWriter(io.RawIOBase):
    """A write-only stream that encrypts into `out` chunk by chunk (AES-256-GCM, STREAM nonces)."""

    def __init__(self, out, key: bytes):
        self.out, self.aead, self.prefix = out, AESGCM(key), secrets.token_bytes(7)
        self.buffer, self.counter = bytearray(), 0
        out.write(MAGIC + self.prefix)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer += data
        while len(self.buffer) > CHUNK:
            self._seal(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self.buffer), last=True)
        super().close()

    def _seal(self, plain: bytes, *, last: bool) -> None:
        nonce = self.prefix + struct.pack(">IB", self.counter, int(last))
        sealed = self.aead.encrypt(nonce, plain, MAGIC)
        self.out.write(struct.pack(">I", len(sealed)) + sealed)
        self.counter += 1


def decrypt_stream(source, key: bytes):
    """Yields the plaintext chunks of an artefact; raises CommandError on a wrong key or any tampering."""
    if source.read(len(MAGIC)) != MAGIC:
        raise CommandError("This file is not a CareCoord backup.")
    prefix, aead, counter = source.read(7), AESGCM(key), 0
    while True:
        size = source.read(4)
        if len(size) < 4:
            raise CommandError("The backup is truncated (its last chunk is missing).")
        sealed = source.read(struct.unpack(">I", size)[0])
        for last in (0, 1):
            try:
                plain = aead.decrypt(prefix + struct.pack(">IB", counter, last), sealed, MAGIC)
                break
            except InvalidTag:
                plain = None
        if plain is None:
            raise CommandError("The backup cannot be decrypted: wrong key, or the file was altered.")
        yield plain
        counter += 1
        if last:
            if source.read(1):
                raise CommandError("The backup has data after its last chunk.")
            return


# --- database facts --------------------------------------------------------------------------------------
def table_counts(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 -- names from the database's own catalog
        counts[table] = cursor.fetchone()[0]
    return counts


def applied_migrations(cursor) -> list[str]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return [f"{app}.{name}" for app, name in cursor.fetchall()]


def pg_env(settings_dict: dict) -> dict[str, str]:
    """libpq environment for pg_dump/pg_restore/psql from a Django connection's settings."""
    env = {**os.environ, "PGDATABASE": settings_dict["NAME"]}
    for key, var in (("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"), ("HOST", "PGHOST"), ("PORT", "PGPORT")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    return env


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


class Command(BaseCommand):
    help = "Writes an encrypted backup of the database, with a manifest (see docs/operations.md)."

    def add_arguments(self, parser):
        parser.add_argument("--output", default="backups", help="Folder for the backup (default: ./backups).")
        parser.add_argument("--key-file", help=f"File holding the key (default: the {KEY_ENV} variable).")
        parser.add_argument("--database", default="default", help="Django database alias.")
        parser.add_argument("--generate-key", action="store_true", help="Print a new random key and exit.")

    def handle(self, *args, **options):
        if options["generate_key"]:
            self.stdout.write(generate_key())
            return
        out_dir = Path(options["output"])
        out_dir.mkdir(parents=True, exist_ok=True)
        key = load_key(options["key_file"], forbidden_dir=out_dir)
        conn = connections[options["database"]]
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="carecoord-backup-") as work:
            os.chmod(work, 0o700)
            if conn.vendor == "sqlite":
                dump, manifest = self._sqlite(conn, Path(work))
            elif conn.vendor == "postgresql":
                dump, manifest = self._postgresql(conn, Path(work))
            else:
                raise CommandError(f"Backups of {conn.vendor} databases are not supported.")
            manifest.update(created_at=dt.datetime.now(dt.UTC).isoformat(), key_id=key_id(key), format=1)
            manifest["dump_sha256"] = sha256_file(dump)
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            artefact = out_dir / f"carecoord-{conn.vendor}-{stamp}.ccbackup"
            self._pack(artefact, dump, manifest, key)
        manifest["artefact_sha256"] = sha256_file(artefact)
        manifest["seconds"] = round(time.monotonic() - started, 2)
        Path(f"{artefact}.manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        rows = sum(manifest["row_counts"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written: {artefact} ({len(manifest['row_counts'])} tables, {rows} rows, "
                f"{artefact.stat().st_size} bytes, {manifest['seconds']} s)."
            )
        )

    def _sqlite(self, conn, work: Path) -> tuple[Path, dict]:
        dump = work / "database.sqlite3"
        conn.ensure_connection()
        target = sqlite3.connect(dump)
        try:
            conn.connection.backup(target)  # the online backup API: consistent while others write
            cursor = target.cursor()
            cursor.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
            tables = [row[0] for row in cursor.fetchall()]
            manifest = {
                "engine": "sqlite",
                "migrations": applied_migrations(cursor),
                "row_counts": table_counts(cursor, tables),
            }
        finally:
            target.close()
        return dump, manifest

    def _postgresql(self, conn, work: Path) -> tuple[Path, dict]:
        if shutil.which("pg_dump") is None:
            raise CommandError("pg_dump is not installed (Debian: apt-get install postgresql-client).")
        dump = work / "database.pgdump"
        # A second connection holds a repeatable-read snapshot; pg_dump and the counts both read that one.
        holder = conn.copy()
        holder.ensure_connection()
        try:
            holder.connection.autocommit = False
            with holder.connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                tables = [row[0] for row in cursor.fetchall()]
                manifest = {
                    "engine": "postgresql",
                    "server_version": holder.connection.info.server_version,
                    "migrations": applied_migrations(cursor),
                    "row_counts": table_counts(cursor, tables),
                }
                result = subprocess.run(  # noqa: S603 -- fixed arguments, credentials in the environment
                    ["pg_dump", "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", "-f", str(dump)],  # noqa: S607
                    env=pg_env(holder.settings_dict),
                    capture_output=True,
                    text=True,
                    check=False,
                )
            holder.connection.rollback()
        finally:
            holder.close()
        if result.returncode != 0:
            raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        return dump, manifest

    def _pack(self, artefact: Path, dump: Path, manifest: dict, key: bytes) -> None:
        partial = artefact.with_suffix(".partial")
        with partial.open("wb") as out:
            os.chmod(partial, 0o600)
            writer = EncryptingWriter(out, key)
            with tarfile.open(fileobj=writer, mode="w|") as tar:
                data = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                tar.add(dump, arcname=dump.name)
            writer.close()
            out.flush()
            os.fsync(out.fileno())
        partial.rename(artefact)
