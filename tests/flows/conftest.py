"""A flow from a source test server to a target test server, set up the way a person would: by YAML."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from tests.flows.servers import SourceServer, TargetServer

SOURCE_TOKEN = "source-token-for-tests"
TARGET_TOKEN = "target-token-for-tests"
FLOW_NAME = "People from Source to Target"

FIELDS = [
    {"name": "email", "type": "email", "required": True, "natural_key": True},
    {"name": "first_name", "type": "text"},
    {"name": "last_name", "type": "text"},
    {"name": "company", "type": "text"},
    {"name": "phone", "type": "text"},
    {"name": "street", "type": "text"},
    {"name": "postcode", "type": "text"},
    {"name": "city", "type": "text"},
    {"name": "country", "type": "text", "format_rule": "^[A-Z]{2}$"},
    {"name": "status", "type": "enum", "allowed_values": ["active", "inactive"]},
    {"name": "updated_at", "type": "datetime"},
]
INBOUND = [
    {"source": "email", "target": "email", "transforms": ["email"]},
    {"source": "first_name", "target": "first_name", "transforms": ["trim", "title"]},
    {"source": "last_name", "target": "last_name", "transforms": ["trim", "title"]},
    {"source": "company", "target": "company", "transforms": ["trim"]},
    {"source": "phone", "target": "phone", "transforms": ["trim"]},
    {"source": "address.street", "target": "street", "transforms": ["trim"]},
    {"source": "address.postcode", "target": "postcode", "transforms": ["trim"]},
    {"source": "address.city", "target": "city", "transforms": ["trim"]},
    {"source": "country", "target": "country", "transforms": ["trim", "upper"]},
    {"source": "status", "target": "status", "transforms": ["value_map: A=active; I=inactive"]},
    {"source": "updated_at", "target": "updated_at", "transforms": ["datetime"]},
]
OUTBOUND = [
    {"source": "email", "target": "email"},
    {"source": "first_name", "target": "given_name"},
    {"source": "last_name", "target": "family_name", "transforms": ["upper"]},
    {"source": "company", "target": "organisation"},
    {"source": "phone", "target": "phone"},
    {"source": "street", "target": "address.line1"},
    {"source": "postcode", "target": "address.zip"},
    {"source": "city", "target": "address.city"},
    {"source": "country", "target": "address.country", "transforms": ["lower"]},
    {"source": "status", "target": "state", "transforms": ["value_map: active=open; inactive=closed"]},
]


def _system(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "http_json",
        "description": f"The {name.lower()} test server.",
        "owner_team": "Engine tests",
        "contact": "engine-tests@example.com",
        "environment": "staging",
        "status": "active",
        "settings": {"auth_style": "bearer", "probe_path": "/records", **settings},
        "secrets": ["bearer_token"],
    }


def flow_config(
    source_url: str, target_url: str, *, push_mode: str, page_size: int, read_timeout: float
) -> str:
    source = _system(
        "Source",
        {
            "base_url": source_url,
            "read_timeout": read_timeout,
            "read_path": "/records",
            "records_path": "data",
            "pagination": "page",
            "page_param": "page",
            "page_size_param": "per_page",
            "page_size": page_size,
            "since_param": "updated_since",
        },
    )
    push_path = "/items/batch" if push_mode == "batch" else "/items"
    target = _system(
        "Target",
        {
            "base_url": target_url,
            "push_path": push_path,
            "push_mode": push_mode,
            "push_id_path": "id",
            "probe_path": "/health",
        },
    )
    document = {
        "version": 1,
        "systems": [source, target],
        "entities": [{"name": "Person", "description": "Someone both systems know.", "fields": FIELDS}],
        "mappings": [
            {"system": "Source", "entity": "Person", "direction": "inbound", "rules": INBOUND},
            {"system": "Target", "entity": "Person", "direction": "outbound", "rules": OUTBOUND},
        ],
        "source_of_truth": [{"entity": "Person", "system": "Source"}],
        "flows": [
            {
                "name": FLOW_NAME,
                "entity": "Person",
                "source": "Source",
                "targets": ["Target"],
                "business_outcome": "The target knows every person the source knows, exactly once.",
                "freshness_minutes": 60,
                "trigger": "interval",
                "interval_minutes": 15,
                "state": "active",
            }
        ],
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


@pytest.fixture
def source() -> Iterator[SourceServer]:
    with SourceServer(token=SOURCE_TOKEN) as server:
        yield server


@pytest.fixture
def target() -> Iterator[TargetServer]:
    with TargetServer(token=TARGET_TOKEN) as server:
        yield server


MakeFlow = Callable[..., Any]


@pytest.fixture
def make_flow(db: Any, source: SourceServer, target: TargetServer) -> MakeFlow:
    """Import the configuration, set the tokens, publish the mappings; returns the flow, tuned for tests."""
    from hub.configuration.importer import config_import
    from hub.flows.models import Flow
    from hub.mappings.models import Mapping
    from hub.mappings.services import mapping_publish
    from hub.systems.models import System
    from hub.systems.services import secret_set

    def make(
        *,
        push_mode: str = "single",
        page_size: int = 100,
        read_timeout: float = 5,
        cursor: bool = False,
        retry_base_seconds: int = 1,
        retry_window_seconds: int = 20,
        max_attempts: int = 5,
    ) -> Flow:
        text = flow_config(
            source.url, target.url, push_mode=push_mode, page_size=page_size, read_timeout=read_timeout
        )
        config_import(text=text, dry_run=False)
        for name, token in (("Source", SOURCE_TOKEN), ("Target", TARGET_TOKEN)):
            secret_set(system=System.objects.get(name=name), name="bearer_token", value=token, actor=None)
        for mapping in Mapping.objects.filter(entity__name="Person"):
            mapping_publish(mapping=mapping, note="Published by the engine tests.", actor=None)
        Flow.objects.filter(name=FLOW_NAME).update(
            cursor_field="updated_at" if cursor else "",
            retry_base_seconds=retry_base_seconds,
            retry_window_seconds=retry_window_seconds,
            max_attempts=max_attempts,
        )
        return Flow.objects.get(name=FLOW_NAME)

    return make
