"""Start-up stops with a message naming the variable when the environment is wrong."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

ROOT = settings.BASE_DIR


def start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "hub.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DATABASE_URL": "mysql//nope"}, "DATABASE_URL is not a valid URL"),
        ({"REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL is not a valid URL: expected redis://"),
        ({"HUB_ENCRYPTION_KEYS": "not-a-key"}, "HUB_ENCRYPTION_KEYS: key 1 is not a Fernet key"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is too short"),
        ({"DB_CONN_MAX_AGE": "ten"}, "DB_CONN_MAX_AGE='ten' is not a whole number"),
        (
            {"DATABASE_URL": "postgres://hub:pw@db:notaport/hub"},
            "DATABASE_URL has a port that is not a number",
        ),
        ({"REDIS_URL": "redis://127.0.0.1:notaport/0"}, "REDIS_URL has a port that is not a number"),
        (
            {"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "hub.example.com"},
            "HUB_ENCRYPTION_KEYS",
        ),
        ({"DEBUG": "false", "HUB_ENCRYPTION_KEYS": "x"}, "SECRET_KEY (or SECRET_KEY_FILE) must be set"),
    ],
)
def test_a_wrong_environment_stops_start_up_naming_the_variable(env, message):
    result = start(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_settings_pass_the_deployment_check(tmp_path):
    from cryptography.fernet import Fernet

    env = {
        "DEBUG": "false",
        "SECRET_KEY": "p" * 20 + "-production-secret-key-for-the-check-" + "q" * 20,
        "HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "hub.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "HUB_VAR_DIR": str(tmp_path),
    }
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    # HSTS subdomains/preload are a choice for the domain's owner, not for the hub: silenced in settings.
    assert result.returncode == 0, result.stdout + result.stderr


def test_local_secrets_are_generated_once_with_private_permissions(tmp_path):
    from hub.env import local_secret_file

    path = tmp_path / "sub" / "secret_key"
    first = local_secret_file(path)
    assert local_secret_file(path) == first
    assert (path.stat().st_mode & 0o777) == 0o600
    assert len(first) >= 40
