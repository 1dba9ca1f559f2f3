"""Production posture: `check --deploy` is clean and the app refuses to start without its secrets."""

import os
import secrets
import subprocess
import sys

PRODUCTION_ENV = {
    "CARECOORD_ENV": "production",
    "CARECOORD_ALLOWED_HOSTS": "carecoord.example.org",
}


def run_manage(*args, env_overrides):
    env = {**os.environ, **env_overrides}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests for Playwright; never in a deployment
    return subprocess.run(  # noqa: S603 -- our own CLI with fixed arguments
        [sys.executable, "-m", "carecoord.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_deploy_check_is_clean_with_production_settings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env_overrides={**PRODUCTION_ENV, "CARECOORD_SECRET_KEY": secrets.token_urlsafe(50)},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", env_overrides={**PRODUCTION_ENV, "CARECOORD_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "CARECOORD_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_manage(
        "check", env_overrides={**PRODUCTION_ENV, "CARECOORD_ALLOWED_HOSTS": "", "CARECOORD_SECRET_KEY": "x" * 60}
    )
    assert result.returncode != 0
    assert "CARECOORD_ALLOWED_HOSTS must be set" in result.stderr
