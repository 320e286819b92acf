"""Schemathesis against the live schema on a real server: no server errors, every answer as documented.

Bounded: a few examples per operation (about 30 s in all). The key it uses may do everything, so that the
examples reach the code behind the permission checks; wrong keys and scopes are tests of their own.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hub.api.models import ApiKey, FlowGrant
from hub.catalog.models import Record
from hub.flows.models import DeadLetter, Flow, Run
from hub.flows.runs import run_execute
from tests.api.conftest import order
from tests.api.test_push import push

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def acme_header(keys: Any) -> dict[str, str]:
    cache.clear()  # the rate limit's counts
    acme = keys.rows["acme"]
    ApiKey.objects.filter(pk=acme.pk).update(rate_limit_per_minute=100_000)
    for flow in Flow.objects.all():
        FlowGrant.objects.get_or_create(key=acme, flow=flow)
    return keys.header("acme_orders")


@pytest.fixture
def real_ids(client: Any, keys: Any, world: Any) -> dict[str, Any]:
    """Rows that exist, so that examples also reach past the 404s: a batch, records, a dead letter."""
    world.reject_when(lambda item: item.get("key") == "SO-2")
    batch = push(client, keys, {"records": [order(1), order(2), order(3, total="x")]}).json()["batch"]
    run_execute(Run.objects.get().pk, worker="test")
    return {
        "flow_id": Flow.objects.get(name="Orders from partners").pk,
        "batch_id": batch,
        "entity": "Order",
        "record_id": Record.objects.get(natural_key="SO-1").pk,
        "letter_id": DeadLetter.objects.get().pk,
    }


def exercise(
    operation: Any, mode: GenerationMode, headers: dict[str, str], ids: dict[str, Any] | None
) -> None:
    names = {p.name for p in operation.path_parameters} if ids else set()
    fixed = {name: ids[name] for name in names} if ids else None
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

    @given(case=strategy)
    @settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=10)

    call()


@pytest.mark.timeout(180)
def test_the_live_api_answers_every_generated_call_as_its_schema_says(live_server, acme_header, real_ids):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/", timeout=10)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) >= 9
    for operation in operations:
        exercise(operation, GenerationMode.POSITIVE, acme_header, real_ids)  # past the 404s
        exercise(operation, GenerationMode.POSITIVE, acme_header, None)
        exercise(operation, GenerationMode.NEGATIVE, acme_header, None)
