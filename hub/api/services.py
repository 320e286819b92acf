"""Writes of the partner API: keys, pushes, runs started and dead letters replayed by a key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from hub.api.models import ApiKey, PartnerBatch
from hub.api.problems import Problem
from hub.api.selectors import external_id, flow_id_path
from hub.audit.services import audit_access_many
from hub.flows.inbound import inbound_accept
from hub.flows.jobs import enqueue
from hub.flows.models import Delivery, Flow, FlowState, Run
from hub.flows.outbox import dead_letter_replay
from hub.flows.runs import run_request
from hub.mappings.models import Direction, Mapping


@dataclass(frozen=True)
class Caller:
    """Who is calling, for the audit trail: the key, its partner, and from where."""

    key: ApiKey
    address: str

    @property
    def correlation(self) -> str:
        return f"api-key:{self.key.prefix}"

    def details(self) -> dict[str, Any]:
        partner = self.key.partner
        return {"partner": partner.name, "partner_id": partner.pk, "api_key": self.key.prefix}

    def audit(self, instances: list[Any], what: str, reason: str) -> None:
        audit_access_many(
            instances=instances, what=what, reason=reason, details=self.details(),
            remote_addr=self.address or None, cid=self.correlation,
        )  # fmt: skip


# Pushes ------------------------------------------------------------------------------------------------


def body_hash(flow: Flow, records: list[dict[str, Any]]) -> str:
    text = json.dumps({"flow": flow.pk, "records": records}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def push_record_errors(*, flow: Flow, records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Each record needs its own id (unique in the batch) and only fields the flow's mapping reads."""
    id_path = flow_id_path(flow)
    known = _known_fields(flow) | {id_path.split(".")[0]}
    errors: list[dict[str, str]] = []
    if "\\u0000" in json.dumps(records):
        errors.append(_error("/records", "Text may not contain the NUL character (\\u0000).", "invalid"))
    first_at: dict[str, int] = {}
    for index, record in enumerate(records):
        pointer = f"/records/{index}"
        ident = external_id(record, id_path)
        if ident is None:
            errors.append(_error(pointer, f"The record needs its id at '{id_path}'.", "required"))
        elif ident in first_at:
            errors.append(_error(pointer, f"Id {ident} is also record {first_at[ident]}.", "duplicate"))
        else:
            first_at[ident] = index
        for name in sorted(set(record) - known):
            errors.append(
                _error(f"{pointer}/{_escape(name)}", "Unknown field: the flow does not read it.", "unknown")
            )
    return errors


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _error(pointer: str, detail: str, code: str) -> dict[str, str]:
    return {"pointer": pointer, "detail": detail, "code": code}


def _known_fields(flow: Flow) -> set[str]:
    mapping = Mapping.objects.filter(
        system=flow.source, entity=flow.entity, direction=Direction.INBOUND
    ).first()
    version = mapping.versions.order_by("-number").first() if mapping else None
    if version is None:
        raise Problem(
            f"The flow '{flow.name}' is not ready: its inbound mapping is not published. Tell the hub's admins.",
            status_code=409,
            kind="flow-not-ready",
        )
    return {str(rule["source"]).split(".")[0] for rule in version.rules}


def push_accept(
    *, caller: Caller, flow: Flow, records: list[dict[str, Any]], idempotency_key: str
) -> tuple[PartnerBatch, bool]:
    """Store a partner's records for a flow, once per idempotency key; returns (push, replayed).

    The same key with the same flow and records returns the first push; with anything else it is refused.
    Stored before the caller gets its answer; the run that processes it is enqueued on commit, and the
    tick enqueues it again if Redis was not there (hub.flows.scheduling).
    """
    digest = body_hash(flow, records)
    partner = caller.key.partner
    with transaction.atomic():
        earlier = PartnerBatch.objects.filter(partner=partner, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return _replayed(earlier, digest), True
        try:
            with transaction.atomic():
                batch, created = inbound_accept(
                    flow=flow, records=records, origin="api",
                    idempotency_key=f"api:{partner.pk}:{idempotency_key}",
                )  # fmt: skip
                if not created:
                    raise IntegrityError("stored by a concurrent call")
                pushed = PartnerBatch.objects.create(
                    batch=batch, partner=partner, api_key=caller.key, idempotency_key=idempotency_key,
                    body_hash=digest,
                )  # fmt: skip
        except IntegrityError:  # another call with this key won the race: answer as it was answered
            earlier = PartnerBatch.objects.get(partner=partner, idempotency_key=idempotency_key)
            return _replayed(earlier, digest), True
        caller.audit([pushed], "records pushed", f"{len(records)} records pushed into flow {flow.name}")
    return pushed, False


def _replayed(earlier: PartnerBatch, digest: str) -> PartnerBatch:
    if earlier.body_hash != digest:
        raise Problem(
            "This Idempotency-Key was already used with another body or flow "
            f"(batch {earlier.batch_id}). Use a new key for a new push.",
            status_code=409,
            kind="idempotency-key-reused",
        )
    return earlier


# Runs and dead letters ---------------------------------------------------------------------------------


def flow_start(*, caller: Caller, flow: Flow) -> tuple[Run, bool]:
    if flow.state != FlowState.ACTIVE:
        raise Problem(f"The flow '{flow.name}' is not active: it cannot run now.", status_code=409)
    with transaction.atomic():
        run, created = run_request(flow=flow, trigger="api")
        if created:
            caller.audit([run], "run started", f"run of flow {flow.name} started through the API")
    return run, created


def dead_letter_replay_by_key(*, caller: Caller, letter: Delivery) -> Delivery:
    with transaction.atomic():
        replayed = dead_letter_replay(delivery=letter)
        caller.audit([replayed], "dead letter replayed", f"dead letter of flow {letter.flow.name} replayed")
        transaction.on_commit(lambda: enqueue("hub.flows.jobs.deliver_flow", letter.flow_id))
    return replayed
