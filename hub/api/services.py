"""Writes of the partner API: keys, pushes, runs started and dead letters replayed by a key."""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction

from hub.api.models import ApiKey, PartnerBatch
from hub.api.problems import Problem
from hub.api.selectors import external_id, flow_id_path, partner_namespace
from hub.audit.events import EVENT_KEY, Event
from hub.audit.services import audit_access_many
from hub.flows.inbound import inbound_accept
from hub.flows.jobs import enqueue
from hub.flows.models import Delivery, Flow, FlowState, Run
from hub.flows.outbox import dead_letter_replay
from hub.flows.runs import run_request
from hub.mappings.models import Direction, Mapping, MappingVersion
from hub.mappings.paths import MISSING, get_path, set_path

log = logging.getLogger(__name__)
MAX_ID_LENGTH = 255  # stored with the partner's namespace in 300 characters (RecordOutcome.external_id)
MAX_NATURAL_KEY_LENGTH = 500  # Record.natural_key
MAX_ERRORS = 100  # per answer: enough to fix a push, not a response as large as the push


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


def key_used(*, key: ApiKey, address: str, request: Any, status_code: int) -> None:
    """One audit entry per call made with a key (refused calls too, when the key's prefix is known)."""
    partner = key.partner
    details = {
        EVENT_KEY: str(Event.KEY_USED), "partner": partner.name, "partner_id": partner.pk, "api_key": key.prefix,
        "method": request.method, "path": request.path[:500], "status": status_code,
    }  # fmt: skip
    try:
        with transaction.atomic():
            audit_access_many(
                instances=[key], what="API call", reason=f"{request.method} {request.path[:200]}: {status_code}",
                details=details, remote_addr=address or None, cid=f"api-key:{key.prefix}",
            )  # fmt: skip
    except DatabaseError:  # the answer is already decided; a failed entry is logged, not turned into a 500
        log.exception("could not audit the call of API key %s", key.prefix)


# Pushes ------------------------------------------------------------------------------------------------


