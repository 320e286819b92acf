"""The sample ERP: basic auth, ``customers``/``orders``/``products`` under ``/api/v2/``, offset pagination.

Its ``modified`` timestamps are Berlin wall-clock time (``20.11.2026 10:00``), its amounts German decimals.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from functools import partial
from typing import Any

from demo.samples import validation as v
from demo.samples.protocol import ApiError, Request, Response
from demo.samples.seeds import erp as erp_seed
from demo.samples.store import Record, ResourceSpec
from demo.samples.system import Routes, SampleSystem
from demo.samples.timefmt import format_erp, parse_erp

MAX_LIMIT = 200
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="erp", charset="UTF-8"'}


def _customer_problem(record: Mapping[str, Any]) -> str | None:
    return v.first_problem(
        v.text_problem(record, "name", required=True), v.email_problem(record, "contact_email")
    )


def _order_problem(record: Mapping[str, Any]) -> str | None:
    return v.first_problem(
        v.text_problem(record, "customer_no", required=True),
        v.german_decimal_problem(record, "total"),
        v.choice_problem(record, "status", ("open", "shipped", "invoiced", "cancelled")),
    )


def _product_problem(record: Mapping[str, Any]) -> str | None:
    return v.first_problem(
        v.text_problem(record, "title", required=True),
        v.german_decimal_problem(record, "price"),
        v.choice_problem(record, "active", ("yes", "no")),
    )


_CUSTOMER_FIELDS = ("name", "contact_email", "tel", "street", "zip", "city", "country_code")
RESOURCES = (
    ResourceSpec(
        "customers",
        "customer_no",
        "K-",
        "modified",
        parse_erp,
        format_erp,
        _customer_problem,
        dict.fromkeys(_CUSTOMER_FIELDS),
    ),
    ResourceSpec(
        "orders",
        "order_no",
        "SO-",
        "modified",
        parse_erp,
        format_erp,
        _order_problem,
        {"customer_no": None, "order_date": None, "total": None, "currency": "EUR", "status": "open"},
    ),
    ResourceSpec(
        "products",
        "sku",
        "P-",
        "modified",
        parse_erp,
        format_erp,
        _product_problem,
        {"title": None, "price": None, "active": "yes"},
    ),
)


class ErpSystem(SampleSystem):
    name = "erp"
    resources = RESOURCES

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self._credentials = f"{secrets['erp_username']}:{secrets['erp_password']}".encode()
        super().__init__(secrets)

    def seed(self) -> dict[str, list[Record]]:
        return erp_seed.seed()

    def authenticate(self, request: Request) -> None:
        scheme, _, encoded = request.header("Authorization").partition(" ")
        if scheme.lower() != "basic" or not encoded.strip():
            raise ApiError(401, "basic authentication required", _CHALLENGE)
        try:
            presented = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(401, "malformed basic credentials", _CHALLENGE) from None
        if not hmac.compare_digest(presented, self._credentials):
            raise ApiError(401, "invalid username or password", _CHALLENGE)

    def routes(self) -> Routes:
        return {
            f"/api/v2/{spec.name}": {
                "GET": partial(self._list, spec.name),
                "POST": partial(self.upsert_one, resource=spec.name),
            }
            for spec in RESOURCES
        }

    def _list(self, resource: str, request: Request) -> Response:
        since = request.query_datetime("modified_since")
        offset = request.query_int("offset", default=0, minimum=0, maximum=1_000_000)
        limit = request.query_int("limit", default=50, minimum=1, maximum=MAX_LIMIT)
        records = self.store.select(resource, since)
        body = {
            "items": records[offset : offset + limit],
            "offset": offset,
            "limit": limit,
            "total": len(records),
        }
        return Response(200, body)
