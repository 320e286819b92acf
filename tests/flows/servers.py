"""A source and a target HTTP server for the engine's tests: real sockets on 127.0.0.1, faults on demand.

Both speak JSON over HTTP/1.1 with keep-alive (the connectors pool their connections) and want a bearer
token. A test starts one with ``with SourceServer(token=...) as source:`` (ephemeral port), tells it what
to get wrong next, and asserts on what it saw. Every handler thread is a daemon bounded by a socket
timeout, every sleep or hold wakes up when the server closes, so a failing test never hangs the suite.

Source: ``GET /records?page=&per_page=&updated_since=`` over generated people (``add(n)``), sorted by
``updated_at`` then ``id``; faults scheduled by call: a burst of 5xx, a slow answer (read timeout), a
429 with Retry-After, a body that is not JSON.

Target: ``POST /items`` (one item) and ``POST /items/batch`` (a list). Items are stored by a business key
(the e-mail) and every write is counted per key; an ``Idempotency-Key`` seen before replays the first
answer without writing again (for a batch, the key of the whole request). Faults: a deterministic share
of calls answered 503 (before writing, or after writing: the answer is lost), refused connections while
``down()``, 429 with Retry-After, a permanent 400 for items matching a predicate, a delay per call, and a
hold after the n-th write that keeps the answer back until ``release()`` (to kill a worker mid-push).
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

MAX_BODY_BYTES = 5_000_000  # a batch of 500 items is about 150 KB
IDLE_CONNECTION_SECONDS = 15.0  # a keep-alive connection nobody uses is closed after this
LONGEST_WAIT_SECONDS = 30.0  # no sleep or hold lasts longer, whatever a test asks
MAX_PER_PAGE = 1000
FIRST_UPDATE = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)

FIRST_NAMES = ["anna", "ben", "clara", "david", "emma", "felix", "greta", "hans", "ines", "jonas"]
LAST_NAMES = ["schmidt", "müller", "weber", "fischer", "wagner", "becker", "hoffmann", "koch", "richter"]
PLACES = [
    ("Berlin", "10115"),
    ("Hamburg", "20095"),
    ("München", "80331"),
    ("Köln", "50667"),
    ("Wien", "1010"),
]
COUNTRIES = {"Wien": "at"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int
    body: Any = None  # a JSON value, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # up() binds the same port again at once

    def __init__(self, address: tuple[str, int], app: LoopbackServer) -> None:
        self.app = app
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a killed worker, a read timeout) is what these tests are about."""

    def cut_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.open_connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = IDLE_CONNECTION_SECONDS

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in two writes: without this, Nagle's algorithm and the client's delayed
        # acknowledgement cost 40 ms per answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            self._send(Reply(413, {"error": "body too large"}))
            return
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query=dict(parse_qsl(url.query)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length),
        )
        self._send(self.server.app.respond(request))

    do_POST = do_GET

    def _send(self, reply: Reply) -> None:
        payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LoopbackServer:
    """One HTTP server on 127.0.0.1 that can be taken down (connections refused) and brought back."""

    name = "server"

    def __init__(self, *, token: str) -> None:
        self.token = token
        self.port = 0  # chosen by the system on the first start, kept for up()
        self.lock = threading.Lock()
        self.closing = threading.Event()  # wakes every sleeping or held handler
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", self.port), self)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open connection: clients get 'connection refused' until start()."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.server_close()
        server.cut_connections()
        if thread is not None:
            thread.join(timeout=5)

    def close(self) -> None:
        self.closing.set()
        self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def pause(self, seconds: float) -> None:
        self.closing.wait(min(seconds, LONGEST_WAIT_SECONDS))

    def respond(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"error": "a valid bearer token is required"})
        try:
            return self.handle(request)
        except (ValueError, TypeError, KeyError) as error:
            return Reply(400, {"error": f"bad request: {error}"})

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError


def person(number: int, *, updated_at: datetime) -> dict[str, Any]:
    """One source record with a dozen fields, written the careless way a real system would hold them."""
    city, postcode = PLACES[number % len(PLACES)]
    return {
        "id": f"R-{number:05d}",
        "email": f" User{number:05d}@Example.com ",
        "first_name": FIRST_NAMES[number % len(FIRST_NAMES)],
        "last_name": f" {LAST_NAMES[number % len(LAST_NAMES)]} ",
        "company": f"Company {number % 97} GmbH",
        "phone": f"+49 30 {number:07d}",
        "address": {"street": f"Hauptstraße {number % 200 + 1}", "postcode": postcode, "city": city},
        "country": COUNTRIES.get(city, "de"),
        "status": "I" if number % 11 == 0 else "A",
        "updated_at": updated_at.isoformat(),
    }


