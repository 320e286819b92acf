"""Retries are answered before anything else is checked; partners sharing a flow never share an id; only the
idempotency key's own conflict means 'already stored'."""

from __future__ import annotations

import pytest
from django.db import DataError, IntegrityError

from hub.api.models import EntityGrant, PartnerBatch
from hub.catalog.models import Entity
from hub.flows.inbound import inbound_accept
from hub.flows.models import Flow, InboundBatch, RecordOutcome, Run
from hub.flows.runs import run_execute
from tests.api.conftest import order
from tests.api.test_push import assert_problem, push


def test_a_retry_gets_the_first_answer_even_after_the_grant_changed(client, keys):
    first = push(client, keys, {"records": [order(1)]})
    assert first.status_code == 202
    EntityGrant.objects.filter(key=keys.rows["acme"]).update(can_write=False)

    again = push(client, keys, {"records": [order(1)]})

    assert again.status_code == 202, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_a_reused_key_with_a_malformed_body_is_a_409(client, keys):
    push(client, keys, {"records": [order(1)]})
    problem = assert_problem(push(client, keys, None, raw=b'{"records": ['), 409)
    assert problem["type"].endswith("idempotency-key-reused")
    assert InboundBatch.objects.count() == 1


def test_a_stored_batch_without_its_push_is_a_409_not_a_crash(client, keys):
    flow = Flow.objects.get(name="Orders from partners")
    partner = keys.rows["acme"].partner
    InboundBatch.objects.create(
        flow=flow, origin="api", idempotency_key=f"api:{partner.pk}:orphan", records=[], record_count=0
    )
    assert_problem(push(client, keys, {"records": [order(1)]}, ikey="orphan"), 409)
    assert not PartnerBatch.objects.exists()


def test_another_integrity_error_is_not_taken_for_already_stored(keys):
    flow = Flow.objects.get(name="Orders from partners")
    InboundBatch.objects.create(flow=flow, origin="webhook", records=[{"id": "1"}], record_count=1)

    # A value the database itself refuses (not JSON: SQLite's JSON check, PostgreSQL's jsonb), with no
    # idempotency key: it must surface, never be answered as "already stored".
    with pytest.raises((IntegrityError, DataError, ValueError)):
        inbound_accept(flow=flow, records=[{"id": "2", "total": float("inf")}], origin="webhook")
    assert InboundBatch.objects.count() == 1


def test_two_partners_pushing_the_same_id_into_one_flow_keep_their_own_records(client, keys):
    globex = keys.rows["globex"]
    EntityGrant.objects.create(key=globex, entity=Entity.objects.get(name="Order"), can_write=True)
    mine = push(client, keys, {"records": [order(1)]}, ikey="a").json()["batch"]
    theirs = push(client, keys, {"records": [order(1, number="G-1")]}, ikey="b", who="globex_customers")
    run_execute(Run.objects.get().pk, worker="test")

    acme, other = keys.rows["acme"].partner_id, globex.partner_id
    assert set(RecordOutcome.objects.values_list("external_id", flat=True)) == {
        f"p{acme}:SO-1",
        f"p{other}:SO-1",
    }
    assert set(RecordOutcome.objects.values_list("record__natural_key", flat=True)) == {"SO-1", "G-1"}
    for batch, who in ((mine, "acme_orders"), (theirs.json()["batch"], "globex_customers")):
        report = client.get(f"/api/v1/batches/{batch}/", headers=keys.header(who)).json()
        assert [(r["id"], r["status"]) for r in report["records"]] == [("SO-1", "delivered")]
