"""More scope isolation: the replay flag alone opens no flow; provenance follows the readable fields."""

from __future__ import annotations

from hub.api.models import ApiKey, EntityGrant
from hub.catalog.models import Entity, Record
from hub.flows.models import DeadLetter, Run
from hub.flows.runs import run_execute
from tests.api.conftest import order
from tests.api.test_push import assert_problem, push


def test_the_replay_flag_without_the_flow_replays_nothing(client, keys, world):
    world.reject_when(lambda item: item.get("key") == "SO-1")
    push(client, keys, {"records": [order(1)]})
    run_execute(Run.objects.get().pk, worker="test")
    letter = DeadLetter.objects.get()
    globex = keys.rows["globex"]
    ApiKey.objects.filter(pk=globex.pk).update(dead_letters_read=True, dead_letters_replay=True)
    EntityGrant.objects.create(key=globex, entity=Entity.objects.get(name="Order"), can_read=True)

    listed = client.get("/api/v1/dead-letters/", headers=keys.header("globex_customers"))
    assert listed.status_code == 200
    assert listed.json()["results"] == []
    replay = client.post(f"/api/v1/dead-letters/{letter.pk}/replay/", headers=keys.header("globex_customers"))
    assert_problem(replay, 404)
    assert DeadLetter.objects.filter(pk=letter.pk).exists()


def test_provenance_only_for_the_fields_the_key_may_read(client, keys):
    push(client, keys, {"records": [order(1)]})
    run_execute(Run.objects.get().pk, worker="test")
    record = Record.objects.get(natural_key="SO-1")
    assert "customer_email" in record.provenance  # the hub knows where it came from

    header = keys.header("acme_orders")
    for body in (
        client.get("/api/v1/entities/Order/records/", headers=header).json()["results"][0],
        client.get(f"/api/v1/entities/Order/records/{record.pk}/", headers=header).json(),
    ):
        assert set(body["data"]) == {"number", "total", "status"}
        assert set(body["provenance"]) <= {"number", "total", "status"}
        assert "customer_email" not in str(body)