@dataclass(frozen=True)
class _Fault:
    kind: str  # "status", "slow", "rate_limited", "malformed"
    value: float = 0


class SourceServer(LoopbackServer):
    name = "source"

    def __init__(self, *, token: str) -> None:
        super().__init__(token=token)
        self.records: list[dict[str, Any]] = []
        self.calls = 0
        self.statuses: Counter[int] = Counter()
        self.requests: list[dict[str, str]] = []  # the query of each call, to see which pages were asked
        self._planned: dict[int, _Fault] = {}  # by call number, from 1

    def add(self, count: int) -> list[dict[str, Any]]:
        """Append ``count`` people; each later one was updated a minute after the one before."""
        with self.lock:
            start = len(self.records) + 1
            fresh = [
                person(n, updated_at=FIRST_UPDATE + timedelta(minutes=n)) for n in range(start, start + count)
            ]
            self.records.extend(fresh)
        return fresh

    def fail_calls(self, count: int, *, status: int = 503, after: int = 0) -> None:
        """The ``count`` calls following the next ``after`` calls answer ``status``."""
        self._plan(_Fault("status", status), count, after)

    def slow_call(self, seconds: float, *, after: int = 0) -> None:
        self._plan(_Fault("slow", seconds), 1, after)

    def rate_limit_call(self, retry_after: int, *, after: int = 0) -> None:
        self._plan(_Fault("rate_limited", retry_after), 1, after)

    def malformed_call(self, *, after: int = 0) -> None:
        self._plan(_Fault("malformed"), 1, after)

    def clear_faults(self) -> None:
        with self.lock:
            self._planned.clear()

    def _plan(self, fault: _Fault, count: int, after: int) -> None:
        with self.lock:
            first = self.calls + after + 1
            self._planned.update({first + i: fault for i in range(count)})

    def handle(self, request: Request) -> Reply:
        if (request.method, request.path) != ("GET", "/records"):
            return Reply(404, {"error": "no such resource"})
        with self.lock:
            self.calls += 1
            self.requests.append(request.query)
            fault = self._planned.pop(self.calls, None)
        reply = self._faulty(fault) if fault is not None else None
        reply = reply or self._page(request.query)
        with self.lock:
            self.statuses[reply.status] += 1
        return reply

    def _faulty(self, fault: _Fault) -> Reply | None:
        if fault.kind == "status":
            return Reply(int(fault.value), {"error": "the source is having a bad moment"})
        if fault.kind == "rate_limited":
            return Reply(429, {"error": "slow down"}, {"Retry-After": str(int(fault.value))})
        if fault.kind == "malformed":
            return Reply(200, b'{"data": [{"id": "R-0')
        self.pause(fault.value)  # "slow": then answer normally, to a client that may have given up
        return None

    def _page(self, query: dict[str, str]) -> Reply:
        page = max(int(query.get("page", "1")), 1)
        per_page = min(max(int(query.get("per_page", "100")), 1), MAX_PER_PAGE)
        since = query.get("updated_since")
        with self.lock:
            found = list(self.records)
        if since:
            threshold = datetime.fromisoformat(since)
            found = [r for r in found if datetime.fromisoformat(r["updated_at"]) >= threshold]
        found.sort(key=lambda r: (r["updated_at"], r["id"]))
        chunk = found[(page - 1) * per_page : page * per_page]
        return Reply(200, {"data": chunk, "page": page, "per_page": per_page, "total": len(found)})


