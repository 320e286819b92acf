"""The partner API's world: two entities pushed by partners through API flows to a real target server.

Personas: **Acme** (a retailer) pushes and reads Orders with ``acme_orders``, which may also start the
"Nightly orders" flow and see its dead letters; **Globex** pushes and reads Customers with
``globex_customers``. Both flows deliver to one loopback target server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from tests.flows.servers import TargetServer

TARGET_TOKEN = "target-token-for-api-tests"
PARTNER_SOURCE = "Partner gateway"


def _system(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name, "kind": "http_json", "description": f"{name} (API tests).", "owner_team": "API tests",
        "contact": "api-tests@example.com", "environment": "staging", "status": "active",
        "settings": {"auth_style": "bearer", "probe_path": "/items", **settings}, "secrets": ["bearer_token"],
    }  # fmt: skip


def _flow(name: str, entity: str, trigger: str) -> dict[str, Any]:
    return {
        "name": name, "entity": entity, "source": PARTNER_SOURCE, "targets": ["Target"],
        "business_outcome": f"{entity} records reach the target.", "freshness_minutes": 5, "trigger": trigger,
        "state": "active",
    }  # fmt: skip


def api_config(target_url: str) -> str:
    document = {
        "version": 1,
        "systems": [
            _system(PARTNER_SOURCE, {"base_url": "http://127.0.0.1:9", "read_path": "/records"}),
            _system(
                "Target",
                {"base_url": target_url, "push_path": "/items", "push_mode": "single", "push_id_path": "id"},
            ),
        ],
        "entities": [
            {
                "name": "Customer",
                "description": "Someone who buys.",
                "fields": [
                    {"name": "email", "type": "email", "required": True, "natural_key": True},
                    {"name": "name", "type": "text"},
                    {"name": "country", "type": "text", "format_rule": "^[A-Z]{2}$"},
                ],
            },
            {
                "name": "Order",
                "description": "What someone bought.",
                "fields": [
                    {"name": "number", "type": "text", "required": True, "natural_key": True},
                    {"name": "customer_email", "type": "email"},
                    {"name": "total", "type": "decimal", "required": True},
                    {"name": "status", "type": "enum", "allowed_values": ["open", "shipped"]},
                ],
            },
        ],
        "mappings": [
            {
                "system": PARTNER_SOURCE,
                "entity": "Customer",
                "direction": "inbound",
                "rules": [
                    {"source": "email", "target": "email", "transforms": ["email"]},
                    {"source": "name", "target": "name", "transforms": ["trim"]},
                    {"source": "country", "target": "country", "transforms": ["trim", "upper"]},
                ],
            },
            {
                "system": PARTNER_SOURCE,
                "entity": "Order",
                "direction": "inbound",
                "rules": [
                    {"source": "number", "target": "number"},
                    {"source": "customer", "target": "customer_email", "transforms": ["email"]},
                    {"source": "total", "target": "total"},
                    {"source": "status", "target": "status"},
                ],
            },
            {
                "system": "Target",
                "entity": "Customer",
                "direction": "outbound",
                "rules": [
                    {"source": "email", "target": "key"},
                    {"source": "name", "target": "name"},
                ],
            },
            {
                "system": "Target",
                "entity": "Order",
                "direction": "outbound",
                "rules": [
                    {"source": "number", "target": "key"},
                    {"source": "total", "target": "amount"},
                ],
            },
        ],
        "source_of_truth": [
            {"entity": "Customer", "system": PARTNER_SOURCE},
            {"entity": "Order", "system": PARTNER_SOURCE},
        ],
        "flows": [
            _flow("Orders from partners", "Order", "api_push"),
            _flow("Customers from partners", "Customer", "api_push"),
            _flow("Nightly orders", "Order", "manual"),
            _flow("Weekly customers", "Customer", "manual"),
        ],
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


@pytest.fixture
def target() -> Iterator[TargetServer]:
    with TargetServer(token=TARGET_TOKEN, key_field="key") as server:
        yield server


@dataclass
class Keys:
    """The plaintext keys, as the partners hold them, and their rows."""

    acme_orders: str
    globex_customers: str
    rows: dict[str, Any]

    def header(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Api-Key {getattr(self, name)}"}


@pytest.fixture
def world(transactional_db: Any, target: TargetServer) -> Any:
    """The configuration above, imported and published, with the tokens set."""
    from hub.configuration.importer import config_import
    from hub.mappings.models import Mapping
    from hub.mappings.services import mapping_publish
    from hub.systems.models import System
    from hub.systems.services import secret_set

    config_import(text=api_config(target.url), dry_run=False)
    for name in (PARTNER_SOURCE, "Target"):
        secret_set(system=System.objects.get(name=name), name="bearer_token", value=TARGET_TOKEN, actor=None)
    for mapping in Mapping.objects.all():
        mapping_publish(mapping=mapping, note="Published by the API tests.", actor=None)
    return target


@pytest.fixture
def keys(world: Any) -> Keys:
    from hub.api.keys import api_key_issue
    from hub.api.models import ApiKey, EntityGrant, FlowGrant, Partner
    from hub.catalog.models import Entity, EntityField
    from hub.flows.models import Flow

    acme = Partner.objects.create(name="Acme Retail", contact="it@acme.example")
    globex = Partner.objects.create(name="Globex", contact="it@globex.example")
    acme_key = ApiKey(partner=acme, name="Order sync", dead_letters_read=True, dead_letters_replay=True)
    acme_raw = api_key_issue(key=acme_key)
    orders = EntityGrant.objects.create(key=acme_key, entity=Entity.objects.get(name="Order"), can_read=True,
                                        can_write=True)  # fmt: skip
    orders.fields.set(
        EntityField.objects.filter(entity__name="Order", name__in=["number", "total", "status"])
    )
    FlowGrant.objects.create(key=acme_key, flow=Flow.objects.get(name="Nightly orders"))
    globex_key = ApiKey(partner=globex, name="Customer sync")
    globex_raw = api_key_issue(key=globex_key)
    EntityGrant.objects.create(key=globex_key, entity=Entity.objects.get(name="Customer"), can_read=True,
                               can_write=True)  # fmt: skip
    return Keys(
        acme_orders=acme_raw, globex_customers=globex_raw, rows={"acme": acme_key, "globex": globex_key}
    )


def order(n: int, **changes: Any) -> dict[str, Any]:
    return {"id": f"SO-{n}", "number": f"SO-{n}", "customer": f"buyer{n}@example.com",
            "total": f"{n}.50", "status": "open", **changes}  # fmt: skip


def customer(number: int, **changes: Any) -> dict[str, Any]:
    return {"id": f"C-{number}", "email": f"person{number}@example.com", "name": f"Person {number}",
            "country": "de", **changes}  # fmt: skip


@pytest.fixture(autouse=True)
def pinned_rate_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate limits count per minute: a test's calls all fall in the middle of one minute."""
    from hub.api import throttling

    monkeypatch.setattr(throttling, "clock", lambda: 29_000_000 * 60 + 30.0)
