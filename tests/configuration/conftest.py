"""A small but complete configuration: two HTTP systems, two entities, mappings, sources of truth, a flow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from hub.catalog.models import Entity, EntityField, FieldType, SourceOfTruth
from hub.configuration.export import config_dump, config_export
from hub.flows.models import Flow, FlowState, Trigger
from hub.mappings.models import Direction, Mapping, MappingRule, MappingVersion
from hub.mappings.services import mapping_publish
from hub.systems.models import Environment, Secret, System
from hub.systems.services import system_save

TOKEN = "tok-SECRET-crm-9b8a7c"


@dataclass
class Hub:
    crm: System
    erp: System
    customer: Entity
    account: Entity
    inbound: Mapping
    outbound: Mapping
    flow: Flow
    admin: AbstractBaseUser


def system_create(name: str, secrets: dict[str, str] | None = None, **params: Any) -> System:
    system = System(name=name, kind="http_json", owner_team="IT", environment=Environment.STAGING)
    return system_save(system=system, params=params, secrets=secrets or {}, actor=None)


def fields_create(entity: Entity, *specs: dict[str, Any]) -> None:
    for position, spec in enumerate(specs):
        EntityField.objects.create(entity=entity, position=position, **spec)


def rules_create(mapping: Mapping, *rules: tuple[str, str, list[str]]) -> None:
    for position, (source, target, transforms) in enumerate(rules):
        MappingRule.objects.create(
            mapping=mapping, position=position, source=source, target=target, transforms=transforms
        )


@pytest.fixture
def admin_user(db: Any) -> AbstractBaseUser:
    return get_user_model().objects.create_user(username="ada", password="x" * 12)


@pytest.fixture
def hub(db: Any, admin_user: AbstractBaseUser) -> Hub:
    crm = system_create(
        "CRM",
        {"bearer_token": TOKEN},
        base_url="http://127.0.0.1:8101",
        auth_style="bearer",
        read_path="/customers",
    )
    crm.description = "Where sales keeps its customers.\nThe master of contacts."
    crm.save()
    erp = system_create("ERP", base_url="https://erp.example.com/api", push_path="/customers", page_size=50)
    account = Entity.objects.create(name="Account", description="A company we sell to.")
    fields_create(account, {"name": "number", "natural_key": True, "required": True})
    customer = Entity.objects.create(name="Customer")
    fields_create(
        customer,
        {"name": "email", "label": "E-mail", "type": FieldType.EMAIL, "required": True, "natural_key": True},
        {"name": "name", "help": "As printed on invoices"},
        {"name": "tier", "type": FieldType.ENUM, "enum_values": "gold\nsilver\n"},
        {"name": "account", "type": FieldType.REFERENCE, "reference_entity": account},
    )
    inbound = Mapping.objects.create(system=crm, entity=customer, direction=Direction.INBOUND)
    rules_create(inbound, ("mail", "email", ["trim", "email"]), ("full_name", "name", []))
    mapping_publish(mapping=inbound, note="first", actor=admin_user)
    rules_create(inbound, ("level", "tier", ["lower"]))
    outbound = Mapping.objects.create(
        system=erp, entity=customer, direction=Direction.OUTBOUND, description="To SAP"
    )
    rules_create(outbound, ("email", "contact.email", []), ("name", "contact.name", ["upper"]))
    SourceOfTruth.objects.create(entity=customer, system=crm, note="Sales owns customers")
    SourceOfTruth.objects.create(entity=customer, field=customer.fields.get(name="tier"), system=erp)
    flow = Flow.objects.create(
        name="Customers to ERP",
        source=crm,
        entity=customer,
        business_outcome="Finance sees every new customer.",
        freshness_minutes=60,
        trigger=Trigger.INTERVAL,
        interval_minutes=15,
        state=FlowState.ACTIVE,
    )
    flow.targets.set([erp])
    flow.fields.set(customer.fields.filter(name__in=["email", "name"]))
    return Hub(crm, erp, customer, account, inbound, outbound, flow, admin_user)


@pytest.fixture
def exported(hub: Hub) -> str:
    return config_dump(config_export())


SNAPSHOT_MODELS = (
    System,
    Secret,
    Entity,
    EntityField,
    SourceOfTruth,
    Mapping,
    MappingRule,
    MappingVersion,
    Flow,
    LogEntry,
)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the configuration, every column (and many-to-many), plus the audit trail."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for model in SNAPSHOT_MODELS:
        columns = [field.attname for field in model._meta.concrete_fields]
        rows[model.__name__] = list(model.objects.order_by("pk").values_list(*columns))
    rows["targets"] = list(Flow.targets.through.objects.order_by("pk").values_list())
    rows["fields"] = list(Flow.fields.through.objects.order_by("pk").values_list())
    return rows


def line_of(text: str, needle: str, after: str = "") -> int:
    """The number of the first line holding ``needle`` (after the first line holding ``after``)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1
