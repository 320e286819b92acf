"""Records pushed to the hub: stored first (so the sender's 202 means 'safe'), then processed by a run."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.db import IntegrityError, transaction

from hub.flows.models import Flow, FlowState, InboundBatch, Trigger
from hub.flows.runs import run_request
from hub.systems import vault

SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_RECORDS = 5000


class InboundError(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def webhook_secret_set(*, flow: Flow, secret: str | None = None) -> str:
    """Store a new webhook secret for the flow (encrypted) and return it once, to give to the sender."""
    value = secret or secrets.token_urlsafe(32)
    flow.webhook_secret = vault.encrypt(value)
    flow.save(update_fields=["webhook_secret", "updated_at"])
    return value


def signature_for(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_verify(*, flow: Flow, body: bytes, signature: str) -> None:
    if not flow.webhook_secret:
        raise InboundError("This flow has no webhook secret yet: set one in the admin.", 409)
    expected = signature_for(vault.decrypt(flow.webhook_secret), body)
    if not hmac.compare_digest(expected, signature or ""):
        raise InboundError(
            f"The {SIGNATURE_HEADER} header does not match the body signed with the flow's secret.", 401
        )


def records_of(payload: Any) -> list[dict[str, Any]]:
    """A list of records, {"records": [...]}, or one record."""
    found = payload.get("records", payload) if isinstance(payload, dict) else payload
    found = [found] if isinstance(found, dict) else found
    if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
        raise InboundError('Send a JSON object, a list of objects, or {"records": [objects]}.', 400)
    if not found:
        raise InboundError("The body holds no records.", 400)
    if len(found) > MAX_RECORDS:
        raise InboundError(f"At most {MAX_RECORDS} records per call; this one has {len(found)}.", 413)
    return found


def inbound_accept(
    *, flow: Flow, records: list[dict[str, Any]], origin: str, idempotency_key: str | None = None
) -> tuple[InboundBatch, bool]:
    """Store pushed records and ask for a run; the same idempotency key stores them once."""
    if flow.state != FlowState.ACTIVE or flow.trigger not in (Trigger.WEBHOOK, Trigger.API_PUSH):
        raise InboundError(
            f"The flow '{flow.name}' does not accept pushed records (it is not an active push flow).", 409
        )
    try:
        with transaction.atomic():
            batch = InboundBatch.objects.create(
                flow=flow, origin=origin, idempotency_key=idempotency_key, records=records,
                record_count=len(records),
            )  # fmt: skip
    except IntegrityError:
        # Only the idempotency key's own constraint means "already stored"; any other violation is an error.
        earlier = (
            InboundBatch.objects.filter(flow=flow, idempotency_key=idempotency_key).first()
            if idempotency_key is not None
            else None
        )
        if earlier is None:
            raise
        return earlier, False
    run_request(flow=flow, trigger=origin)
    return batch, True
