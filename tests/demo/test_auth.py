from __future__ import annotations

import base64

import pytest
import requests

from demo.samples import SampleSystems, start_sample_systems
from tests.demo.clients import SECRETS, TIMEOUT, authenticate

SYSTEMS = ("crm", "erp", "billing")
DATA_PATHS = {"crm": "/api/contacts", "erp": "/api/v2/customers", "billing": "/v1/accounts"}
WRONG = {
    "crm": {"Authorization": "Bearer wrong-token-4711"},
    "erp": {"Authorization": "Basic " + base64.b64encode(b"hub-integration:wrong-pass-4711").decode()},
    "billing": {"X-Api-Key": "wrong-key-4711"},
}
CHALLENGES = {"crm": "Bearer", "erp": "Basic", "billing": None}


def _get(systems: SampleSystems, system: str, path: str, headers: dict[str, str]) -> requests.Response:
    return requests.get(f"{systems.urls[system]}{path}", headers=headers, timeout=TIMEOUT)


@pytest.mark.parametrize("system", SYSTEMS)
def test_the_right_credential_is_accepted(systems: SampleSystems, system: str) -> None:
    with requests.Session() as session:
        authenticate(system, session)
        status = session.get(f"{systems.urls[system]}/api/status", timeout=TIMEOUT)
        data = session.get(f"{systems.urls[system]}{DATA_PATHS[system]}", timeout=TIMEOUT)
    assert status.status_code == 200
    assert status.json()["system"] == system
    assert data.status_code == 200


@pytest.mark.parametrize("system", SYSTEMS)
@pytest.mark.parametrize("path", ["/api/status", "data"])
def test_a_missing_credential_is_refused(systems: SampleSystems, system: str, path: str) -> None:
    response = _get(systems, system, DATA_PATHS[system] if path == "data" else path, {})
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]
    challenge = response.headers.get("WWW-Authenticate")
    assert (challenge.split()[0] if challenge else None) == CHALLENGES[system]


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_wrong_credential_is_refused_without_being_echoed(systems: SampleSystems, system: str) -> None:
    response = _get(systems, system, DATA_PATHS[system], WRONG[system])
    assert response.status_code == 401
    assert "4711" not in response.text
    assert all(secret not in response.text for secret in SECRETS.values())


@pytest.mark.parametrize(
    ("system", "headers"),
    [
        ("crm", {"Authorization": f"Basic {SECRETS['crm_token']}"}),
        ("crm", {"Authorization": "Bearer "}),
        ("erp", {"Authorization": "Basic !!not-base64!!"}),
        (
            "erp",
            {
                "Authorization": "Basic "
                + base64.b64encode(f"intruder:{SECRETS['erp_password']}".encode()).decode()
            },
        ),
        ("erp", {"Authorization": f"Bearer {SECRETS['erp_password']}"}),
        ("billing", {"Authorization": f"Bearer {SECRETS['billing_api_key']}"}),
        ("billing", {"X-Api-Key": SECRETS["billing_api_key"] + "x"}),
    ],
)
def test_near_misses_are_refused(systems: SampleSystems, system: str, headers: dict[str, str]) -> None:
    assert _get(systems, system, "/api/status", headers).status_code == 401


def test_a_verbose_log_never_shows_a_credential(capsys: pytest.CaptureFixture[str]) -> None:
    with start_sample_systems(SECRETS, verbose=True) as systems, requests.Session() as session:
        for system in SYSTEMS:
            authenticate(system, session)
            session.get(f"{systems.urls[system]}/api/status", timeout=TIMEOUT)
            _get(systems, system, "/api/status", WRONG[system])
    logged = capsys.readouterr().err
    assert logged.count("/api/status") == 6, logged
    assert "4711" not in logged
    assert all(secret not in logged for secret in SECRETS.values())
