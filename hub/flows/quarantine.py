"""Quarantined records: corrected field by field and resubmitted, or rejected with a reason."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from hub.audit.services import Actor, actor_user
from hub.catalog.schema import clean_record
from hub.catalog.selectors import entity_schema
from hub.flows.models import Quarantined, QuarantineState, Run
from hub.flows.runs import run_request


class QuarantineError(Exception):
    pass


def quarantine_check(
    *, item: Quarantined, values: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The corrected values, cleaned by the entity's rules, and what is still wrong, by field."""
    checked = clean_record(entity_schema(item.flow.entity), values)
    return checked.values, checked.errors


@transaction.atomic
def quarantine_resubmit(*, item: Quarantined, values: dict[str, Any], actor: Actor = None) -> Run:
    """Accept a person's corrections; the flow's next run (started now) processes the record."""
    cleaned, errors = quarantine_check(item=item, values=values)
    if errors:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
        raise QuarantineError(f"{item.external_id} still has problems: {problems}")
    updated = Quarantined.objects.filter(pk=item.pk, state=QuarantineState.OPEN).update(
        state=QuarantineState.RESUBMITTED, values=cleaned, errors={}, resolved_by=actor_user(actor),
        resolved_at=timezone.now(), reason="corrected and resubmitted", updated_at=timezone.now(),
    )  # fmt: skip
    if not updated:
        raise QuarantineError(f"{item.external_id} was already resubmitted or rejected.")
    run, _ = run_request(flow=item.flow, trigger="resubmit", actor=actor)
    return run


def quarantine_reject(*, item: Quarantined, reason: str, actor: Actor = None) -> None:
    if not reason.strip():
        raise QuarantineError("Say why the record is rejected.")
    Quarantined.objects.filter(pk=item.pk, state=QuarantineState.OPEN).update(
        state=QuarantineState.REJECTED, reason=reason.strip(), resolved_by=actor_user(actor),
        resolved_at=timezone.now(), updated_at=timezone.now(),
    )  # fmt: skip
