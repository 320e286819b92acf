"""Test clients for the sample systems: one authenticated session per system, and bounded page walkers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests

TIMEOUT = 5
MAX_PAGES = 200  # far above any seed size: a walker that reaches it is looping

SECRETS = {
    "crm_token": "crm-test-token-0123456789",
    "erp_username": "hub-integration",
    "erp_password": "erp-test-password-0123456789",
    "billing_api_key": "billing-test-key-0123456789",
}


class Client:
    def __init__(self, base_url: str, session: requests.Session) -> None:
        self.base_url = base_url
        self.session = session

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(f"{self.base_url}{path}", params=params, timeout=TIMEOUT)

    def post(self, path: str, body: Any, idempotency_key: str | None = None) -> requests.Response:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self.session.post(f"{self.base_url}{path}", json=body, headers=headers, timeout=TIMEOUT)

    def state(self) -> dict[str, Any]:
        response = requests.get(f"{self.base_url}/_control/state", timeout=TIMEOUT)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def control(self, action: str, body: Mapping[str, Any] | None = None) -> requests.Response:
        return requests.post(f"{self.base_url}/_control/{action}", json=body or {}, timeout=TIMEOUT)


def authenticate(system: str, session: requests.Session, secrets: Mapping[str, str] = SECRETS) -> None:
    if system == "crm":
        session.headers["Authorization"] = f"Bearer {secrets['crm_token']}"
    elif system == "erp":
        session.auth = (secrets["erp_username"], secrets["erp_password"])
    else:
        session.headers["X-Api-Key"] = secrets["billing_api_key"]


@contextmanager
def client_for(system: str, base_url: str) -> Iterator[Client]:
    with requests.Session() as session:
        authenticate(system, session)
        yield Client(base_url, session)


def walk_crm(crm: Client, per_page: int, **params: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGES + 1):
        body = _ok(crm.get("/api/contacts", page=page, per_page=per_page, **params))
        records.extend(body["data"])
        if page >= body["total_pages"]:
            return records
    raise AssertionError("CRM pagination did not end")


def walk_erp(erp: Client, resource: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        body = _ok(erp.get(f"/api/v2/{resource}", offset=len(records), limit=limit, **params))
        records.extend(body["items"])
        if not body["items"] or len(records) >= body["total"]:
            return records
    raise AssertionError("ERP pagination did not end")


def walk_billing(billing: Client, resource: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page_params = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        body = _ok(billing.get(f"/v1/{resource}", **page_params))
        records.extend(body["results"])
        cursor = body["next_cursor"]
        if cursor is None:
            return records
    raise AssertionError("billing pagination did not end")


def _ok(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
