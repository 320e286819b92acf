"""What every sample system shares: routing, the control endpoints, fault injection and idempotent writes.

Request order: ``/_control/*`` (loopback only, no auth, never faulted) -> outage -> authentication -> route.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from demo.samples.protocol import ApiError, Request, Response
from demo.samples.store import Record, ResourceSpec, Store, WriteResult

Handler = Callable[[Request], Response]
Routes = dict[str, dict[str, Handler]]

_OUTAGE_MODES = ("up", "down", "slow")


@dataclass(frozen=True)
class OutageSettings:
    mode: str = "up"
    status: int = 503
    every: int = 1  # 1: every request is hit; 2: the 1st, 3rd, 5th ... after the switch
    delay: float = 2.0


class Outage:
    """Decides, request by request, whether the simulated fault hits it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.set(OutageSettings())

    def set(self, settings: OutageSettings) -> None:
        with self._lock:
            self.settings = settings
            self._seen = 0

    def next_hit(self) -> OutageSettings | None:
        with self._lock:
            if self.settings.mode == "up":
                return None
            self._seen += 1
            return self.settings if (self._seen - 1) % self.settings.every == 0 else None


class SampleSystem:
    """One fake business system. Subclasses declare resources, seed data, authentication and API routes."""

    name: ClassVar[str]
    resources: ClassVar[tuple[ResourceSpec, ...]]

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self.store = Store(self.resources, self.seed)
        self.outage = Outage()
        self._routes: Routes = {"/api/status": {"GET": self._status}, **self.routes()}

    # --- to be provided by each system -------------------------------------------------------------
    def seed(self) -> dict[str, list[Record]]:
        raise NotImplementedError

    def authenticate(self, request: Request) -> None:
        """Return quietly or raise ``ApiError(401, ...)``; never put the presented credential in it."""
        raise NotImplementedError

    def routes(self) -> Routes:
        raise NotImplementedError

    # --- shared behaviour --------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_control/"):
            return self._control(request)
        self._apply_outage()
        self.authenticate(request)
        return _dispatch(self._routes, request)

    def write(self, request: Request, compute: Callable[[], Response]) -> Response:
        """Honour ``Idempotency-Key``: the first response for a key is replayed, nothing is written again."""
        key = request.header("Idempotency-Key")
        scoped = f"{request.method} {request.path} {key}" if key else None
        response, replayed = self.store.once(scoped, compute)
        if replayed:
            return Response(
                response.status, response.body, {**response.headers, "Idempotent-Replayed": "true"}
            )
        return response

    def upsert_one(self, request: Request, resource: str) -> Response:
        item = request.json_object()
        return self.write(request, lambda: _created_or_updated(self.store.upsert(resource, item)))

    def _status(self, request: Request) -> Response:
        counts = {name: self.store.count(name) for name in self.store.specs}
        return Response(200, {"system": self.name, **counts})

    def _apply_outage(self) -> None:
        hit = self.outage.next_hit()
        if hit is None:
            return
        if hit.mode == "slow":
            time.sleep(hit.delay)
            return
        headers = {"Retry-After": "1"} if hit.status in (429, 503) else {}
        raise ApiError(hit.status, f"{self.name} is unavailable (simulated outage)", headers)

    # --- /_control ---------------------------------------------------------------------------------
    def _control(self, request: Request) -> Response:
        if not _is_loopback(request.client_host):
            raise ApiError(403, "control endpoints answer on loopback only")
        routes: Routes = {
            "/_control/outage": {"POST": self._control_outage},
            "/_control/reset": {"POST": self._control_reset},
            "/_control/state": {"GET": self._control_state},
        }
        return _dispatch(routes, request)

    def _control_outage(self, request: Request) -> Response:
        settings = _outage_settings(request.json_object())
        self.outage.set(settings)
        return Response(200, asdict(settings))

    def _control_reset(self, request: Request) -> Response:
        # A reset is a clean slate for the next test: seed data, no write log, no replies, no outage.
        self.store.reset()
        self.outage.set(OutageSettings())
        return Response(200, {"reset": True, **{name: self.store.count(name) for name in self.store.specs}})

    def _control_state(self, request: Request) -> Response:
        body = {"system": self.name, **self.store.snapshot(), "outage": asdict(self.outage.settings)}
        return Response(200, body)


def _dispatch(routes: Routes, request: Request) -> Response:
    path = request.path.rstrip("/") or "/"
    methods = routes.get(path)
    if methods is None:
        raise ApiError(404, f"no such endpoint: {path}")
    handler = methods.get(request.method)
    if handler is None:
        raise ApiError(
            405, f"{request.method} is not allowed on {path}", {"Allow": ", ".join(sorted(methods))}
        )
    return handler(request)


def _created_or_updated(result: WriteResult) -> Response:
    return Response(201 if result.action == "created" else 200, result.record)


def _outage_settings(body: Mapping[str, Any]) -> OutageSettings:
    mode = body.get("mode")
    if mode not in _OUTAGE_MODES:
        raise ApiError(400, f"mode must be one of {', '.join(_OUTAGE_MODES)}")
    status = _bounded_number(body, "status", 503, 400, 599, integer=True)
    every = _bounded_number(body, "every", 1, 1, 100, integer=True)
    delay = _bounded_number(body, "delay", 2.0, 0, 30, integer=False)
    return OutageSettings(mode=str(mode), status=int(status), every=int(every), delay=delay)


def _bounded_number(
    body: Mapping[str, Any], name: str, default: float, low: float, high: float, *, integer: bool
) -> float:
    value = body.get(name, default)
    allowed = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, allowed) or not low <= value <= high:
        kind = "an integer" if integer else "a number"
        raise ApiError(400, f"{name} must be {kind} between {low} and {high}")
    return float(value)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
