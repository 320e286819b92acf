"""The sample systems' credentials: generated once per checkout into ``var/demo/secrets.json`` (git-ignored).

Nothing secret is committed: a fresh checkout creates its own random values on first use.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path

REQUIRED_KEYS = ("crm_token", "erp_username", "erp_password", "billing_api_key")
ERP_USERNAME = "hub-integration"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def default_secrets_path() -> Path:
    return PROJECT_ROOT / "var" / "demo" / "secrets.json"


def load_or_create_secrets(path: Path | None = None) -> dict[str, str]:
    """Read the secrets file, creating it (mode 0o600, parent directories too) when it does not exist."""
    target = path if path is not None else default_secrets_path()
    if not target.exists():
        # Another process may create it between our check and our write: then we read theirs.
        with contextlib.suppress(FileExistsError):
            _create(target, _fresh_secrets())
    return _read(target)


def _fresh_secrets() -> dict[str, str]:
    return {
        "crm_token": secrets.token_urlsafe(32),
        "erp_username": ERP_USERNAME,
        "erp_password": secrets.token_urlsafe(24),
        "billing_api_key": secrets.token_urlsafe(32),
    }


def _create(target: Path, values: dict[str, str]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL with mode 0o600 at creation: the file is never readable by others, not even for a moment.
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=2)
        handle.write("\n")


def _read(target: Path) -> dict[str, str]:
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{target} is not valid JSON ({error.msg}); delete it to generate new secrets"
        ) from None
    if not isinstance(data, dict):
        raise ValueError(f"{target} must hold a JSON object; delete it to generate new secrets")
    # Name the broken keys only, never their values.
    broken = [key for key in REQUIRED_KEYS if not isinstance(data.get(key), str) or not data[key]]
    if broken:
        raise ValueError(f"{target} lacks a non-empty string for: {', '.join(broken)}")
    return {key: data[key] for key in REQUIRED_KEYS}
