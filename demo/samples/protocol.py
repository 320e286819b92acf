"""The small request/response vocabulary shared by the sample systems (no HTTP server code here)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from demo.samples.timefmt import parse_iso


class ApiError(Exception):
    """Ends a request early with a JSON ``{"error": message}`` body."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    def to_response(self) -> Response:
        return Response(self.status, {"error": self.message}, self.headers)


@dataclass(frozen=True)
class Response:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    # Header names are lower-cased so lookups do not depend on how a client spells them.
    headers: Mapping[str, str]
    body: bytes
    client_host: str

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def json(self) -> Any:
        if not self.body.strip():
            raise ApiError(400, "request body is empty; expected JSON")
        try:
            # Decoded here, not by json.loads: that would also accept UTF-16/32, which JSON over HTTP is not.
            return json.loads(self.body.decode("utf-8"))
        except UnicodeDecodeError:
            raise ApiError(400, "malformed JSON body: not valid UTF-8") from None
        except json.JSONDecodeError as error:
            raise ApiError(
                400, f"malformed JSON body: {error.msg} at line {error.lineno} column {error.colno}"
            ) from None

    def json_object(self) -> dict[str, Any]:
        body = self.json()
        if not isinstance(body, dict):
            raise ApiError(400, f"expected a JSON object, got {_json_type(body)}")
        return body

    def query_int(self, name: str, *, default: int, minimum: int, maximum: int) -> int:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"{name} must be an integer, got {raw!r}") from None
        if not minimum <= value <= maximum:
            raise ApiError(400, f"{name} must be between {minimum} and {maximum}, got {value}")
        return value

    def query_datetime(self, name: str) -> datetime | None:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return None
        try:
            return parse_iso(raw)
        except ValueError:
            # A space usually means the client sent "+01:00" without URL-encoding the plus sign.
            hint = " (was a '+' sent without URL-encoding?)" if " " in raw else ""
            raise ApiError(400, f"{name} must be an ISO-8601 timestamp, got {raw!r}{hint}") from None


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
