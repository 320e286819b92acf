"""Editing rules in the admin: swaps, overlaps, restores and no-op publishing behave and explain."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from hub.catalog.models import Entity
from hub.mappings.models import Mapping, MappingRule
from hub.mappings.services import MappingError, mapping_publish, mapping_restore, rules_errors
from hub.mappings.transforms import RuleSpec

pytestmark = pytest.mark.django_db


def rules_form(mapping: Mapping, rules: list[MappingRule], **changes: str) -> dict[str, str]:
    data = {
        "system": str(mapping.system_id), "entity": str(mapping.entity_id), "direction": mapping.direction,
        "resource": mapping.resource, "id_path": mapping.id_path, "description": mapping.description,
        "rules-TOTAL_FORMS": str(len(rules)), "rules-INITIAL_FORMS": str(len(rules)),
        "rules-MIN_NUM_FORMS": "0", "rules-MAX_NUM_FORMS": "1000",
        "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0", "versions-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for i, rule in enumerate(rules):
        data.update({
            f"rules-{i}-id": str(rule.pk), f"rules-{i}-mapping": str(mapping.pk), f"rules-{i}-position": str(i),
            f"rules-{i}-source": rule.source, f"rules-{i}-target": rule.target,
            f"rules-{i}-transforms": "\n".join(rule.transforms),
        })  # fmt: skip
    data.update(changes)
    return data


def test_two_rules_can_swap_their_targets(client, business_admin, demo):
    client.force_login(business_admin)
    mapping = Mapping.objects.get(system__name="CRM", entity__name="Customer", direction="inbound")
    rules = list(mapping.rules.order_by("position", "pk"))
    first, second = rules[1].target, rules[2].target  # first_name, last_name
    data = rules_form(mapping, rules, **{"rules-1-target": second, "rules-2-target": first})
    response = client.post(f"/admin/mappings/mapping/{mapping.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    by_source = dict(mapping.rules.values_list("source", "target"))
    assert by_source["first_name"] == "last_name"
    assert by_source["last_name"] == "first_name"


def test_two_entity_fields_cannot_swap_names_in_one_save_and_are_told_how(client, business_admin, demo):
    client.force_login(business_admin)
    customer = Entity.objects.get(name="Customer")
    fields = list(customer.fields.order_by("position", "pk"))
    data = {"name": "Customer", "description": customer.description}
    data.update({"fields-TOTAL_FORMS": str(len(fields)), "fields-INITIAL_FORMS": str(len(fields)),
                 "fields-MIN_NUM_FORMS": "0", "fields-MAX_NUM_FORMS": "1000"})  # fmt: skip
    for i, f in enumerate(fields):
        data.update({
            f"fields-{i}-id": str(f.pk), f"fields-{i}-entity": str(customer.pk), f"fields-{i}-position": str(f.position),
            f"fields-{i}-name": f.name, f"fields-{i}-label": f.label, f"fields-{i}-type": f.type,
            f"fields-{i}-format_rule": f.format_rule, f"fields-{i}-enum_values": f.enum_values,
            f"fields-{i}-help": f.help, f"fields-{i}-reference_entity": "",
            **({f"fields-{i}-required": "on"} if f.required else {}),
            **({f"fields-{i}-natural_key": "on"} if f.natural_key else {}),
        })  # fmt: skip
    data["fields-1-name"], data["fields-2-name"] = fields[2].name, fields[1].name
    response = client.post(f"/admin/catalog/entity/{customer.pk}/change/", data)
    assert response.status_code == 200
    assert "first give one of them a temporary name" in response.content.decode()


def test_rules_writing_one_place_twice_are_refused_before_publishing():
    rules = [RuleSpec("company", "address", []), RuleSpec("street", "address.street", [])]
    errors = rules_errors(
        rules=rules, direction="outbound", field_names={"company", "street"}, entity="Customer"
    )
    assert "already written by another rule" in errors[1]["target"]


def test_publishing_unchanged_rules_makes_no_new_version(demo):
    mapping = Mapping.objects.get(system__name="CRM", entity__name="Customer", direction="inbound")
    with pytest.raises(MappingError, match="Nothing to publish"):
        mapping_publish(mapping=mapping, note="again", actor=None)
    assert mapping.versions.count() == 1


def test_a_restore_leaves_an_audit_entry_for_every_rule_it_brings_back(demo):
    mapping = Mapping.objects.get(system__name="CRM", entity__name="Customer", direction="inbound")
    version = mapping.versions.get(number=1)
    rule_type = ContentType.objects.get_for_model(MappingRule)
    before = LogEntry.objects.filter(content_type=rule_type, action=LogEntry.Action.CREATE).count()
    mapping_restore(version=version)
    after = LogEntry.objects.filter(content_type=rule_type, action=LogEntry.Action.CREATE).count()
    assert after - before == len(version.rules)
