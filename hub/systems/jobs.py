"""Background jobs for systems. A job takes ids, calls a service, and can run twice without harm."""

from __future__ import annotations

import django_rq
from django.db import transaction

from hub.audit.attribution import attributed
from hub.systems.models import System
from hub.systems.services import system_probe


def probe_system(system_id: int) -> bool | None:
    """Test one system's connection; the outcome is stored on the system. A deleted system is skipped."""
    system = System.objects.filter(pk=system_id).first()
    if system is None:
        return None
    with attributed(cid=f"probe:{system.pk}", by=f"connection test of {system.name}"):
        return system_probe(system=system, actor=None).ok


def enqueue_probes(system_ids: list[int]) -> None:
    """Queue connection tests once the current transaction has committed."""

    def send() -> None:
        queue = django_rq.get_queue("default")
        for system_id in system_ids:
            queue.enqueue(
                probe_system, system_id, job_timeout=120, description=f"connection test of system {system_id}"
            )

    transaction.on_commit(send)
