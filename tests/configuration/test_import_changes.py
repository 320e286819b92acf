from __future__ import annotations

from typing import Any

import yaml
from auditlog.models import LogEntry

from hub.catalog.models import SourceOfTruth
from hub.configuration.export import config_dump, config_export
from hub.configuration.importer import config_import
from hub.configuration.report import Action
from hub.mappings.services import draft_rules
from hub.systems.models import System
from tests.configuration.conftest import Hub


def _edited(**sections: Any) -> str:
    data = config_export()
    for name, edit in sections.items():
        edit(data[name])
    return config_dump(data)


def _changes(report: Any) -> list[str]:
    return [str(e) for e in report.entries if e.action in (Action.CREATE, Action.CHANGE, Action.REMOVE)]


def test_nested_lists_are_authoritative_and_only_what_differs_is_saved(hub: Hub) -> None:
    SourceOfTruth.objects.filter(field__name="tier").delete()  # or the import refuses to remove tier

    def entities(items: list[dict[str, Any]]) -> None:
        customer = items[1]
        customer["fields"] = [f for f in customer["fields"] if f["name"] != "tier"]
        customer["fields"].append({"name": "phone", "type": "phone"})

    def mappings(items: list[dict[str, Any]]) -> None:
        items[0]["rules"] = [{"source": "email_address", "target": "email", "transforms": ["trim"]}]

    def flows(items: list[dict[str, Any]]) -> None:
        items[0]["fields"] = ["email", "phone"]

    text = _edited(entities=entities, mappings=mappings, flows=flows)
    report = config_import(text=text, dry_run=False)

    assert _changes(report) == [
        "create  field Customer.phone",
        "change  mapping CRM → Customer (inbound): rules",
        "change  flow Customers to ERP: fields",
        "remove  field Customer.tier",
    ]
    assert [r.target for r in draft_rules(hub.inbound)] == ["email"]
    assert sorted(hub.flow.fields.values_list("name", flat=True)) == ["email", "phone"]
    assert config_import(text=config_dump(config_export()), dry_run=False).changes_anything is False


def test_settings_and_attributes_of_a_system_are_changed_through_system_save(hub: Hub) -> None:
    def systems(items: list[dict[str, Any]]) -> None:
        items[1]["settings"]["page_size"] = "200"
        items[1]["status"] = "maintenance"

    before = LogEntry.objects.count()
    report = config_import(text=_edited(systems=systems), dry_run=False)

    assert _changes(report) == ["change  system ERP: status, settings"]
    erp = System.objects.get(name="ERP")
    assert erp.params["page_size"] == 200
    assert erp.status == "maintenance"
    assert LogEntry.objects.count() == before + 1  # one entry for ERP, none for the unchanged rest


def test_a_new_version_is_published_and_old_versions_are_kept(hub: Hub, admin_user: Any) -> None:
    def mappings(items: list[dict[str, Any]]) -> None:
        items[0]["versions"] = [{"number": 2, "note": "tier too", "rules": items[0]["rules"]}]

    report = config_import(text=_edited(mappings=mappings), dry_run=False, actor=admin_user)

    assert _changes(report) == ["create  version 2 of CRM → Customer (inbound)"]
    assert report.warnings == [
        "version 1 of CRM → Customer (inbound) is published but not in the file: published versions are kept"
    ]
    version = hub.inbound.versions.get(number=2)
    assert [rule["target"] for rule in version.rules] == ["email", "tier", "name"]
    assert version.published_by == admin_user
    assert hub.inbound.versions.count() == 2


def test_objects_missing_from_the_file_are_left_alone(hub: Hub) -> None:
    text = yaml.safe_dump({"version": 1, "systems": [config_export()["systems"][1]]}, sort_keys=False)

    report = config_import(text=text, dry_run=False)

    assert [str(e) for e in report.entries] == [
        "same    system ERP",
        "left alone system CRM",
        "left alone entity Account",
        "left alone entity Customer",
        "left alone mapping CRM → Customer (inbound)",
        "left alone mapping ERP → Customer (outbound)",
        "left alone source of truth Customer",
        "left alone source of truth Customer.tier",
        "left alone flow Customers to ERP",
    ]
    assert System.objects.count() == 2
