"""RQ jobs of the engine. Each takes ids, calls a service, and does no harm when run twice.

Redis only wakes workers: if it is unreachable when a job is enqueued, nothing is lost, because the
periodic tick finds the queued run or the due delivery in the database and enqueues it again.
"""

from __future__ import annotations

import logging

import django_rq
from django.conf import settings
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def enqueue(func: str, *args: int) -> bool:
    """Wake a worker; returns False (and logs) when Redis cannot be reached: the tick will retry."""
    try:
        django_rq.get_queue("default").enqueue(
            func,
            *args,
            job_timeout=settings.RQ_QUEUES["default"]["DEFAULT_TIMEOUT"],
            description=f"{func}{args}",
        )
    except RedisError as error:
        log.warning("could not enqueue %s%s (%s): the next tick will", func, args, type(error).__name__)
        return False
    return True


def execute_run(run_id: int) -> str:
    from hub.flows.runs import run_execute

    run = run_execute(run_id)
    return "taken by another worker or already finished" if run is None else run.state


def deliver_flow(flow_id: int) -> int:
    from hub.audit.attribution import attributed
    from hub.flows.models import Flow
    from hub.flows.outbox import outbox_deliver

    name = Flow.objects.filter(pk=flow_id).values_list("name", flat=True).first() or f"#{flow_id}"
    with attributed(cid=f"outbox:{flow_id}", by=f"outbox of flow {name}"):
        return outbox_deliver(flow_id=flow_id)


def tick() -> dict[str, int]:
    from hub.flows.scheduling import tick as scheduling_tick

    return scheduling_tick()
