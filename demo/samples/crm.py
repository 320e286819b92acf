"""The sample CRM: bearer token auth, one resource ``contacts``, page-number pagination."""

from __future__ import annotations

import hmac
import math
from collections.abc import Mapping
from typing import Any

from demo.samples import validation as v
from demo.samples.protocol import ApiError, Request, Response
from demo.samples.seeds import crm as crm_seed
from demo.samples.store import Record, ResourceSpec
from demo.samples.system import Routes, SampleSystem
from demo.samples.timefmt import format_utc_z, parse_iso

MAX_PER_PAGE = 100
MAX_BATCH = 100


def _contact_problem(record: Mapping[str, Any]) -> str | None:
    return v.first_problem(
        v.text_problem(record, "first_name"),
        v.text_problem(record, "last_name"),
        v.email_problem(record, "email"),
        v.choice_problem(record, "status", ("A", "I")),
        v.object_problem(record, "address"),
    )


_CONTACT_DEFAULTS = dict.fromkeys(("first_name", "last_name", "email", "phone", "company", "address")) | {
    "status": "A"
}
CONTACTS = ResourceSpec(
    "contacts", "id", "C-", "updated_at", parse_iso, format_utc_z, _contact_problem, _CONTACT_DEFAULTS
)


class CrmSystem(SampleSystem):
    name = "crm"
    resources = (CONTACTS,)

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self._token = secrets["crm_token"].encode()
        super().__init__(secrets)

    def seed(self) -> dict[str, list[Record]]:
        return crm_seed.seed()

    def authenticate(self, request: Request) -> None:
        scheme, _, token = request.header("Authorization").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "missing bearer token", {"WWW-Authenticate": 'Bearer realm="crm"'})
        if not hmac.compare_digest(token.strip().encode(), self._token):
            challenge = 'Bearer realm="crm", error="invalid_token"'
            raise ApiError(401, "invalid bearer token", {"WWW-Authenticate": challenge})

    def routes(self) -> Routes:
        return {
            "/api/contacts": {
                "GET": self._list,
                "POST": lambda request: self.upsert_one(request, "contacts"),
            },
            "/api/contacts/batch": {"POST": self._batch},
        }

    def _list(self, request: Request) -> Response:
        since = request.query_datetime("updated_since")
        page = request.query_int("page", default=1, minimum=1, maximum=1_000_000)
        per_page = request.query_int("per_page", default=50, minimum=1, maximum=MAX_PER_PAGE)
        records = self.store.select("contacts", since)
        start = (page - 1) * per_page
        body = {
            "data": records[start : start + per_page],
            "page": page,
            "per_page": per_page,
            "total_pages": math.ceil(len(records) / per_page),
        }
        return Response(200, body)

    def _batch(self, request: Request) -> Response:
        items = request.json()
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ApiError(400, "expected a JSON array of contact objects")
        if len(items) > MAX_BATCH:
            raise ApiError(400, f"a batch holds at most {MAX_BATCH} contacts, got {len(items)}")
        return self.write(request, lambda: Response(200, [self._batch_item(item) for item in items]))

    def _batch_item(self, item: Mapping[str, Any]) -> dict[str, Any]:
        # One bad item does not sink the batch: it is reported in its slot, as many real CRMs do.
        try:
            result = self.store.upsert("contacts", item)
        except ApiError as error:
            return {"id": item.get("id"), "status": "error", "error": error.message}
        return {"id": result.key, "status": result.action}