class TargetServer(LoopbackServer):
    name = "target"

    def __init__(self, *, token: str, key_field: str = "email") -> None:
        super().__init__(token=token)
        self.key_field = key_field
        self.calls = 0
        self.statuses: Counter[int] = Counter()
        self.replays = 0
        self._items: dict[str, dict[str, Any]] = {}
        self._ids: dict[str, str] = {}
        self._writes: Counter[str] = Counter()
        self._history: list[tuple[str, dict[str, Any]]] = []  # every write, in the order it was made
        self._answers: dict[str, Reply] = {}
        self._fail_share = 0.0
        self._fail_after_write = False
        self._most_failures_per_item = 2
        self._failures: Counter[str] = Counter()  # 503s answered per business key
        self._rng = random.Random(0)
        self._rate_limited_calls = 0
        self._retry_after = 1
        self._reject: Callable[[dict[str, Any]], bool] | None = None
        self._delay = 0.0
        self._hold_at: int | None = None
        self.held = threading.Event()  # set once a call is being held back
        self._released = threading.Event()

    # What the tests assert on.
    def writes_per_key(self) -> dict[str, int]:
        with self.lock:
            return dict(self._writes)

    def items(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {key: dict(item) for key, item in self._items.items()}

    def history(self, key: str | None = None) -> list[dict[str, Any]]:
        """The items written (for one business key), oldest first."""
        with self.lock:
            return [dict(item) for k, item in self._history if key is None or k == key]

    def total_writes(self) -> int:
        with self.lock:
            return sum(self._writes.values())

    # Faults.
    def fail_share(
        self, share: float, *, seed: int = 1, after_write: bool = False, most_per_item: int = 2
    ) -> None:
        """Answer 503 to a share of calls, drawn from a seeded generator so that a run repeats closely.

        ``after_write``: the items are stored first and only the answer is lost, as when a proxy times
        out; a client that retries with the same idempotency key must not cause a second write.
        ``most_per_item``: a call is spared when one of its items already failed that often, which keeps
        the backoff (and so the test) short without changing the share of failed calls much.
        """
        with self.lock:
            self._fail_share, self._fail_after_write = share, after_write
            self._most_failures_per_item = most_per_item
            self._rng = random.Random(seed)
            self._failures.clear()

    def rate_limit_calls(self, count: int, *, retry_after: int = 1) -> None:
        with self.lock:
            self._rate_limited_calls, self._retry_after = count, retry_after

    def reject_when(self, predicate: Callable[[dict[str, Any]], bool] | None) -> None:
        """Refuse matching items for good: 400 for one item, an ``error`` entry in a batch's answer."""
        with self.lock:
            self._reject = predicate

    def slow(self, seconds: float) -> None:
        with self.lock:
            self._delay = seconds

    def hold_after_writes(self, count: int) -> None:
        """Once ``count`` items are written, keep that call's answer back until ``release()``."""
        with self.lock:
            self._hold_at = count
            self.held.clear()
            self._released.clear()

    def release(self) -> None:
        self._released.set()

    def down(self) -> None:
        self.stop()

    def up(self) -> None:
        self.start()

    def close(self) -> None:
        self._released.set()
        super().close()

    # Serving.
    def handle(self, request: Request) -> Reply:
        if (request.method, request.path) == ("GET", "/health"):  # what a connection test asks for
            return Reply(200, {"ok": True})
        if request.method != "POST" or request.path not in ("/items", "/items/batch"):
            return Reply(404, {"error": "no such resource"})
        body = request.json()
        with self.lock:
            self.calls += 1
            limited = self._rate_limited_calls > 0
            self._rate_limited_calls -= int(limited)
            failing = self._draw_failure(body if isinstance(body, list) else [body])
        if limited:
            retry_after = {"Retry-After": str(self._retry_after)}
            return self._count(Reply(429, {"error": "too many requests"}, retry_after))
        if failing and not self._fail_after_write:
            return self._count(Reply(503, {"error": "try again later"}))
        reply = self._answer(request.path, request.headers.get("idempotency-key", ""), body)
        self.pause(self._delay)
        self._maybe_hold()
        return self._count(Reply(503, {"error": "try again later"}) if failing else reply)

    def _draw_failure(self, items: list[Any]) -> bool:
        """One draw per call (the lock is held), so the sequence of draws does not depend on the items."""
        if not self._fail_share or self._rng.random() >= self._fail_share:
            return False
        keys = [str(item.get(self.key_field)) for item in items if isinstance(item, dict)]
        if any(self._failures[key] >= self._most_failures_per_item for key in keys):
            return False
        self._failures.update(keys)
        return True

    def _count(self, reply: Reply) -> Reply:
        with self.lock:
            self.statuses[reply.status] += 1
        return reply

    def _answer(self, path: str, key: str, body: Any) -> Reply:
        with self.lock:
            if key and key in self._answers:
                self.replays += 1
                return self._answers[key]
            if path == "/items/batch":
                if not isinstance(body, list):
                    raise TypeError("a batch is a list of items")
                reply = Reply(200, [self._write_or_refuse(item) for item in body])
            else:
                result = self._write_or_refuse(body)
                reply = Reply(400 if "error" in result else 201, result)
            if key:
                self._answers[key] = reply
            return reply

    def _write_or_refuse(self, item: Any) -> dict[str, Any]:
        """Store one item by its business key (the lock is held); its id stays the same on later writes."""
        if not isinstance(item, dict) or not item.get(self.key_field):
            return {"error": f"an item needs '{self.key_field}'"}
        if self._reject is not None and self._reject(item):
            return {"error": f"{item[self.key_field]} is not accepted here"}
        key = str(item[self.key_field])
        self._ids.setdefault(key, f"T-{len(self._ids) + 1:06d}")
        self._items[key] = item
        self._writes[key] += 1
        self._history.append((key, item))
        return {"id": self._ids[key]}

    def _maybe_hold(self) -> None:
        with self.lock:
            due = self._hold_at is not None and sum(self._writes.values()) >= self._hold_at
            if due:
                self._hold_at = None
        if due:
            self.held.set()
            self._released.wait(LONGEST_WAIT_SECONDS)
