"""Named configurations and secrets shared by the connector tests."""

from __future__ import annotations

import base64
from typing import Any

# Distinctive values, so that a leak anywhere is easy to find.
BEARER = "tok-SECRET-bearer-1f2e"
PASSWORD = "pw-SECRET-3c4d"
API_KEY = "key-SECRET-5a6b"
CLIENT_SECRET = "cs-SECRET-7e8f"
ALL_SECRETS = (BEARER, PASSWORD, API_KEY, CLIENT_SECRET)

USERNAME = "hub-robot"
CLIENT_ID = "hub-client"


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def values(base_url: str, **overrides: Any) -> dict[str, Any]:
    return {"base_url": base_url, "auth_style": "none", "read_timeout": 2, "connect_timeout": 2} | overrides


def secrets_for(style: str, wrong: bool = False) -> dict[str, str]:
    prefix = "wrong-" if wrong else ""
    return {
        "none": {},
        "bearer": {"bearer_token": prefix + BEARER},
        "basic": {"password": prefix + PASSWORD},
        "api_key": {"api_key": prefix + API_KEY},
        "oauth2": {"oauth2_client_secret": prefix + CLIENT_SECRET},
    }[style]


def style_values(base_url: str, style: str, **overrides: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "basic": {"username": USERNAME},
        "api_key": {"api_key_header": "X-Api-Key"},
        "oauth2": {"oauth2_token_url": f"{base_url}/oauth/token", "oauth2_client_id": CLIENT_ID},
    }.get(style, {})
    return values(base_url, auth_style=style, **extra) | overrides
