"""Turn what ``requests`` reports into the connector errors of ``connectors.base``, in plain words.

Messages name the host, the port, the method and the path, never a query string, a header or a body we
sent: whatever could carry a credential stays out. ``redact`` is the last line of defence for the few
words we quote from a system's own answer.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError

from connectors.base import (
    AuthenticationError,
    ConnectorError,
    RateLimitedError,
    RemoteError,
    UnreachableError,
)

_MASK = "•••"
_DETAIL_CHARS = 200
_TRANSIENT_4XX = {408, 409}


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, _MASK)
    return text


def quote(text: str, secrets: Iterable[str]) -> str:
    """A short, one-line quote of a system's words, with our secrets masked before it is cut."""
    masked = redact(text, secrets)[: _DETAIL_CHARS * 50]
    return " ".join(masked.split())[:_DETAIL_CHARS]


def host_of(url: str) -> str:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.hostname}:{parts.port or default}"


def where(method: str, url: str) -> str:
    """``GET /api/customers`` on host:port, without the query string."""
    return f"{method} {urlsplit(url).path or '/'} on {host_of(url)}"


def seconds(value: float) -> str:
    return f"{value:g} s"


def network_error(exc: requests.RequestException, url: str, timeout: tuple[float, float]) -> ConnectorError:
    host = host_of(url)
    if isinstance(exc, requests.ConnectTimeout):
        return UnreachableError(f"No connection to {host} within {seconds(timeout[0])}.")
    if isinstance(exc, requests.Timeout):
        return UnreachableError(f"No answer from {host} within {seconds(timeout[1])}.")
    if isinstance(exc, requests.exceptions.SSLError):
        return UnreachableError(_tls_message(exc, host))
    causes = list(_causes(exc))
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return UnreachableError(f"Connection refused at {host} — is the system running?")
    if any(isinstance(c, NameResolutionError | socket.gaierror) for c in causes):
        name = urlsplit(url).hostname
        return UnreachableError(f"The name {name} could not be found (DNS) — check the address.")
    return UnreachableError(f"Could not talk to {host}: the connection failed ({type(exc).__name__}).")


def _tls_message(exc: BaseException, host: str) -> str:
    if any(isinstance(c, ssl.SSLCertVerificationError) for c in _causes(exc)):
        return f"TLS error with {host}: its certificate could not be verified."
    return f"TLS error with {host}: the secure connection could not be set up (is it really https?)."


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what caused it, and the exceptions it carries, at most 20 deep."""
    pending: list[Any] = [exc]
    seen: set[int] = set()
    while pending and len(seen) < 20:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        pending.extend(current.args)


def response_error(response: requests.Response, secrets: Iterable[str]) -> ConnectorError:
    """The error for a non-2xx answer; the caller has already handled 2xx."""
    status = response.status_code
    place = where(response.request.method or "GET", response.url)
    if status in (401, 403):
        return AuthenticationError(
            f"{place}: the system refused the credentials (HTTP {status}).", status_code=status
        )
    if status == 429:
        return _rate_limited(response, place)
    if 300 <= status < 400:
        return RemoteError(
            f"{place}: the system sent us elsewhere (HTTP {status}); use that address in the "
            f"configuration instead.",
            permanent=True,
            status_code=status,
        )
    permanent = 400 <= status < 500 and status not in _TRANSIENT_4XX
    detail = answer_detail(response, secrets)
    return RemoteError(
        f"{place}: the system answered HTTP {status}{detail}.", permanent=permanent, status_code=status
    )


def answer_detail(response: requests.Response, secrets: Iterable[str]) -> str:
    """A short quote of a 4xx answer (``: ...``), which often says which field was wrong."""
    if not 400 <= response.status_code < 500:
        return ""
    text = quote(response.text, secrets)
    return f": {text}" if text else ""


def _rate_limited(response: requests.Response, place: str) -> RateLimitedError:
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    later = f"; it asks to wait {seconds(retry_after)}" if retry_after is not None else ""
    return RateLimitedError(f"{place}: too many requests (HTTP 429){later}.", retry_after=retry_after)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After holds either seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def describe(value: Any) -> str:
    """The kind of a JSON value in plain words, never the value itself."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    names = {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)
