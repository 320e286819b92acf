"""Deliver records one by one or as one batch, each with its idempotency key.

Batch mode sends a JSON list of the payloads in one request. Its idempotency key is the first record's
key, a colon and the first 32 hex digits of the SHA-256 of all the keys joined by newlines: the same
records resent give the same key, any other set a different one. When the answer is a list as long as
the batch, item *n* belongs to record *n*: an item with an ``error`` marks that record failed, otherwise
its id (at the id path) is the record's external id.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from typing import Any

import requests

from connectors.base import (
    AuthenticationError,
    ConnectorError,
    OutgoingRecord,
    PushOutcome,
    RateLimitedError,
    RemoteError,
    UnreachableError,
)

from .client import HttpClient
from .errors import quote
from .records import dig_or_none

# After one of these, the next records would fail the same way: they are marked without being sent.
_STOPS_THE_BATCH = (UnreachableError, AuthenticationError, RateLimitedError)


def batch_key(keys: Sequence[str]) -> str:
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:32]
    return f"{keys[0]}:{digest}"


def push_one_by_one(client: HttpClient, batch: Sequence[OutgoingRecord], path: str) -> list[PushOutcome]:
    outcomes: list[PushOutcome] = []
    for record in batch:
        try:
            outcomes.append(_push_one(client, record, path))
        except ConnectorError as error:
            outcomes.append(PushOutcome(record.idempotency_key, ok=False, error=error))
            if isinstance(error, _STOPS_THE_BATCH):
                return outcomes + _all_failed(batch[len(outcomes) :], error)
    return outcomes


def _push_one(client: HttpClient, record: OutgoingRecord, path: str) -> PushOutcome:
    options = client.options
    response = client.send_ok(
        options.push_method,
        client.url(path, record.external_id),
        json=body_of(record, options.push_id_path),
        headers=_idempotency(client, record.idempotency_key),
    )
    external_id = _external_id(_json_or_none(response), options.push_id_path)
    return PushOutcome(record.idempotency_key, ok=True, external_id=external_id or record.external_id)


def push_batch(client: HttpClient, batch: Sequence[OutgoingRecord], path: str) -> list[PushOutcome]:
    options = client.options
    try:
        response = client.send_ok(
            options.push_method,
            client.url(path),
            json=[body_of(record, options.push_id_path) for record in batch],
            headers=_idempotency(client, batch_key([record.idempotency_key for record in batch])),
        )
    except ConnectorError as error:
        return _all_failed(batch, error)
    items = _json_or_none(response)
    if not isinstance(items, list) or len(items) != len(batch):
        return [PushOutcome(r.idempotency_key, ok=True, external_id=r.external_id) for r in batch]
    return [_item_outcome(client, record, item) for record, item in zip(batch, items, strict=True)]


def _item_outcome(client: HttpClient, record: OutgoingRecord, item: Any) -> PushOutcome:
    problem = item.get("error") if isinstance(item, dict) else None
    if problem:
        text = quote(str(problem), client.secrets)
        error = RemoteError(f"The system rejected this record: {text}", permanent=True)
        return PushOutcome(record.idempotency_key, ok=False, error=error)
    external_id = _external_id(item, client.options.push_id_path)
    return PushOutcome(record.idempotency_key, ok=True, external_id=external_id or record.external_id)


def _all_failed(batch: Sequence[OutgoingRecord], error: ConnectorError) -> list[PushOutcome]:
    return [PushOutcome(record.idempotency_key, ok=False, error=error) for record in batch]


def _idempotency(client: HttpClient, key: str) -> dict[str, str]:
    name = client.options.idempotency_header
    return {name: key} if name else {}


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def body_of(record: OutgoingRecord, id_path: str) -> dict[str, Any]:
    """The payload, carrying the record's id in the target when the hub knows it and the payload lacks it,
    so that the system updates its existing record instead of creating a second one."""
    if not record.external_id or not id_path:
        return record.payload
    parts = [part for part in id_path.split(".") if part]
    if not parts:
        return record.payload
    body = copy.deepcopy(record.payload)
    node: Any = body
    for part in parts[:-1]:
        if not isinstance(node, dict):
            return record.payload
        node = node.setdefault(part, {})
    if isinstance(node, dict):
        node.setdefault(parts[-1], record.external_id)
    return body


def _external_id(body: Any, path: str) -> str | None:
    value = dig_or_none(body, path) if path else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
