from __future__ import annotations

import yaml

from hub.configuration.export import config_dump, config_export
from hub.systems.services import secret_set
from tests.configuration.conftest import TOKEN, Hub, system_create


def test_export_is_stable_sorted_and_reads_back_as_the_same_data(hub: Hub, exported: str) -> None:
    system_create("Billing", base_url="http://127.0.0.1:8102")  # created last, listed first
    data = config_export()
    text = config_dump(data)

    assert text == config_dump(config_export())
    assert yaml.safe_load(text) == data
    assert list(data) == ["version", "systems", "entities", "mappings", "source_of_truth", "flows"]
    assert [s["name"] for s in data["systems"]] == ["Billing", "CRM", "ERP"]
    assert text.startswith("version: 1\nsystems:\n  - name: Billing\n")


def test_export_names_secrets_but_never_holds_their_values(hub: Hub) -> None:
    secret_set(system=hub.erp, name="api_key", value="key-SECRET-erp-4d5e", actor=None)

    text = config_dump(config_export())

    assert TOKEN not in text
    assert "key-SECRET-erp-4d5e" not in text
    systems = {s["name"]: s for s in yaml.safe_load(text)["systems"]}
    assert systems["CRM"]["secrets"] == ["bearer_token"]
    assert systems["ERP"]["secrets"] == ["api_key"]


def test_export_lists_a_required_secret_that_is_not_stored_yet(hub: Hub) -> None:
    hub.crm.secrets.all().delete()

    crm = next(s for s in config_export()["systems"] if s["name"] == "CRM")

    assert crm["secrets"] == ["bearer_token"]


def test_export_writes_settings_that_differ_from_their_defaults_in_the_kinds_order(hub: Hub) -> None:
    erp = next(s for s in config_export()["systems"] if s["name"] == "ERP")

    assert erp["settings"] == {
        "base_url": "https://erp.example.com/api",
        "page_size": 50,
        "push_path": "/customers",
    }
    assert list(erp["settings"]) == ["base_url", "page_size", "push_path"]


def test_export_keeps_field_and_rule_order_and_all_published_versions(hub: Hub) -> None:
    data = config_export()
    customer = next(e for e in data["entities"] if e["name"] == "Customer")
    inbound = data["mappings"][0]

    assert [f["name"] for f in customer["fields"]] == ["email", "name", "tier", "account"]
    assert customer["fields"][2] == {"name": "tier", "type": "enum", "allowed_values": ["gold", "silver"]}
    assert [r["target"] for r in inbound["rules"]] == ["email", "tier", "name"]
    assert [v["number"] for v in inbound["versions"]] == [1]
    assert [r["target"] for r in inbound["versions"][0]["rules"]] == ["email", "name"]
    assert data["source_of_truth"] == [
        {"entity": "Customer", "system": "CRM", "note": "Sales owns customers"},
        {"entity": "Customer", "field": "tier", "system": "ERP"},
    ]
