"""The sample billing system: ``X-Api-Key`` auth, ``accounts``/``invoices`` under ``/v1/``, cursor paging."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from functools import partial
from typing import Any

from demo.samples import validation as v
from demo.samples.protocol import ApiError, Request, Response
from demo.samples.seeds import billing as billing_seed
from demo.samples.store import Record, ResourceSpec
from demo.samples.system import Routes, SampleSystem
from demo.samples.timefmt import format_iso_berlin, parse_iso

MAX_LIMIT = 100
_CURSOR_PREFIX = "offset:"


def _account_problem(record: Mapping[str, Any]) -> str | None:
    return v.first_problem(
        v.email_problem(record, "customer_email"),
        v.object_problem(record, "billing_address"),
        v.integer_problem(record, "balance_cents"),
        v.choice_problem(record, "plan", ("free", "basic", "pro", "enterprise")),
    )


def _invoice_problem(record: Mapping[str, Any]) -> str | None:
    return v.first_problem(
        v.text_problem(record, "account_id", required=True),
        v.integer_problem(record, "amount_cents"),
        v.choice_problem(record, "status", ("draft", "open", "paid", "overdue", "void")),
    )


RESOURCES = (
    ResourceSpec(
        "accounts",
        "account_id",
        "B-",
        "updated",
        parse_iso,
        format_iso_berlin,
        _account_problem,
        {
            "customer_email": None,
            "phone_number": None,
            "billing_address": None,
            "plan": "free",
            "balance_cents": 0,
        },
    ),
    ResourceSpec(
        "invoices",
        "invoice_id",
        "INV-",
        "updated",
        parse_iso,
        format_iso_berlin,
        _invoice_problem,
        {"account_id": None, "number": None, "amount_cents": None, "currency": "EUR", "status": "draft"},
    ),
)


def encode_cursor(offset: int) -> str:
    # Opaque to clients on purpose: they must pass it back, not compute it.
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        offset = int(text.removeprefix(_CURSOR_PREFIX)) if text.startswith(_CURSOR_PREFIX) else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        offset = -1
    if offset < 0:
        raise ApiError(400, "cursor is not valid; pass back a next_cursor exactly as received")
    return offset


class BillingSystem(SampleSystem):
    name = "billing"
    resources = RESOURCES

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self._api_key = secrets["billing_api_key"].encode()
        super().__init__(secrets)

    def seed(self) -> dict[str, list[Record]]:
        return billing_seed.seed()

    def authenticate(self, request: Request) -> None:
        presented = request.header("X-Api-Key").strip()
        if not presented:
            raise ApiError(401, "missing X-Api-Key header")
        if not hmac.compare_digest(presented.encode(), self._api_key):
            raise ApiError(401, "invalid API key")

    def routes(self) -> Routes:
        return {
            f"/v1/{spec.name}": {
                "GET": partial(self._list, spec.name),
                "POST": partial(self.upsert_one, resource=spec.name),
            }
            for spec in RESOURCES
        }

    def _list(self, resource: str, request: Request) -> Response:
        since = request.query_datetime("since")
        limit = request.query_int("limit", default=50, minimum=1, maximum=MAX_LIMIT)
        cursor = request.query.get("cursor")
        offset = decode_cursor(cursor) if cursor else 0
        records = self.store.select(resource, since)
        end = offset + limit
        next_cursor = encode_cursor(end) if end < len(records) else None
        return Response(200, {"results": records[offset:end], "next_cursor": next_cursor})
