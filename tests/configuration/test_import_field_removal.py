"""A field the file leaves out is removed only when nothing left after the import still uses it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser

from hub.catalog.models import EntityField, SourceOfTruth
from hub.configuration.export import config_dump, config_export
from hub.configuration.importer import ConfigImportError, config_import
from hub.configuration.report import Action
from hub.mappings.services import draft_rules, mapping_publish
from tests.configuration.conftest import Hub, line_of, snapshot

Edit = Callable[[dict[str, Any]], None]

REFUSED = "entities[1].fields: field 'tier' of Customer cannot be removed: still used by {uses}; " + (
    "remove those uses first (in this file or the admin)"
)


def _without_tier(*edits: Edit) -> str:
    """The export, with Customer's tier field left out and then ``edits`` applied."""
    data = config_export()
    customer = data["entities"][1]
    customer["fields"] = [field for field in customer["fields"] if field["name"] != "tier"]
    for edit in edits:
        edit(data)
    return config_dump(data)


def _drop_inbound_mapping(data: dict[str, Any]) -> None:
    data["mappings"].pop(0)


def _drop_tier_rule(data: dict[str, Any]) -> None:
    inbound = data["mappings"][0]
    inbound["rules"] = [rule for rule in inbound["rules"] if rule["target"] != "tier"]


def _drop_flows(data: dict[str, Any]) -> None:
    data["flows"] = []


def _flow_fields_without_tier(data: dict[str, Any]) -> None:
    data["flows"][0]["fields"] = ["email", "name"]


def _drop_tier_source(data: dict[str, Any]) -> None:
    data["source_of_truth"] = [source for source in data["source_of_truth"] if source.get("field") != "tier"]


def _tier_source_delete() -> None:
    """As someone would in the admin, so that the source of truth is no longer a use of the field."""
    SourceOfTruth.objects.filter(field__name="tier").delete()


def _errors(text: str) -> list[str]:
    """The errors of importing ``text``, after checking that the import changed nothing."""
    before = snapshot()

    with pytest.raises(ConfigImportError) as caught:
        config_import(text=text, dry_run=False)

    assert snapshot() == before
    return caught.value.errors


def _refusal(text: str, uses: str) -> str:
    return f"line {line_of(text, 'fields:', after='- name: Customer')}: {REFUSED.format(uses=uses)}"


def _tier_exists() -> bool:
    return EntityField.objects.filter(entity__name="Customer", name="tier").exists()


def test_a_field_used_by_a_rule_of_a_mapping_the_file_does_not_list_is_kept(hub: Hub) -> None:
    _tier_source_delete()
    text = _without_tier(_drop_inbound_mapping)

    assert _errors(text) == [_refusal(text, "mapping CRM → Customer (inbound) rule 2")]

    assert _tier_exists()
    assert [rule.target for rule in draft_rules(hub.inbound)] == ["email", "tier", "name"]


def test_a_field_goes_when_the_same_file_removes_the_rule_that_uses_it(hub: Hub, admin_user: Any) -> None:
    _tier_source_delete()
    mapping_publish(mapping=hub.inbound, note="with tier", actor=admin_user)  # versions do not count
    text = _without_tier(_drop_tier_rule)

    report = config_import(text=text, dry_run=False)

    assert not _tier_exists()
    assert [rule.target for rule in draft_rules(hub.inbound)] == ["email", "name"]
    assert [str(e) for e in report.entries if e.action in (Action.CHANGE, Action.REMOVE)] == [
        "change  mapping CRM → Customer (inbound): rules",
        "remove  field Customer.tier",
    ]


def test_a_mapping_the_file_lists_is_judged_by_its_rules_in_the_file(hub: Hub) -> None:
    _tier_source_delete()

    def tier_rule_first(data: dict[str, Any]) -> None:
        rules = data["mappings"][0]["rules"]
        rules.insert(0, rules.pop(1))

    text = _without_tier(tier_rule_first)

    assert _errors(text) == [
        _refusal(text, "mapping CRM → Customer (inbound) rule 1"),
        f"line {line_of(text, 'target: tier')}: mappings[0].rules[0].target: 'tier' is not a field of "
        "Customer (its fields: account, email, name).",
    ]


def test_a_field_of_a_flow_the_file_does_not_list_is_kept(hub: Hub) -> None:
    _tier_source_delete()
    hub.flow.fields.add(hub.customer.fields.get(name="tier"))
    text = _without_tier(_drop_tier_rule, _drop_flows)

    assert _errors(text) == [_refusal(text, "flow 'Customers to ERP'")]

    assert sorted(hub.flow.fields.values_list("name", flat=True)) == ["email", "name", "tier"]


def test_a_flow_the_file_lists_with_the_field_is_an_error_there_too(hub: Hub) -> None:
    _tier_source_delete()
    hub.flow.fields.add(hub.customer.fields.get(name="tier"))
    text = _without_tier(_drop_tier_rule)

    assert _errors(text) == [
        _refusal(text, "flow 'Customers to ERP'"),
        f"line {line_of(text, 'fields: [email, name, tier]')}: flows[0].fields[2]: "
        "'tier' is not a field of Customer",
    ]


def test_a_flow_the_file_lists_without_the_field_lets_it_go_and_says_so(hub: Hub) -> None:
    _tier_source_delete()
    hub.flow.fields.add(hub.customer.fields.get(name="tier"))

    report = config_import(text=_without_tier(_drop_tier_rule, _flow_fields_without_tier), dry_run=False)

    assert not _tier_exists()
    assert sorted(hub.flow.fields.values_list("name", flat=True)) == ["email", "name"]
    assert "change  flow Customers to ERP: fields" in [str(entry) for entry in report.entries]


@pytest.mark.parametrize("listed", [False, True], ids=["left-alone", "listed"])
def test_a_field_with_its_own_source_of_truth_is_kept(hub: Hub, listed: bool) -> None:
    """The import never deletes a source of truth the file leaves out, so the field cannot go with it."""
    text = _without_tier(_drop_tier_rule) if listed else _without_tier(_drop_tier_rule, _drop_tier_source)
    expected = [_refusal(text, "source of truth Customer.tier (ERP)")]
    if listed:
        at = line_of(text, "field: tier")
        expected.append(f"line {at}: source_of_truth[1].field: 'tier' is not a field of Customer")

    assert _errors(text) == expected
    assert SourceOfTruth.objects.filter(field__name="tier").exists()


def test_every_use_is_named_in_one_error(hub: Hub) -> None:
    hub.flow.fields.add(hub.customer.fields.get(name="tier"))
    text = _without_tier(_drop_inbound_mapping, _drop_flows, _drop_tier_source)

    uses = (
        "mapping CRM → Customer (inbound) rule 2, flow 'Customers to ERP', "
        "source of truth Customer.tier (ERP)"
    )
    assert _errors(text) == [_refusal(text, uses)]


def test_an_unused_field_is_removed_and_reported(hub: Hub, admin_user: AbstractBaseUser) -> None:
    EntityField.objects.create(entity=hub.account, name="region", position=1)
    data = config_export()
    data["entities"][0]["fields"].pop()
    text = config_dump(data)

    plan = config_import(text=text, dry_run=True)
    assert EntityField.objects.filter(name="region").exists()
    report = config_import(text=text, dry_run=False, actor=admin_user)

    assert not EntityField.objects.filter(name="region").exists()
    for outcome in (plan, report):
        assert [str(entry) for entry in outcome.of(Action.REMOVE)] == ["remove  field Account.region"]
        assert not outcome.of(Action.CHANGE)
