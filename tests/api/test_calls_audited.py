"""Every call with a key leaves one audit entry; addresses are read strictly; unknown things look alike."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.test import RequestFactory
from rest_framework.request import Request

from hub.api import keys as key_module
from hub.api.models import ApiKey
from hub.api.permissions import client_address
from tests.api.test_push import assert_problem

FLOWS = "/api/v1/flows/"


def calls(prefix: str) -> list[dict[str, Any]]:
    entries = LogEntry.objects.filter(additional_data__event="key_used", additional_data__api_key=prefix)
    return [entry.additional_data | {"remote_addr": entry.remote_addr} for entry in entries.order_by("pk")]


def test_each_call_with_a_key_is_one_audit_entry_refused_ones_too(client, keys):
    acme = keys.rows["acme"]
    assert client.get(FLOWS, headers=keys.header("acme_orders")).status_code == 200
    assert (
        client.get("/api/v1/entities/Customer/records/", headers=keys.header("acme_orders")).status_code
        == 404
    )
    wrong = client.get(FLOWS, headers={"Authorization": f"Api-Key {acme.prefix}.wrong-secret"})
    assert wrong.status_code == 401

    entries = calls(acme.prefix)
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", FLOWS, 200),
        ("GET", "/api/v1/entities/Customer/records/", 404),
        ("GET", FLOWS, 401),
    ]
    assert {e["partner"] for e in entries} == {"Acme Retail"}
    assert {e["remote_addr"] for e in entries} == {"127.0.0.1"}


def test_an_ipv4_mapped_ipv6_address_matches_an_ipv4_range(client, keys):
    ApiKey.objects.filter(pk=keys.rows["acme"].pk).update(allowed_networks="203.0.113.0/24")
    allowed = client.get(FLOWS, headers=keys.header("acme_orders"), REMOTE_ADDR="::ffff:203.0.113.9")
    assert allowed.status_code == 200, allowed.content
    refused = client.get(FLOWS, headers=keys.header("acme_orders"), REMOTE_ADDR="::ffff:198.51.100.9")
    assert_problem(refused, 403)


def test_the_client_address_is_always_an_address(settings):
    settings.HUB_TRUSTED_PROXIES = ["10.0.0.0/8"]
    factory = RequestFactory()
    forged = factory.get(FLOWS, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="<script>, 10.0.0.2")
    assert client_address(Request(forged)) == "10.0.0.1"
    good = factory.get(FLOWS, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.2")
    assert client_address(Request(good)) == "203.0.113.9"
    assert client_address(Request(factory.get(FLOWS, REMOTE_ADDR="not an address"))) == ""


def test_an_unknown_prefix_costs_a_hash_check_too(client, keys, monkeypatch):
    checked: list[str] = []
    real = key_module.KEYS.verify

    def counting(raw: str, hashed: str) -> bool:
        checked.append(raw)
        return real(raw, hashed)

    monkeypatch.setattr(key_module.KEYS, "verify", counting)
    assert client.get(FLOWS, headers={"Authorization": "Api-Key zzzzzzzz.unknown"}).status_code == 401
    assert checked == ["zzzzzzzz.unknown"]


def test_an_entity_the_key_may_not_read_looks_like_no_entity(client, keys):
    header = keys.header("acme_orders")
    ungranted = client.get("/api/v1/entities/Customer/records/", headers=header)
    unknown = client.get("/api/v1/entities/Nothing/records/", headers=header)
    assert ungranted.status_code == unknown.status_code == 404
    assert ungranted.json()["detail"] == unknown.json()["detail"]
