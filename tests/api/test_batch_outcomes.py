"""A batch poll shows the outcomes of its own records: never those of another batch processed in the same run."""

from __future__ import annotations

from hub.api.models import ApiKey, EntityGrant
from hub.catalog.models import Entity
from hub.flows.models import InboundBatch, Run
from hub.flows.runs import run_execute
from tests.api.conftest import order
from tests.api.test_push import push


def report(client, keys, batch: int, who: str = "acme_orders") -> dict:
    response = client.get(f"/api/v1/batches/{batch}/", headers=keys.header(who))
    assert response.status_code == 200, response.content
    return {r["id"]: r for r in response.json()["records"]}


def test_two_batches_of_one_run_with_the_same_id_each_show_their_own_outcome(client, keys):
    bad = push(client, keys, {"records": [order(1, total="not money")]}, ikey="first").json()["batch"]
    good = push(client, keys, {"records": [order(1)]}, ikey="second").json()["batch"]
    run = run_execute(Run.objects.get().pk, worker="test")
    assert run is not None
    assert run.state == "succeeded", run.error
    assert set(InboundBatch.objects.values_list("page", flat=True)) == {1, 2}

    first, second = report(client, keys, bad)["SO-1"], report(client, keys, good)["SO-1"]
    assert first["status"] == "quarantined"
    assert "total" in first["errors"]
    assert second["status"] == "delivered"
    assert second["errors"] == {}


def test_two_partners_sharing_a_flow_each_see_their_own_records(client, keys, world):
    globex = keys.rows["globex"]
    EntityGrant.objects.create(key=globex, entity=Entity.objects.get(name="Order"), can_write=True)
    ApiKey.objects.filter(pk=globex.pk).update(dead_letters_read=True)
    acme = push(client, keys, {"records": [order(1, total="not money from acme")]}, ikey="same").json()
    theirs = push(client, keys, {"records": [order(1, number="SO-G1")]}, ikey="same", who="globex_customers")
    assert theirs.status_code == 202, theirs.content
    run_execute(Run.objects.get().pk, worker="test")

    mine = report(client, keys, acme["batch"])
    other = report(client, keys, theirs.json()["batch"], who="globex_customers")
    assert list(mine) == list(other) == ["SO-1"]  # each partner sees its own id, as pushed
    assert mine["SO-1"]["status"] == "quarantined"
    assert other["SO-1"]["status"] == "delivered"
    assert mine["SO-1"]["record_id"] is None
    assert other["SO-1"]["record_id"] is not None
