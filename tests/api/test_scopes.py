"""A key does what it was granted and nothing more: other entities, flows and partners' batches stay closed."""

from __future__ import annotations

import json

from auditlog.models import LogEntry

from hub.catalog.models import Record
from hub.flows.models import Flow, Run
from hub.flows.runs import run_execute
from tests.api.conftest import customer, order
from tests.api.test_push import assert_problem, push


def delivered_orders(client, keys, count: int = 3) -> None:
    push(client, keys, {"records": [order(n) for n in range(1, count + 1)]}, ikey="orders")
    run_execute(Run.objects.get(flow__name="Orders from partners").pk, worker="test")


def test_an_orders_key_cannot_read_customers(client, keys):
    push(client, keys, {"records": [customer(1)]}, flow="Customers from partners", who="globex_customers")
    run_execute(Run.objects.get().pk, worker="test")
    assert Record.objects.filter(entity__name="Customer").exists()

    response = client.get("/api/v1/entities/Customer/records/", headers=keys.header("acme_orders"))
    problem = assert_problem(response, 404)  # an entity it may not read is not there for it
    assert "person1@example.com" not in json.dumps(problem)
    record = Record.objects.get(entity__name="Customer")
    one = client.get(f"/api/v1/entities/Customer/records/{record.pk}/", headers=keys.header("acme_orders"))
    assert_problem(one, 404)
    assert [
        e["name"] for e in client.get("/api/v1/entities/", headers=keys.header("acme_orders")).json()
    ] == ["Order"]


def test_an_orders_key_cannot_push_customers_or_start_a_flow_it_was_not_granted(client, keys):
    pushed = push(client, keys, {"records": [customer(1)]}, flow="Customers from partners")
    assert_problem(pushed, 404)  # a flow it may neither push into nor start is not there for it
    weekly = Flow.objects.get(name="Weekly customers")
    assert_problem(client.post(f"/api/v1/flows/{weekly.pk}/runs/", headers=keys.header("acme_orders")), 404)
    orders = Flow.objects.get(name="Orders from partners")
    refused = client.post(f"/api/v1/flows/{orders.pk}/runs/", headers=keys.header("acme_orders"))
    assert_problem(refused, 403)  # it may push into it, not start it
    assert not Run.objects.exists()

    listed = client.get("/api/v1/flows/", headers=keys.header("acme_orders")).json()
    assert {(f["name"], f["may_push"], f["may_start"]) for f in listed} == {
        ("Orders from partners", True, False),
        ("Nightly orders", False, True),
    }
    nightly = Flow.objects.get(name="Nightly orders")
    started = client.post(f"/api/v1/flows/{nightly.pk}/runs/", headers=keys.header("acme_orders"))
    assert started.status_code == 202, started.content
    assert started.json()["run"] == Run.objects.get(flow=nightly).pk


def test_a_partner_never_sees_another_partners_batch(client, keys):
    batch = push(client, keys, {"records": [order(1)]}).json()["batch"]

    response = client.get(f"/api/v1/batches/{batch}/", headers=keys.header("globex_customers"))
    problem = assert_problem(response, 404)
    assert "SO-1" not in json.dumps(problem)
    assert client.get(f"/api/v1/batches/{batch}/", headers=keys.header("acme_orders")).status_code == 200


def test_records_show_only_granted_fields_with_provenance_and_each_read_is_audited(client, keys):
    delivered_orders(client, keys)

    page = client.get(
        "/api/v1/entities/Order/records/?page_size=2", headers=keys.header("acme_orders")
    ).json()
    assert len(page["results"]) == 2
    first = page["results"][0]
    assert set(first["data"]) == {"number", "total", "status"}  # customer_email was not granted
    assert first["provenance"]["total"]["system"] == "Partner gateway"
    assert first["provenance"]["total"]["at"]
    rest = client.get(page["next"], headers=keys.header("acme_orders")).json()
    assert len(rest["results"]) == 1
    assert rest["next"] is None
    seen = [r["data"]["number"] for r in page["results"] + rest["results"]]
    assert sorted(seen) == ["SO-1", "SO-2", "SO-3"]

    reads = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, additional_data__accessed="record")
    assert reads.count() == 3
    entry = reads.first()
    assert entry is not None
    assert entry.additional_data["partner"] == "Acme Retail"
    assert entry.additional_data["api_key"] == keys.rows["acme"].prefix
    assert entry.cid == f"api-key:{keys.rows['acme'].prefix}"
    assert entry.remote_addr == "127.0.0.1"


def test_updated_since_filters_and_a_bad_value_names_the_parameter(client, keys):
    delivered_orders(client, keys)
    later = client.get(
        "/api/v1/entities/Order/records/", {"updated_since": "2999-01-01T00:00:00Z"},
        headers=keys.header("acme_orders"),
    )  # fmt: skip
    assert later.json()["results"] == []
    bad = client.get(
        "/api/v1/entities/Order/records/", {"updated_since": "yesterday"}, headers=keys.header("acme_orders")
    )
    assert_problem(bad, 400, "updated_since")


def test_dead_letters_are_listed_and_replayed_only_where_granted(client, keys, world):
    world.reject_when(lambda item: item.get("key") == "SO-2")
    delivered_orders(client, keys)

    letters = client.get("/api/v1/dead-letters/", headers=keys.header("acme_orders")).json()["results"]
    assert [letter["record"] for letter in letters] == [Record.objects.get(natural_key="SO-2").pk]
    assert_problem(client.get("/api/v1/dead-letters/", headers=keys.header("globex_customers")), 403)
    letter = letters[0]["id"]
    other = client.post(f"/api/v1/dead-letters/{letter}/replay/", headers=keys.header("globex_customers"))
    assert_problem(other, 403)

    world.reject_when(None)
    replayed = client.post(f"/api/v1/dead-letters/{letter}/replay/", headers=keys.header("acme_orders"))
    assert replayed.status_code == 202, replayed.content
    assert replayed.json()["state"] == "pending"
    assert client.get("/api/v1/dead-letters/", headers=keys.header("acme_orders")).json()["results"] == []
