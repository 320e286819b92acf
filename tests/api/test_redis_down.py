"""Redis down while a partner pushes: the push is stored and answered; once Redis is back the tick wakes a
worker (a real ``rqworker`` process) and the records are delivered. Nothing is lost, nothing is doubled."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import django_rq
from django.utils import timezone

from hub.flows.models import Run, RunState
from hub.flows.scheduling import LOST_AFTER, tick
from tests.api.conftest import order
from tests.api.test_push import push
from tests.flows.test_engine_workers import ThrowawayRedis, Workers


def test_a_push_while_redis_is_down_is_delivered_once_redis_is_back(client, keys, world, settings, tmp_path):
    redis = ThrowawayRedis(tmp_path)  # a free port, nothing listening yet
    settings.RQ_QUEUES = {name: {**queue, "URL": redis.url} for name, queue in settings.RQ_QUEUES.items()}
    workers = Workers(Path(tmp_path))

    response = push(client, keys, {"records": [order(1), order(2)]})
    assert response.status_code == 202, response.content
    run = Run.objects.get()
    assert run.state == RunState.QUEUED  # stored, but no worker was woken

    redis.start()
    try:
        assert django_rq.get_queue("default").count == 0
        assert tick(timezone.now() + LOST_AFTER + timedelta(seconds=1))["lost"] == 1
        assert django_rq.get_queue("default").count == 1
        workers.finish(workers.start(burst=True, redis_url=redis.url))
    finally:
        workers.stop_all()
        redis.stop()

    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED, run.error
    assert world.writes_per_key() == {"SO-1": 1, "SO-2": 1}
    report: Any = client.get(
        f"/api/v1/batches/{response.json()['batch']}/", headers=keys.header("acme_orders")
    )
    assert report.json()["counts"]["delivered"] == 2
