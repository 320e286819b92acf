"""The HTTP JSON API connector kind."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from functools import cached_property

import requests

from connectors.base import (
    AuthenticationError,
    ConfigurationError,
    Connector,
    ConnectorError,
    OutgoingRecord,
    Page,
    ProbeResult,
    PushOutcome,
    UnreachableError,
)

from .client import HttpClient
from .errors import redact, where
from .options import build_options
from .pagination import Answer, PageRequest, style_for, walk
from .params import PARAMS
from .push import push_batch, push_one_by_one
from .records import records_at


class HttpJsonConnector(Connector):
    """A system that speaks JSON over HTTP(S).

    ``fetch(since=...)``: ``since`` is sent as the updated-since parameter (when one is configured), so
    the system returns only records changed since then; working out the next ``since`` from the records
    (e.g. their greatest updated value) is the engine's business. Each ``Page.cursor`` is the position of
    the page after it (page number, offset, the system's cursor or the next link), None on the last page,
    where ``has_more`` is False.

    The configuration is checked on first use: ``probe``, ``fetch`` and ``push`` raise
    ``ConfigurationError`` for a malformed one.
    """

    kind = "http_json"
    label = "HTTP JSON API"
    description = (
        "Any system with a JSON web API: reads lists of records, sends records one by one or in batches."
    )
    params = PARAMS

    @cached_property
    def client(self) -> HttpClient:
        return HttpClient(build_options(self.params, self.config), self.config, self.params)

    def probe(self) -> ProbeResult:
        client = self.client
        started = time.monotonic()
        try:
            response = client.send("GET", client.url(client.options.probe_path))
        except ConnectorError as error:
            return _failed_probe(error, _elapsed_ms(started), client.secrets)
        return _probe_result(response, _elapsed_ms(started), client.options.auth_style)

    def fetch(self, *, since: str | None = None, resource: str | None = None) -> Iterator[Page]:
        client = self.client
        options = client.options
        path = resource or options.read_path
        if not path:
            raise ConfigurationError("Set “Path to read records from” before reading from this system.")
        params = {options.since_param: since} if since and options.since_param else {}
        first = PageRequest(url=client.url(path), params=params)
        return walk(style_for(options, client.same_origin), first, self._get_page)

    def push(self, batch: Sequence[OutgoingRecord], *, resource: str | None = None) -> list[PushOutcome]:
        path = resource or self.client.options.push_path
        if not path:
            raise ConfigurationError("Set “Path to send records to” before sending records to this system.")
        if not batch:
            return []
        if self.client.options.push_mode == "batch":
            return push_batch(self.client, batch, path)
        return push_one_by_one(self.client, batch, path)

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()

    def _get_page(self, request: PageRequest) -> Answer:
        response = self.client.send_ok("GET", request.url, params=request.params)
        place = where("GET", request.url)
        try:
            body = response.json()
        except ValueError:
            kind = response.headers.get("Content-Type") or "no content type"
            raise ConnectorError(f"{place}: the answer is not JSON ({kind}).", permanent=True) from None
        return Answer(response, body, records_at(body, self.client.options.records_path, place))


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _failed_probe(error: ConnectorError, elapsed_ms: float, secrets: list[str]) -> ProbeResult:
    message = redact(error.message, secrets)
    if isinstance(error, UnreachableError):
        return ProbeResult(reachable=False, authenticated=False, elapsed_ms=elapsed_ms, message=message)
    if isinstance(error, AuthenticationError):  # the OAuth2 token request was refused
        return ProbeResult(True, False, elapsed_ms, message, status_code=error.status_code)
    raise error


def _probe_result(response: requests.Response, elapsed_ms: float, auth_style: str) -> ProbeResult:
    """``authenticated`` is True only when a 2xx answer proves the credentials (if any) were accepted."""
    status = response.status_code
    took = f"in {elapsed_ms:.0f} ms"
    if 200 <= status < 300:
        accepted = "no credentials needed" if auth_style == "none" else "credentials accepted"
        message = f"Connected {took}: the system answered HTTP {status}, {accepted}."
        return ProbeResult(True, True, elapsed_ms, message, status_code=status)
    return ProbeResult(True, False, elapsed_ms, _refusal(status, took), status_code=status)


def _refusal(status: int, took: str) -> str:
    if status in (401, 403):
        return f"The system answered {took} but refused the credentials (HTTP {status})."
    if 300 <= status < 400:
        return f"The system answered {took} with a redirect (HTTP {status}): check the base address."
    if status == 404:
        return (
            f"The system answered {took} but has no such page (HTTP 404): check the “Test connection” path."
        )
    return f"The system answered {took} with an error (HTTP {status}); the credentials could not be checked."
