"""Setting whole flows up with the SQL and CSV-folder connectors, for the engine's tests of them
(test_engine_sql.py, test_engine_csv.py): systems, entities and mappings from a YAML document, the way a
person would, and helpers to read the connectors' saved positions."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import yaml

from hub.configuration.importer import config_import
from hub.flows.models import (
    Flow,
)
from hub.mappings.models import Mapping
from hub.mappings.services import mapping_publish
from hub.systems.models import System
from hub.systems.services import secret_set

FLOW_NAME = "Customers across"
FIRST_CHANGE = datetime(2025, 1, 6, 8, 0)  # naive, as an ERP keeps it: the mapping says it is UTC
CUSTOMER_FIELDS: list[dict[str, Any]] = [
    {"name": "email", "type": "email", "required": True, "natural_key": True},
    {"name": "name", "type": "text", "required": True},
    {"name": "balance", "type": "decimal"},
    {"name": "updated_at", "type": "datetime"},
]
CUSTOMER_INBOUND: list[dict[str, Any]] = [
    {"source": "email", "target": "email", "transforms": ["email"]},
    {"source": "name", "target": "name", "transforms": ["trim"]},
    {"source": "balance", "target": "balance"},
]
CUSTOMER_OUTBOUND: list[dict[str, Any]] = [
    {"source": "email", "target": "email"},
    {"source": "name", "target": "name"},
    {"source": "balance", "target": "balance"},
]
PERSON_TO_SQL: list[dict[str, Any]] = [
    {"source": "email", "target": "email"},
    {"source": "first_name", "target": "given_name"},
    {"source": "last_name", "target": "family_name", "transforms": ["upper"]},
    {"source": "postcode", "target": "postcode"},
    {"source": "city", "target": "city"},
    {"source": "country", "target": "country", "transforms": ["lower"]},
    {"source": "updated_at", "target": "changed_at"},
]
CSV_HEADER = "id,email,name,balance,updated_at\n"
NO_ID_NAME = re.compile(r"\(no id\) [0-9a-f]{12}")  # a record without an id, by content


# Setting a flow up and running it.


def system(
    name: str, kind: str, settings: dict[str, Any], secrets: list[str] | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "description": f"The {name} of the connector engine tests.",
        "owner_team": "Engine tests",
        "contact": "engine-tests@example.com",
        "environment": "staging",
        "status": "active",
        "settings": settings,
        "secrets": secrets or [],
    }


def http_system(name: str, url: str, **settings: Any) -> dict[str, Any]:
    return system(
        name, "http_json", {"base_url": url, "auth_style": "bearer", **settings}, secrets=["bearer_token"]
    )


def document(
    *,
    systems: list[dict[str, Any]],
    entity: str,
    fields: list[Any],
    inbound: list[Any],
    outbound: list[Any],
    cursor_field: str = "",
) -> dict[str, Any]:
    """Systems[0] is the source, systems[1] the target."""
    source, target = systems[0]["name"], systems[1]["name"]
    return {
        "version": 1,
        "systems": systems,
        "entities": [{"name": entity, "description": "Kept alike in both systems.", "fields": fields}],
        "mappings": [
            {"system": source, "entity": entity, "direction": "inbound", "id_path": "id", "rules": inbound},
            {"system": target, "entity": entity, "direction": "outbound", "rules": outbound},
        ],
        "source_of_truth": [{"entity": entity, "system": source}],
        "flows": [
            {
                "name": FLOW_NAME,
                "entity": entity,
                "source": source,
                "targets": [target],
                "business_outcome": "The target holds every record of the source, exactly once.",
                "freshness_minutes": 60,
                "trigger": "manual",
                "state": "active",
                "cursor_field": cursor_field,
                "retry_base_seconds": 1,
                "retry_window_seconds": 10,
                "max_attempts": 3,
            }
        ],
    }


def configure(config: dict[str, Any], secrets: dict[str, dict[str, str]] | None = None) -> Flow:
    config_import(text=yaml.safe_dump(config, sort_keys=False, allow_unicode=True), dry_run=False)
    for name, values in (secrets or {}).items():
        for secret, value in values.items():
            secret_set(system=System.objects.get(name=name), name=secret, value=value, actor=None)
    for mapping in Mapping.objects.all():
        mapping_publish(mapping=mapping, note="Published by the connector engine tests.", actor=None)
    return Flow.objects.get(name=FLOW_NAME)


def cursor_of(flow: Flow) -> str:
    return Flow.objects.get(pk=flow.pk).cursor


def sql_position(cursor: str) -> dict[str, Any]:
    """The row an SQL keyset position points at: its changed-at and id values, as the table holds them."""
    data = json.loads(cursor)
    assert data["v"] == 1, cursor
    after: dict[str, Any] = data["after"]
    return after


def csv_files_read(cursor: str) -> dict[str, Any]:
    """What a CSV position says: the files read to the end, and (mid-file) the part read."""
    data = json.loads(cursor)
    assert data["v"] == 1, cursor
    return {"done": set(data["done"]), "part": data.get("part")}


def email(number: int) -> str:
    return f"customer{number:03d}@example.com"


def person_email(number: int) -> str:
    return f"user{number:05d}@example.com"


def customer(number: int, minute: int | None = None, **overrides: Any) -> dict[str, Any]:
    """A row of the ERP's customers table, changed ``minute`` minutes after the first change."""
    row = {
        "id": number,
        "email": f"Customer{number:03d}@Example.com",
        "name": f" Customer {number} ",
        "balance": Decimal(f"{number}.50"),
        "updated_at": FIRST_CHANGE + timedelta(minutes=number if minute is None else minute),
    }
    return row | overrides


def at(minute: int) -> str:
    """The canonical form of FIRST_CHANGE + ``minute`` minutes."""
    return f"{wall(minute)}Z"


def wall(minute: int) -> str:
    """FIRST_CHANGE + ``minute`` minutes as the ERP keeps it: no zone."""
    return (FIRST_CHANGE + timedelta(minutes=minute)).isoformat()
