"""The inbound webhook: signed calls are stored before the 202, then a run processes them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hub.catalog.models import Record
from hub.flows.inbound import SIGNATURE_HEADER, signature_for, webhook_secret_set
from hub.flows.models import Flow, InboundBatch, InboundState, Run, RunState
from hub.flows.runs import run_execute
from hub.systems.models import System

pytestmark = pytest.mark.django_db(transaction=True)

CONTACTS: list[dict[str, Any]] = [
    {"id": "W-1", "first_name": "Wanda", "last_name": "Webb", "email": "wanda@example.com", "status": "A", "company": "Webb AG",
     "phone": "030 111222", "address": {"street": "Hookweg 1", "postcode": "10115", "city": "Berlin", "country": "de"},
     "updated_at": "2026-11-24T10:00:00Z"},
    {"id": "W-2", "first_name": "Walt", "last_name": "Wise", "email": "walt@example.com", "status": "A", "company": "Wise KG",
     "updated_at": "2026-11-24T10:05:00Z"},
]  # fmt: skip


@pytest.fixture
def hook_flow(demo):
    crm, erp = System.objects.get(name="CRM"), System.objects.get(name="ERP")
    flow = Flow.objects.create(
        name="CRM webhook", source=crm, entity=crm.mappings.get(direction="inbound").entity, trigger="webhook", state="active",
        business_outcome="New contacts reach the ERP within seconds.", freshness_minutes=5,
        retry_window_seconds=5,
    )  # fmt: skip
    flow.targets.add(erp)
    return flow, webhook_secret_set(flow=flow)


def post(client, flow, body: bytes, signature: str, **headers):
    return client.post(
        f"/hooks/flows/{flow.pk}/", data=body, content_type="application/json",
        headers={SIGNATURE_HEADER: signature, **headers},
    )  # fmt: skip


def test_a_signed_call_is_stored_then_processed_and_delivered(client, hook_flow):
    flow, secret = hook_flow
    body = json.dumps({"records": CONTACTS}).encode()
    response = post(client, flow, body, signature_for(secret, body))

    assert response.status_code == 202, response.content
    batch = InboundBatch.objects.get()
    assert batch.record_count == 2
    run = Run.objects.get(flow=flow)
    finished = run_execute(run.pk, worker="test")
    assert finished is not None
    assert finished.state == RunState.SUCCEEDED, finished.error
    assert finished.created == 2
    assert finished.fetched == 2
    batch.refresh_from_db()
    assert batch.state == InboundState.PROCESSED
    wanda = Record.objects.get(natural_key="wanda@example.com")
    assert wanda.data["phone"] == "+4930111222"
    assert wanda.xrefs.filter(system__name="ERP").exclude(external_id="").exists()


def test_a_wrong_signature_is_refused_and_nothing_is_stored(client, hook_flow):
    flow, _ = hook_flow
    body = json.dumps(CONTACTS).encode()
    response = post(client, flow, body, signature_for("not-the-secret", body))
    assert response.status_code == 401
    assert not InboundBatch.objects.exists()
    assert not Run.objects.filter(flow=flow).exists()


def test_malformed_json_with_a_good_signature_says_what_is_wrong(client, hook_flow):
    flow, secret = hook_flow
    body = b'{"records": [{"id": "W-3",}]}'
    response = post(client, flow, body, signature_for(secret, body))
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    assert not InboundBatch.objects.exists()


def test_the_same_idempotency_key_stores_the_call_once(client, hook_flow):
    flow, secret = hook_flow
    body = json.dumps(CONTACTS[0]).encode()
    first = post(client, flow, body, signature_for(secret, body), **{"Idempotency-Key": "call-1"})
    again = post(client, flow, body, signature_for(secret, body), **{"Idempotency-Key": "call-1"})
    assert first.status_code == again.status_code == 202
    assert again.json()["repeat"] is True
    assert InboundBatch.objects.count() == 1


def test_the_same_record_in_two_calls_before_a_run_gets_an_outcome_in_each(client, hook_flow):
    flow, secret = hook_flow
    for company in ("Webb AG", "Webb & Söhne AG"):  # the sender changed the record between two calls
        body = json.dumps({"records": [{**CONTACTS[0], "company": company}]}).encode()
        assert post(client, flow, body, signature_for(secret, body)).status_code == 202
    run = Run.objects.get(flow=flow)

    finished = run_execute(run.pk, worker="test")

    assert finished is not None
    assert finished.state == RunState.SUCCEEDED, finished.error
    assert (finished.fetched, finished.created, finished.updated) == (2, 1, 1)
    assert Record.objects.get(natural_key="wanda@example.com").data["company"] == "Webb & Söhne AG"
