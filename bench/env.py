"""
The benchmark's settings: scale presets, where its database lives (DATABASE_URL, or a SQLite file per scale
under bench/.data/), and Django set-up. The generator, the runner and the server they start all read
DATABASE_URL from the environment this module prepares, so they always talk to the same database.
"""

import os
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / ".data"
PROJECT_DIR = BENCH_DIR.parent

# Every organization the generator makes has a slug starting with this; anything else is somebody's data.
BENCH_SLUG_PREFIX = "bench-"
BENCH_PASSWORD = "bench-coordinator-password-2026"  # noqa: S105 -- a published benchmark login, never real
BENCH_EMAIL_DOMAIN = "bench.example"
BENCH_COORDINATOR_EMAIL = f"coordinator.bench@{BENCH_EMAIL_DOMAIN}"


@dataclass(frozen=True)
class Scale:
    """How big the generated organization is."""

    name: str
    patients: int
    tasks: int
    appointments: int  # kept for when scheduling exists; the generator skips them until then
    practitioners: int
    coordinators: int
    bench_caseload: int = 400  # the benchmark coordinator's caseload; the others share the rest evenly

    @property
    def tasks_per_patient(self) -> int:
        return max(1, round(self.tasks / self.patients))

    @property
    def partner_patients(self) -> int:
        """The second, small organization (a partner clinic) that shares some patients by consent."""
        return max(20, self.patients // 100)


SCALES = {
    "small": Scale("small", patients=1_000, tasks=10_000, appointments=2_000, practitioners=20, coordinators=3),
    "medium": Scale(
        "medium", patients=100_000, tasks=1_000_000, appointments=200_000, practitioners=500, coordinators=300
    ),
    "large": Scale(
        "large", patients=1_000_000, tasks=10_000_000, appointments=2_000_000, practitioners=5_000, coordinators=3_000
    ),
}


def default_database_url(scale: str) -> str:
    return f"sqlite:///{DATA_DIR / f'bench-{scale}.sqlite3'}"


def configure(scale: str) -> str:
    """Points this process (and the children it starts) at the benchmark database; returns its URL."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL") or default_database_url(scale)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "carecoord.settings"
    os.environ.pop("CARECOORD_DEBUG", None)  # DEBUG would record every query and slow everything down
    os.environ.setdefault("CARECOORD_LOG_LEVEL", "WARNING")
    return url


def setup_django() -> None:
    import gc

    import django

    django.setup()
    gc.freeze()  # as the server's processes and the worker do (carecoord.wsgi)


def redact(url: str) -> str:
    """The URL without its password, for reports."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"
