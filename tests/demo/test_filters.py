from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.demo.clients import Client, walk_billing, walk_crm, walk_erp


def test_crm_updated_since_keeps_changes_at_or_after_the_instant(crm: Client) -> None:
    ids = [contact["id"] for contact in walk_crm(crm, 5, updated_since="2026-11-10T10:30:00Z")]
    assert ids == ["C-1019", "C-1001", "C-1020"]  # C-1019 is exactly at the instant


def test_crm_updated_since_compares_instants_not_strings(crm: Client) -> None:
    # 11:30+01:00 is 10:30Z: same answer as above although the text differs.
    ids = [contact["id"] for contact in walk_crm(crm, 5, updated_since="2026-11-10T11:30:00+01:00")]
    assert ids == ["C-1019", "C-1001", "C-1020"]


def test_erp_modified_since_reads_modified_as_berlin_time(erp: Client) -> None:
    # K-2001 was modified "20.11.2026 10:00" Berlin time, which is 09:00 UTC.
    at_the_instant = walk_erp(erp, "customers", 10, modified_since="2026-11-20T09:00:00Z")
    one_minute_later = walk_erp(erp, "customers", 10, modified_since="2026-11-20T09:01:00Z")
    assert [c["customer_no"] for c in at_the_instant] == ["K-2001", "K-2002"]
    assert [c["customer_no"] for c in one_minute_later] == ["K-2002"]


def test_erp_total_counts_the_filtered_records(erp: Client) -> None:
    body = erp.get("/api/v2/orders", modified_since="2026-11-18T00:00:00+01:00", limit=1).json()
    assert body["total"] == 3
    assert [item["order_no"] for item in body["items"]] == ["SO-5001"]


def test_billing_since_filters_and_paginates_together(billing: Client) -> None:
    accounts = walk_billing(billing, "accounts", 1, since="2026-11-11T14:00:00+01:00")
    assert [a["account_id"] for a in accounts] == ["B-315", "B-302", "B-301", "B-316"]


def test_a_write_shows_up_in_the_next_incremental_fetch(crm: Client) -> None:
    before = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert crm.post("/api/contacts", {"id": "C-1002", "phone": "+49 40 3344556"}).status_code == 200
    assert [c["id"] for c in walk_crm(crm, 50, updated_since=before)] == ["C-1002"]


@pytest.mark.parametrize(
    ("path", "param"),
    [("/api/contacts", "updated_since"), ("/api/v2/orders", "modified_since"), ("/v1/invoices", "since")],
)
def test_a_malformed_timestamp_is_a_400_naming_the_parameter(
    crm: Client, erp: Client, billing: Client, path: str, param: str
) -> None:
    client = {"/api/contacts": crm, "/api/v2/orders": erp, "/v1/invoices": billing}[path]
    response = client.get(path, **{param: "20.11.2026"})
    assert response.status_code == 400
    assert param in response.json()["error"]


def test_an_unencoded_plus_gets_a_hint(crm: Client) -> None:
    url = f"{crm.base_url}/api/contacts?updated_since=2026-11-10T11:30:00+01:00"
    response = crm.session.get(url, timeout=5)
    assert response.status_code == 400
    assert "URL-encoding" in response.json()["error"]
