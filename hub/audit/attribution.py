"""Attributing in the audit trail the work done outside a request (a run, the outbox, a connection test),
and the context of a request (its id, the browser), to every entry written meanwhile.

Inside ``attributed(cid=..., by=...)`` every audit entry written (auditlog's own change entries and our
access entries alike) carries the correlation id ``cid`` ("run:12", "outbox:3", "probe:5"), by which a
reviewer finds everything one run did, and ``additional_data["by"]`` ("run 12 of flow Customers to ERP"),
which says who acted where there is no person. The cid goes through auditlog's own correlation id (read
when an entry is built); "by" is added just before the entry is saved, the way auditlog's ``set_actor``
adds the actor: by a receiver connected only for the duration, that acts only in this context.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from functools import partial
from typing import Any

from auditlog.cid import correlation_id
from auditlog.models import LogEntry
from django.db.models.signals import pre_save

BY_KEY = "by"

_current: ContextVar[tuple[str, str, str, dict[str, Any]] | None] = ContextVar(
    "hub_attributed_work", default=None
)


def current_work() -> tuple[str, str] | None:
    """(cid, by) of the work going on in this context, if any."""
    current = _current.get()
    return None if current is None or not current[2] else (current[1], current[2])


@contextlib.contextmanager
def attributed(*, cid: str, by: str = "", details: dict[str, Any] | None = None) -> Iterator[None]:
    """``by`` names who acted where no person did; ``details`` are added to each entry's additional_data
    (keys the entry already has win)."""
    uid = f"hub-work-{uuid.uuid4().hex}"
    token = _current.set((uid, cid, by, details or {}))
    cid_token = correlation_id.set(cid)
    pre_save.connect(partial(_stamp, uid=uid), sender=LogEntry, dispatch_uid=uid, weak=False)
    try:
        yield
    finally:
        pre_save.disconnect(sender=LogEntry, dispatch_uid=uid)
        correlation_id.reset(cid_token)
        _current.reset(token)


def _stamp(sender: Any, instance: LogEntry, uid: str, **kwargs: Any) -> None:
    current = _current.get()
    if current is None or current[0] != uid:  # another thread's or an enclosing context's entry
        return
    _, cid, by, details = current
    if not instance.cid:
        instance.cid = cid
    data = instance.additional_data if isinstance(instance.additional_data, dict) else {}
    added = {**details, **({BY_KEY: by} if by else {})}
    if any(key not in data for key in added):
        instance.additional_data = {**added, **data}
