from __future__ import annotations

import math

import pytest

from demo.samples.timefmt import parse_iso
from tests.demo.clients import Client, walk_billing, walk_crm, walk_erp

PAGE_SIZES = [1, 7, 100]


def _keys(records: list[dict[str, object]], field: str) -> list[object]:
    return [record[field] for record in records]


@pytest.mark.parametrize("per_page", PAGE_SIZES)
def test_crm_pages_hold_every_contact_exactly_once(crm: Client, per_page: int) -> None:
    walked = _keys(walk_crm(crm, per_page), "id")
    stored = _keys(crm.state()["records"]["contacts"], "id")
    assert len(walked) == len(set(walked)) == 20
    assert set(walked) == set(stored)


def test_crm_orders_by_updated_at_then_id(crm: Client) -> None:
    contacts = walk_crm(crm, 7)
    order = [(parse_iso(contact["updated_at"]), contact["id"]) for contact in contacts]
    assert order == sorted(order)
    # C-1003 and C-1004 share a timestamp: the id breaks the tie.
    ids = _keys(contacts, "id")
    assert ids.index("C-1003") + 1 == ids.index("C-1004")


def test_crm_reports_total_pages_and_an_empty_page_past_the_end(crm: Client) -> None:
    first = crm.get("/api/contacts", per_page=7).json()
    assert (first["page"], first["per_page"], first["total_pages"]) == (1, 7, math.ceil(20 / 7))
    assert crm.get("/api/contacts", page=4, per_page=7).json()["data"] == []


@pytest.mark.parametrize("resource", ["customers", "orders", "products"])
@pytest.mark.parametrize("limit", PAGE_SIZES)
def test_erp_offsets_hold_every_record_exactly_once(erp: Client, resource: str, limit: int) -> None:
    key = {"customers": "customer_no", "orders": "order_no", "products": "sku"}[resource]
    walked = _keys(walk_erp(erp, resource, limit), key)
    stored = _keys(erp.state()["records"][resource], key)
    assert len(walked) == len(set(walked)) == len(stored)
    assert set(walked) == set(stored)
    page = erp.get(f"/api/v2/{resource}", offset=2, limit=3).json()
    assert (page["offset"], page["limit"], page["total"], len(page["items"])) == (2, 3, len(stored), 3)


@pytest.mark.parametrize("resource", ["accounts", "invoices"])
@pytest.mark.parametrize("limit", PAGE_SIZES)
def test_billing_cursors_hold_every_record_exactly_once(billing: Client, resource: str, limit: int) -> None:
    key = {"accounts": "account_id", "invoices": "invoice_id"}[resource]
    walked = _keys(walk_billing(billing, resource, limit), key)
    stored = _keys(billing.state()["records"][resource], key)
    assert len(walked) == len(set(walked)) == len(stored)
    assert set(walked) == set(stored)


def test_billing_cursor_is_opaque_and_checked(billing: Client) -> None:
    cursor = billing.get("/v1/accounts", limit=5).json()["next_cursor"]
    assert cursor
    assert not cursor.isdigit()
    response = billing.get("/v1/accounts", cursor="5")
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]
