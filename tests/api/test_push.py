"""Pushing records: stored before the 202, processed by the flow, followed record by record; bad input refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hub.api.models import PartnerBatch
from hub.api.serializers import MAX_BATCH_RECORDS
from hub.flows.models import Flow, InboundBatch, Run
from hub.flows.runs import run_execute
from tests.api.conftest import order

PROBLEM = "application/problem+json"


def push(client: Any, keys: Any, body: Any, *, ikey: str | None = "push-1", flow: str = "Orders from partners",
         who: str = "acme_orders", raw: bytes | None = None) -> Any:  # fmt: skip
    headers = keys.header(who)
    if ikey is not None:
        headers["Idempotency-Key"] = ikey
    flow_id = Flow.objects.get(name=flow).pk
    data = raw if raw is not None else json.dumps(body)
    return client.post(
        f"/api/v1/flows/{flow_id}/batches/", data=data, content_type="application/json", headers=headers
    )


def assert_problem(response: Any, status: int, *pointers: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("urn:integration-hub:problem:")
    assert problem["detail"]
    found = {e.get("pointer", e.get("parameter")) for e in problem.get("errors", [])}
    assert set(pointers) <= found, problem
    return problem


def nothing_stored() -> None:
    assert not InboundBatch.objects.exists()
    assert not PartnerBatch.objects.exists()
    assert not Run.objects.exists()


def test_a_push_is_stored_before_the_answer_then_delivered_and_followed_per_record(client, keys, world):
    response = push(client, keys, {"records": [order(1), order(2, total="not money")]})

    assert response.status_code == 202, response.content
    answer = response.json()
    batch = InboundBatch.objects.get(pk=answer["batch"])
    assert batch.record_count == 2
    assert answer["stored"] is True
    assert response["Location"] == f"/api/v1/batches/{batch.pk}/"
    waiting = client.get(f"/api/v1/batches/{batch.pk}/", headers=keys.header("acme_orders")).json()
    assert waiting["state"] == "processing"
    assert waiting["counts"]["waiting"] == 2

    run = run_execute(Run.objects.get().pk, worker="test")
    assert run is not None
    assert run.state == "succeeded", run.error

    report = client.get(f"/api/v1/batches/{batch.pk}/", headers=keys.header("acme_orders")).json()
    assert report["state"] == "processed"
    by_id = {r["id"]: r for r in report["records"]}
    assert by_id["SO-1"]["status"] == "delivered"
    assert by_id["SO-2"]["status"] == "quarantined"
    assert "total" in by_id["SO-2"]["errors"]
    assert world.writes_per_key() == {"SO-1": 1}


def test_the_same_key_and_body_answer_the_first_answer_again(client, keys):
    first = push(client, keys, {"records": [order(1)]})
    again = push(client, keys, {"records": [order(1)]})

    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert InboundBatch.objects.count() == PartnerBatch.objects.count() == 1


def test_the_same_key_with_another_body_is_refused_and_stores_nothing(client, keys):
    push(client, keys, {"records": [order(1)]})
    other = push(client, keys, {"records": [order(1, total="99.00")]})

    problem = assert_problem(other, 409)
    assert problem["type"].endswith("idempotency-key-reused")
    assert InboundBatch.objects.count() == 1


def test_a_push_without_an_idempotency_key_is_refused(client, keys):
    assert_problem(push(client, keys, {"records": [order(1)]}, ikey=None), 400, "Idempotency-Key")
    nothing_stored()


def test_malformed_json_is_a_problem_not_a_crash(client, keys):
    problem = assert_problem(push(client, keys, None, raw=b'{"records": [{"id": "SO-1",}]}'), 400)
    assert problem["type"].endswith("malformed-json")
    nothing_stored()


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"records": "SO-1"}, "/records"),
        ({"records": ["SO-1"]}, "/records/0"),
        ({"records": []}, "/records"),
        ([order(1)], ""),
        ({"records": [order(1)], "colour": "red"}, "/colour"),
        ({"records": [order(1, colour="red")]}, "/records/0/colour"),
        ({"records": [order(1, id="")]}, "/records/0"),
        ({"records": [order(1), order(1)]}, "/records/1"),
        ({"records": [order(1, number="nul\u0000")]}, "/records/0/number"),
    ],
)
def test_wrong_shapes_types_and_unknown_fields_name_where_they_are(client, keys, body, pointer):
    assert_problem(push(client, keys, body), 400, pointer)
    nothing_stored()


def test_an_oversized_batch_is_refused_whole(client, keys):
    records = [order(n) for n in range(MAX_BATCH_RECORDS + 1)]
    assert_problem(push(client, keys, {"records": records}), 413, "/records")
    nothing_stored()


def test_a_push_into_a_flow_that_is_not_active_is_a_conflict(client, keys):
    Flow.objects.filter(name="Orders from partners").update(state="paused")
    assert_problem(push(client, keys, {"records": [order(1)]}), 409)
    nothing_stored()
