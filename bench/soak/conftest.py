"""Soak fixtures: one throwaway PostgreSQL installation per run, removed at the end; results under bench/.data/soak/."""

import json
import os
from pathlib import Path

import pytest

from .app import install

RESULTS = Path(__file__).resolve().parents[1] / ".data" / "soak"


@pytest.fixture(scope="session")
def installation(tmp_path_factory):
    app = install(tmp_path_factory.mktemp("soak"))
    yield app
    app.cluster.remove()


@pytest.fixture
def record():
    """Writes a test's figures to bench/.data/soak/<name>.json and prints them."""

    def write(name: str, figures: dict) -> None:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")
        print(f"\n{name}: {json.dumps(figures, default=str)}")

    return write


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))
