"""
One CareCoord installation for the soak tests on a throwaway PostgreSQL: migrated, an organization without
two-factor (scripted clients), a FHIR system client, and `carecoord serve` started on demand.
"""

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import requests
from tests.ops.serverkit import Server, carecoord, child_env, free_port

from .cluster import ThrowawayPostgres


@dataclass
class Installation:
    cluster: ThrowawayPostgres
    folder: Path
    env: dict
    client_id: str
    client_secret: str

    def serve(self, *args: str, port: int | None = None, extra_env: dict | None = None) -> "Running":
        port = port or free_port()
        env = {**self.env, **(extra_env or {})}
        server = Server(env, "--bind", f"127.0.0.1:{port}", *args, log=self.folder / "serve.log").start()
        running = Running(self, server, f"http://127.0.0.1:{port}", port)
        server.wait_until(lambda: requests.get(f"{running.base}/healthz", timeout=3).status_code == 200)
        return running

    def token(self, base: str) -> str:
        response = requests.post(
            f"{base}/oauth/token",
            data={"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def shell(self, code: str, *, extra_env: dict | None = None) -> str:
        return carecoord("shell", "-c", code, env={**self.env, **(extra_env or {})})


@dataclass
class Running:
    installation: Installation
    server: Server
    base: str
    port: int

    def stop(self) -> None:
        self.server.stop()


def install(folder: Path) -> Installation:
    cluster = ThrowawayPostgres().init()
    try:
        return _install(cluster, folder)
    except BaseException:
        cluster.remove()
        raise


def _install(cluster: ThrowawayPostgres, folder: Path) -> Installation:
    cluster.create_database()
    env = child_env(
        DATABASE_URL=cluster.url(),
        CARECOORD_VAR_DIR=str(folder),
        CARECOORD_SECRET_KEY=secrets.token_urlsafe(50),
        CARECOORD_LOG_LEVEL="WARNING",
    )
    carecoord("migrate", "--no-input", env=env)
    slug = carecoord("createorg", "Soak Clinic", "--kind", "clinic", "--state", "IL", "--timezone",
                     "America/Chicago", "--slug", "soak", "--no-require-mfa", env=env).strip()  # fmt: skip
    client = json.loads(carecoord("api-client", "create", "--org", slug, "--scopes", "system/*.*", "--json", env=env))
    return Installation(cluster, folder, env, client["client_id"], client["client_secret"])
