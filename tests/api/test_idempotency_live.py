"""Retries under concurrency, on a real threaded server: the same push from several threads stores one batch."""

from __future__ import annotations

import json
import threading
from typing import Any

import requests

from hub.api.models import PartnerBatch
from hub.flows.models import Flow, InboundBatch, Run
from tests.api.conftest import order

THREADS = 8


def push_together(url: str, headers: dict[str, str], bodies: list[bytes]) -> list[requests.Response]:
    """Send every body at the same moment (a barrier), one thread each; every thread has a time limit."""
    barrier = threading.Barrier(len(bodies), timeout=10)
    answers: list[Any] = [None] * len(bodies)

    def send(index: int) -> None:
        barrier.wait()
        answers[index] = requests.post(url, data=bodies[index], headers=headers, timeout=30)

    threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=40)
    assert all(answer is not None for answer in answers), "a push did not come back in time"
    return answers


def endpoint(live_server: Any, keys: Any) -> tuple[str, dict[str, str]]:
    flow = Flow.objects.get(name="Orders from partners")
    headers = {
        **keys.header("acme_orders"),
        "Idempotency-Key": "retry-storm",
        "Content-Type": "application/json",
    }
    return f"{live_server.url}/api/v1/flows/{flow.pk}/batches/", headers


def test_the_same_push_from_many_threads_at_once_is_stored_once(live_server, keys):
    url, headers = endpoint(live_server, keys)
    body = json.dumps({"records": [order(n) for n in range(1, 51)]}).encode()

    answers = push_together(url, headers, [body] * THREADS)

    assert [a.status_code for a in answers] == [202] * THREADS, [a.text for a in answers]
    assert len({a.json()["batch"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == THREADS - 1
    assert InboundBatch.objects.count() == PartnerBatch.objects.count() == 1
    assert Run.objects.count() == 1


def test_the_same_key_with_different_bodies_at_once_stores_one_and_refuses_the_others(live_server, keys):
    url, headers = endpoint(live_server, keys)
    bodies = [json.dumps({"records": [order(n)]}).encode() for n in range(1, THREADS + 1)]

    answers = push_together(url, headers, bodies)

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [202] + [409] * (THREADS - 1), [a.text for a in answers]
    assert all(
        a.headers["Content-Type"] == "application/problem+json" for a in answers if a.status_code == 409
    )
    stored = InboundBatch.objects.get()
    winner = next(a for a in answers if a.status_code == 202)
    assert stored.pk == winner.json()["batch"]
    assert stored.record_count == 1
