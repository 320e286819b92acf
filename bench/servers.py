"""The bench's source and target: stdlib HTTP servers on 127.0.0.1, in threads of the driving process.

They are built to stay out of the measurement: the source renders every page to bytes before a scenario
starts, the target parses a batch, counts it by key and answers with a short list. Both keep HTTP/1.1
connections alive (the connectors pool theirs) and add up the time spent handling requests
(``busy_seconds``), so that the report can show they were not the bottleneck.

Source: ``GET /records?page=N&per_page=P`` with a bearer token answers ``{"data": [...]}``; a page past
the end is empty. Target: ``POST /items/batch`` with a bearer token and a JSON list answers a list of
``{"id": ...}``, one per item; an ``Idempotency-Key`` seen before replays the first answer without
counting anything again. Both answer ``GET /stats`` with their counters.

An outage of the target (the outbox move, ``bench.outbox``): ``POST /outage`` with ``{"down": true}`` makes
it answer 503 to every push (storing nothing) and to ``GET /health``, its connection test, until
``{"down": false}``; ``/stats`` and ``/outage`` keep answering, they are the bench's, not the hub's.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

MAX_BODY_BYTES = 10_000_000  # a batch of 500 items is about 150 KB
IDLE_CONNECTION_SECONDS = 30.0  # a keep-alive connection nobody uses is closed after this
FIRST_UPDATE = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
EMPTY_PAGE = b'{"data": []}'
UNAVAILABLE = b'{"error": "the target is down for the outbox move"}'

FIRST_NAMES = ["anna", "ben", "clara", "david", "emma", "felix", "greta", "hans", "ines", "jonas"]
LAST_NAMES = ["schmidt", "müller", "weber", "fischer", "wagner", "becker", "hoffmann", "koch", "richter"]
PLACES = [
    ("Berlin", "10115", "de"),
    ("Hamburg", "20095", "de"),
    ("München", "80331", "de"),
    ("Wien", "1010", "at"),
    ("Zürich", "8001", "ch"),
]

Answer = tuple[int, bytes]


def person(number: int) -> dict[str, Any]:
    """One source record, written the careless way a real system holds it (spaces, capitals)."""
    city, postcode, country = PLACES[number % len(PLACES)]
    return {
        "id": f"P-{number:06d}",
        "email": f"Person.{number:06d}@Example.COM",
        "first_name": f" {FIRST_NAMES[number % len(FIRST_NAMES)]} ",
        "last_name": LAST_NAMES[number % len(LAST_NAMES)],
        "company": f" Company {number % 997} GmbH ",
        "phone": f"+49 30 {number:07d}",
        "address": {
            "street": f"Hauptstraße {number % 200 + 1} ",
            "postcode": postcode,
            "city": city,
            "country": country,
        },
        "updated_at": (FIRST_UPDATE + timedelta(seconds=number)).isoformat(),
    }


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a client that left a connection open must not hold up the shutdown

    def __init__(self, app: LoopbackServer) -> None:
        self.app = app
        super().__init__(("127.0.0.1", 0), _Handler)


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
        started = time.perf_counter()
        app = self.server.app
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            self._send((413, b'{"error": "body too large"}'))
            return
        body = self.rfile.read(length)
        if self.headers.get("Authorization") != f"Bearer {app.token}":
            self._send((401, b'{"error": "a valid bearer token is required"}'))
            return
        try:
            answer = app.respond(self.command, self.path, self.headers.get("Idempotency-Key"), body)
        except (ValueError, TypeError, KeyError) as error:
            answer = (400, _json({"error": f"bad request: {error}"}))
        self._send(answer)
        app.add_busy(time.perf_counter() - started)

    do_POST = do_GET

    def _send(self, answer: Answer) -> None:
        status, payload = answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LoopbackServer:
    """One HTTP server on an ephemeral port of 127.0.0.1, serving from a daemon thread."""

    def __init__(self, *, token: str) -> None:
        self.token = token
        self.lock = threading.Lock()
        self.busy_seconds = 0.0
        self.requests = 0
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add_busy(self, seconds: float) -> None:
        with self.lock:
            self.busy_seconds += seconds
            self.requests += 1

    def respond(self, method: str, path: str, idempotency_key: str | None, body: bytes) -> Answer:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class SourceServer(LoopbackServer):
    def __init__(self, *, token: str) -> None:
        super().__init__(token=token)
        self._pages: list[bytes] = []
        self._page_size = 0

    def serve(self, *, count: int, page_size: int) -> None:
        """From now on serve people 1 to ``count`` in pages of ``page_size``, all rendered here, once."""
        pages = [
            _json({"data": [person(n) for n in range(first, min(first + page_size, count + 1))]})
            for first in range(1, count + 1, page_size)
        ]
        with self.lock:
            self._pages, self._page_size = pages, page_size
            self.busy_seconds, self.requests = 0.0, 0

    def respond(self, method: str, path: str, idempotency_key: str | None, body: bytes) -> Answer:
        url = urlsplit(path)
        if (method, url.path) == ("GET", "/stats"):
            return 200, _json({"busy_seconds": self.busy_seconds, "requests": self.requests})
        if (method, url.path) != ("GET", "/records"):
            return 404, b'{"error": "no such resource"}'
        query = dict(parse_qsl(url.query))
        if int(query.get("per_page", "0")) != self._page_size:
            return 400, _json({"error": f"this source serves pages of {self._page_size} (per_page)"})
        page = int(query.get("page", "1"))
        return 200, self._pages[page - 1] if 1 <= page <= len(self._pages) else EMPTY_PAGE


class TargetServer(LoopbackServer):
    """Counts every item it stores by its key: ``records`` writes of ``distinct`` keys."""

    def __init__(self, *, token: str, key_field: str = "email") -> None:
        super().__init__(token=token)
        self.key_field = key_field
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.writes: Counter[str] = Counter()
            self.answers: dict[str, bytes] = {}  # by idempotency key
            self.batches = self.replays = self.rejected = self.refused = 0
            self.busy_seconds, self.requests = 0.0, 0
            self.down = False

    def stats(self) -> dict[str, Any]:
        with self.lock:
            records = sum(self.writes.values())
            return {
                "batches": self.batches,
                "records": records,
                "distinct": len(self.writes),
                "duplicates": records - len(self.writes),
                "replays": self.replays,
                "rejected": self.rejected,
                "refused": self.refused,
                "down": self.down,
                "busy_seconds": self.busy_seconds,
                "requests": self.requests,
            }

    def respond(self, method: str, path: str, idempotency_key: str | None, body: bytes) -> Answer:
        if (method, path) == ("GET", "/stats"):
            return 200, _json(self.stats())
        if (method, path) == ("POST", "/outage"):
            down = json.loads(body)["down"]
            with self.lock:
                self.down = bool(down)
            return 200, _json({"down": self.down})
        if (method, path) == ("GET", "/health"):
            return (503, UNAVAILABLE) if self.down else (200, b'{"ok": true}')
        if (method, path) != ("POST", "/items/batch"):
            return 404, b'{"error": "no such resource"}'
        with self.lock:
            if self.down:
                self.refused += 1
                return 503, UNAVAILABLE
            if idempotency_key and idempotency_key in self.answers:
                self.replays += 1
                return 200, self.answers[idempotency_key]
        items = json.loads(body)
        if not isinstance(items, list):
            return 400, b'{"error": "expected a JSON list of items"}'
        with self.lock:
            self.batches += 1
            payload = _json([self._store(item) for item in items])
            if idempotency_key:
                self.answers[idempotency_key] = payload
        return 200, payload

    def _store(self, item: Any) -> dict[str, str]:
        key = item.get(self.key_field) if isinstance(item, dict) else None
        if not isinstance(key, str) or not key:
            self.rejected += 1
            return {"error": f"the item has no {self.key_field}"}
        self.writes[key] += 1
        return {"id": f"T-{key}"}