def body_hash(flow_id: int, records: Any) -> str:
    text = json.dumps({"flow": flow_id, "records": records}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def push_record_errors(*, flow: Flow, records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Each record needs its own id (unique in the batch, at most MAX_ID_LENGTH characters), only fields the
    flow's mapping reads, text that is valid UTF-8 without NUL, and a natural key that fits."""
    id_path = flow_id_path(flow)
    version = _published_version(flow)
    known = {str(rule["source"]).split(".")[0] for rule in version.rules} | {id_path.split(".")[0]}
    key_paths = _natural_key_paths(flow, version)
    errors: list[dict[str, str]] = []
    first_at: dict[str, int] = {}
    for index, record in enumerate(records):
        pointer = f"/records/{index}"
        errors.extend(_text_errors(record, pointer))
        ident = external_id(record, id_path)
        if ident is None:
            errors.append(_error(pointer, f"The record needs its id at '{id_path}'.", "required"))
        elif len(ident) > MAX_ID_LENGTH:
            errors.append(_error(pointer, f"The id is longer than {MAX_ID_LENGTH} characters.", "max_length"))
        elif ident in first_at:
            errors.append(_error(pointer, f"Id {ident} is also record {first_at[ident]}.", "duplicate"))
        else:
            first_at[ident] = index
        for path in key_paths:
            value = get_path(record, path)
            if value is not MISSING and len(str(value)) > MAX_NATURAL_KEY_LENGTH:
                errors.append(
                    _error(f"{pointer}/{_escape(path)}",
                           f"A natural key may have at most {MAX_NATURAL_KEY_LENGTH} characters.", "max_length")
                )  # fmt: skip
        for name in sorted(set(record) - known):
            errors.append(
                _error(f"{pointer}/{_escape(name)}", "Unknown field: the flow does not read it.", "unknown")
            )
        if len(errors) >= MAX_ERRORS:
            break
    return errors[:MAX_ERRORS]


def _text_errors(value: Any, pointer: str) -> Iterator[dict[str, str]]:
    """Every text in the record, names and values alike: the database takes neither NUL nor lone surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            yield _error(pointer, "Text may not contain the NUL character (\\u0000).", "invalid")
        elif not _is_utf8(value):
            yield _error(
                pointer, "Text must be valid Unicode (a lone surrogate such as \\ud800 is not).", "invalid"
            )
    elif isinstance(value, dict):
        for name, item in value.items():
            inner = f"{pointer}/{_escape(str(name))}"
            if not isinstance(name, str) or "\x00" in name or not _is_utf8(name):
                yield _error(inner, "A field name must be valid Unicode text without NUL.", "invalid")
            else:
                yield from _text_errors(item, inner)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _text_errors(item, f"{pointer}/{position}")


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _error(pointer: str, detail: str, code: str) -> dict[str, str]:
    return {"pointer": pointer, "detail": detail, "code": code}


def _published_version(flow: Flow) -> MappingVersion:
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
    return version


def _natural_key_paths(flow: Flow, version: MappingVersion) -> list[str]:
    keys = set(flow.entity.fields.filter(natural_key=True).values_list("name", flat=True))
    return sorted({str(rule["source"]) for rule in version.rules if rule.get("target") in keys})


def namespaced(records: list[dict[str, Any]], id_path: str, partner_id: int) -> list[dict[str, Any]]:
    """The records as stored: each id prefixed with the partner's namespace (``p<partner id>:``), so that
    partners sharing a flow (and its source system) never share an id."""
    prefix = partner_namespace(partner_id)
    flat = "." not in id_path and "[" not in id_path
    stored = []
    for record in records:
        copied = dict(record) if flat else copy.deepcopy(record)
        ident = external_id(record, id_path)
        if ident is not None:
            set_path(copied, id_path, prefix + ident)
        stored.append(copied)
    return stored


def push_earlier(*, caller: Caller, idempotency_key: str) -> PartnerBatch | None:
    return (
        PartnerBatch.objects.filter(partner_id=caller.key.partner_id, idempotency_key=idempotency_key)
        .select_related("batch")
        .first()
    )


def push_replay(*, earlier: PartnerBatch, flow_id: int, data: Any) -> PartnerBatch:
    """A retry: the first answer again when the flow and records are the same, else 409."""
    records = data.get("records") if isinstance(data, dict) else None
    return _replayed(earlier, body_hash(flow_id, records))


def push_accept(
    *, caller: Caller, flow: Flow, records: list[dict[str, Any]], idempotency_key: str
) -> tuple[PartnerBatch, bool]:
    """Store a partner's records for a flow, once per idempotency key; returns (push, replayed).

    The same key with the same flow and records returns the first push; with anything else it is refused.
    Stored before the caller gets its answer; the run that processes it is enqueued on commit, and the
    tick enqueues it again if Redis was not there (hub.flows.scheduling).
    """
    digest = body_hash(flow.pk, records)
    partner = caller.key.partner
    stored = namespaced(records, flow_id_path(flow), partner.pk)
    with transaction.atomic():
        earlier = PartnerBatch.objects.filter(partner=partner, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return _replayed(earlier, digest), True
        try:
            with transaction.atomic():
                batch, created = inbound_accept(
                    flow=flow, records=stored, origin="api",
                    idempotency_key=f"api:{partner.pk}:{idempotency_key}",
                )  # fmt: skip
                if not created:
                    raise IntegrityError("stored by a concurrent call")
                pushed = PartnerBatch.objects.create(
                    batch=batch, partner=partner, api_key=caller.key, idempotency_key=idempotency_key,
                    body_hash=digest,
                )  # fmt: skip
        except IntegrityError:  # another call with this key won the race: answer as it was answered
            earlier = PartnerBatch.objects.filter(partner=partner, idempotency_key=idempotency_key).first()
            if earlier is None:  # its batch is stored, its push not (yet): a retry will get the answer
                raise Problem(
                    "A push with this Idempotency-Key is being stored by another call: retry in a moment.",
                    status_code=409,
                    kind="idempotency-key-in-use",
                ) from None
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
        who = f"API key {caller.key.prefix} of {caller.key.partner.name}"
        replayed = dead_letter_replay(delivery=letter, by=who)
        caller.audit([replayed], "dead letter replayed", f"dead letter of flow {letter.flow.name} replayed")
        transaction.on_commit(lambda: enqueue("hub.flows.jobs.deliver_flow", letter.flow_id))
    return replayed
