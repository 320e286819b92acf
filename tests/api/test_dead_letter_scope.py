"""Dead letters: only those of records the key's own partner pushed, of entities it may read, without the
target's own words."""

from __future__ import annotations

import json

from hub.api.models import ApiKey, EntityGrant
from hub.catalog.models import Entity
from hub.flows.models import DeadLetter, Run
from hub.flows.runs import run_execute
from tests.api.conftest import order
from tests.api.test_push import push


def letters(client, keys, who: str) -> list[dict]:
    response = client.get("/api/v1/dead-letters/", headers=keys.header(who))
    assert response.status_code == 200, response.content
    return response.json()["results"]


def globex_pushes_orders(keys, *, can_read: bool) -> None:
    globex = keys.rows["globex"]
    EntityGrant.objects.create(
        key=globex, entity=Entity.objects.get(name="Order"), can_write=True, can_read=can_read
    )
    ApiKey.objects.filter(pk=globex.pk).update(dead_letters_read=True, dead_letters_replay=True)


def test_a_partner_sees_only_the_dead_letters_of_its_own_records(client, keys, world):
    globex_pushes_orders(keys, can_read=True)
    world.reject_when(lambda item: item.get("key") in {"SO-1", "SO-G7"})
    push(client, keys, {"records": [order(1)]}, ikey="a")
    theirs = push(client, keys, {"records": [order(7, number="SO-G7")]}, ikey="g", who="globex_customers")
    assert theirs.status_code == 202, theirs.content
    run_execute(Run.objects.get().pk, worker="test")
    assert DeadLetter.objects.count() == 2

    acme = letters(client, keys, "acme_orders")
    globex = letters(client, keys, "globex_customers")
    assert [a["record"] for a in acme] == list(
        DeadLetter.objects.filter(record__natural_key="SO-1").values_list("record_id", flat=True)
    )
    assert [g["record"] for g in globex] == list(
        DeadLetter.objects.filter(record__natural_key="SO-G7").values_list("record_id", flat=True)
    )
    other = DeadLetter.objects.get(record__natural_key="SO-G7")
    refused = client.post(f"/api/v1/dead-letters/{other.pk}/replay/", headers=keys.header("acme_orders"))
    assert refused.status_code == 404


def test_dead_letters_need_a_read_grant_on_the_entity(client, keys, world):
    globex_pushes_orders(keys, can_read=False)
    world.reject_when(lambda item: item.get("key") == "SO-G7")
    push(client, keys, {"records": [order(7, number="SO-G7")]}, ikey="g", who="globex_customers")
    run_execute(Run.objects.get().pk, worker="test")
    assert DeadLetter.objects.count() == 1

    assert letters(client, keys, "globex_customers") == []
    letter = DeadLetter.objects.get()
    refused = client.post(
        f"/api/v1/dead-letters/{letter.pk}/replay/", headers=keys.header("globex_customers")
    )
    assert refused.status_code == 404


def test_the_targets_own_answer_is_not_shown(client, keys, world):
    world.reject_when(lambda item: item.get("key") == "SO-1")
    push(client, keys, {"records": [order(1)]})
    run_execute(Run.objects.get().pk, worker="test")
    DeadLetter.objects.update(last_error='HTTP 422: {"secret_of_the_target": "person@elsewhere.example"}')

    listed = letters(client, keys, "acme_orders")
    assert len(listed) == 1
    assert listed[0]["last_error"]
    text = json.dumps(listed)
    assert "secret_of_the_target" not in text
    assert "person@elsewhere.example" not in text
