"""A dead letter is replayed once, whoever asks and however often, and the replay names the key."""

from __future__ import annotations

from hub.flows.models import DeadLetter, Delivery, DeliveryState, Run
from hub.flows.outbox import dead_letter_replay
from hub.flows.runs import run_execute
from tests.api.conftest import order
from tests.api.test_push import push


def one_dead_letter(client, keys, world) -> DeadLetter:
    world.reject_when(lambda item: item.get("key") == "SO-1")
    push(client, keys, {"records": [order(1)]})
    run_execute(Run.objects.get().pk, worker="test")
    world.reject_when(None)
    return DeadLetter.objects.get()


def test_a_stale_copy_does_not_replay_a_letter_that_is_no_longer_dead(client, keys, world):
    letter = one_dead_letter(client, keys, world)
    stale = Delivery.objects.get(pk=letter.pk)
    dead_letter_replay(delivery=letter, by="first")
    Delivery.objects.filter(pk=letter.pk).update(state=DeliveryState.DELIVERED)  # delivered meanwhile

    again = dead_letter_replay(delivery=stale, by="second")

    assert again.state == DeliveryState.DELIVERED
    assert Delivery.objects.get(pk=letter.pk).state == DeliveryState.DELIVERED
    assert "first" in Delivery.objects.get(pk=letter.pk).discard_reason


def test_a_replay_through_the_api_names_the_key_and_its_partner(client, keys, world):
    letter = one_dead_letter(client, keys, world)
    response = client.post(f"/api/v1/dead-letters/{letter.pk}/replay/", headers=keys.header("acme_orders"))
    assert response.status_code == 202, response.content
    reason = Delivery.objects.get(pk=letter.pk).discard_reason
    assert keys.rows["acme"].prefix in reason
    assert "Acme Retail" in reason
