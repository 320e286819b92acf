from __future__ import annotations

from typing import Any

import pytest

from tests.demo.clients import Client

NEW_CONTACT = {"first_name": "Greta", "last_name": "Vogel", "email": "greta@vogel.de", "status": "A"}
# One write per system: path, body, key field.
WRITES = {
    "crm": ("/api/contacts", {"id": "C-1005", "email": "sophie@wagner-design.de"}, "id"),
    "erp": (
        "/api/v2/customers",
        {"customer_no": "K-2007", "contact_email": "info@koch-catering.de"},
        "customer_no",
    ),
    "billing": (
        "/v1/accounts",
        {"account_id": "B-305", "customer_email": "sophie@wagner-design.de"},
        "account_id",
    ),
}


@pytest.fixture
def clients(crm: Client, erp: Client, billing: Client) -> dict[str, Client]:
    return {"crm": crm, "erp": erp, "billing": billing}


def test_a_post_without_id_creates_a_contact_with_a_new_id(crm: Client) -> None:
    response = crm.post("/api/contacts", NEW_CONTACT)
    assert response.status_code == 201
    created = response.json()
    assert created["id"] == "C-1021"
    assert created["phone"] is None  # a new record has the resource's full shape
    assert created["updated_at"].endswith("Z")
    assert crm.get("/api/status").json()["contacts"] == 21


def test_an_update_merges_and_restamps(crm: Client) -> None:
    response = crm.post("/api/contacts", {"id": "C-1005", "email": "sophie@wagner-design.de"})
    assert response.status_code == 200
    updated = response.json()
    assert (updated["last_name"], updated["email"]) == ("Wagner", "sophie@wagner-design.de")
    assert updated["updated_at"] > "2026-06-12T13:45:00Z"
    assert crm.state()["write_log"] == [
        {"seq": 1, "resource": "contacts", "key": "C-1005", "action": "updated"}
    ]


def test_erp_stamps_writes_in_its_own_date_format(erp: Client) -> None:
    created = erp.post("/api/v2/products", {"title": "Neues Produkt", "price": "10,00"}).json()
    assert created["sku"] == "P-115"
    day, month, rest = created["modified"].split(".")
    assert (len(day), len(month), len(rest)) == (2, 2, 10)


@pytest.mark.parametrize("system", ["crm", "erp", "billing"])
def test_an_idempotency_key_replays_without_writing_twice(clients: dict[str, Client], system: str) -> None:
    client = clients[system]
    path, body, _ = WRITES[system]
    first = client.post(path, body, idempotency_key="delivery-1")
    again = client.post(path, {**body, "ignored": "on replay"}, idempotency_key="delivery-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert client.state()["writes"] == 1
    assert client.post(path, body, idempotency_key="delivery-2").status_code == 200
    assert client.state()["writes"] == 2


def test_without_a_key_every_post_writes(crm: Client) -> None:
    crm.post("/api/contacts", {"id": "C-1005", "phone": "1"})
    crm.post("/api/contacts", {"id": "C-1005", "phone": "1"})
    assert crm.state()["writes"] == 2


def test_a_batch_reports_each_item_and_writes_only_the_valid_ones(crm: Client) -> None:
    items: list[dict[str, Any]] = [
        {"id": "C-1009", "email": "julia@koch-catering.de"},
        NEW_CONTACT,
        {"email": "nope"},
    ]
    response = crm.post("/api/contacts/batch", items, idempotency_key="batch-1")
    assert response.status_code == 200
    results = response.json()
    assert [(r["id"], r["status"]) for r in results] == [
        ("C-1009", "updated"),
        ("C-1021", "created"),
        (None, "error"),
    ]
    assert "email" in results[2]["error"]
    assert crm.post("/api/contacts/batch", items, idempotency_key="batch-1").json() == results
    assert crm.state()["writes"] == 2


@pytest.mark.parametrize(
    ("system", "path", "body", "field"),
    [
        ("crm", "/api/contacts", {"id": "C-1001", "email": "not-an-email"}, "email"),
        ("crm", "/api/contacts", {"status": "active"}, "status"),
        ("erp", "/api/v2/orders", {"customer_no": "K-2001", "total": "1234.50"}, "total"),
        ("erp", "/api/v2/customers", {"tel": "030 1"}, "name"),
        ("billing", "/v1/accounts", {"account_id": "B-301", "balance_cents": "lots"}, "balance_cents"),
    ],
)
def test_an_invalid_record_is_a_422_and_nothing_is_written(
    clients: dict[str, Client], system: str, path: str, body: dict[str, Any], field: str
) -> None:
    response = clients[system].post(path, body, idempotency_key="bad-1")
    assert response.status_code == 422
    assert response.json()["error"].startswith(field)
    assert clients[system].state()["writes"] == 0


def test_a_non_string_key_is_a_400(erp: Client) -> None:
    response = erp.post("/api/v2/customers", {"customer_no": 2001, "name": "X"})
    assert response.status_code == 400
    assert "customer_no" in response.json()["error"]
