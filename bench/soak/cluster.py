"""
A throwaway PostgreSQL cluster for fault tests: `initdb` into a temporary folder, its own port, trust
authentication on 127.0.0.1 only. Tests may crash it (`pg_ctl stop -m immediate`); the shared server on
5432 is never touched. As root, the cluster runs as the `postgres` system user (initdb refuses root).
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from tests.ops.serverkit import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _bin(name: str) -> str:
    found = PG_BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


class ThrowawayPostgres:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="carecoord-soak-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = ["runuser", "-u", "postgres", "--", *args] if self.as_postgres else list(args)
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)  # noqa: S603

    def init(self) -> "ThrowawayPostgres":
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.folder}'\n"
                "max_connections = 60\nfsync = on\nshared_buffers = 64MB\n"
            )
        return self.start()

    def start(self) -> "ThrowawayPostgres":
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w", "start")
        return self

    def crash(self) -> None:
        """Stops the server the way a power cut would: no checkpoint, clients cut off."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "carecoord_soak") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "carecoord_soak", **kwargs) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, connect_timeout=5, **kwargs
        )

    def create_database(self, name: str = "carecoord_soak") -> None:
        with self.connect("postgres", autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
