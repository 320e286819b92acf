"""Writes on canonical records that people make: resolving conflicts."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hub.audit.services import Actor, actor_user
from hub.catalog.models import Conflict, ConflictState, Record
from hub.flows.engine.context import content_hash


@transaction.atomic
def conflict_resolve(*, conflict: Conflict, accept: bool, note: str = "", actor: Actor = None) -> None:
    """Accept the other system's value into the record, or keep the record's; either way it is closed."""
    taken = Conflict.objects.filter(pk=conflict.pk, state=ConflictState.OPEN).update(
        state=ConflictState.ACCEPTED if accept else ConflictState.DISMISSED,
        resolved_by=actor_user(actor), resolved_at=timezone.now(), note=note, updated_at=timezone.now(),
    )  # fmt: skip
    if not (taken and accept) or conflict.field.startswith("("):
        return
    record = Record.objects.select_for_update().get(pk=conflict.record_id)
    who = getattr(actor_user(actor), "username", "someone")
    record.data[conflict.field] = conflict.offered_value
    record.provenance[conflict.field] = {
        "system": conflict.system.name, "at": timezone.now().isoformat(), "accepted_by": who,
    }  # fmt: skip
    record.content_hash = content_hash(record.data)
    record.save(update_fields=["data", "provenance", "content_hash", "updated_at"])
    from hub.flows.outbox import record_changed_deliver  # flows builds on the catalog, not the reverse

    record_changed_deliver(record=record)
