"""The partner API's speed (issue 5): ``measure()`` runs gunicorn on SQLite and a load generator on loopback.

``make bench`` (``bench/run.py``) runs it after the engine's figures and stores its dict under ``api`` in
var/bench.json; ``python -m bench.api`` runs it alone and prints the figures as JSON. The figures are
reported, never asserted.

What runs: a fresh SQLite file under var/bench-api/ (``manage.py migrate``, then a partner, an API key and
an active API push flow imported the way an admin would, through ``import_config``); a private Redis on a
free loopback port when ``redis-server`` is installed (so a push pays for waking a worker, as in
production; no worker runs, so nothing competes with the web tier); ``gunicorn`` with 2 sync workers,
DEBUG off, serving the hub plus one extra route, ``/bench/floor/``: a bare DRF view with no
authentication, permission or throttle that parses the JSON body and answers 202 with the record count.
The load generator is this process: ``requests`` sessions (keep-alive) in threads, bodies encoded before the
clock starts. Every child process has a time limit, every loop a bound.

Keys of the returned dict:

- ``setup``: ``gunicorn_workers`` (2), ``database`` ("sqlite"), ``batch_size`` (500), ``batches`` (pushes
  of 500 timed), ``client_threads`` (concurrent senders for the batches), ``single_pushes`` (timed
  one-record pushes, sent one after another by one sender after ``warmup`` untimed ones), ``redis``
  (true when a private Redis ran), ``cpus``.
- ``hub``: the real endpoint, ``POST /api/v1/flows/{id}/batches/`` with an API key and a new
  Idempotency-Key per push: ``batch_seconds`` (wall time for all batches), ``batch_records_per_second``
  (records accepted, i.e. answered 202, per second), ``single_p50_ms``, ``single_p99_ms``,
  ``single_mean_ms`` (per one-record push, client side), ``errors`` (answers other than 202).
- ``floor``: the same keys for ``/bench/floor/``, same bodies, same senders.
- ``ratios``: ``batch_records_per_second`` (hub / floor: the share of the floor's throughput the hub
  keeps), ``single_p50`` and ``single_p99`` (hub / floor latency: how many times slower).
- ``stored``: ``batches`` and ``records`` counted in the database afterwards (must equal what was accepted).
- ``targets``: per goal of the issue (``batch_records_per_second`` >= 2,000, ``single_p50_ms`` < 25,
  ``single_p99_ms`` < 100): ``value``, ``goal`` (in words), ``met``.
- ``problems``: what went wrong (errors, records not stored); empty on success.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench-api"
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
BATCH_SIZE = 500
BATCHES = 40
CLIENT_THREADS = 4
SINGLE_PUSHES = 400
WARMUP = 30
FLOW_NAME = "Partner orders"


# Served by gunicorn: the hub's URLs plus the floor. Built on first use (PEP 562), so that importing
# ``measure`` needs no Django.
def _floor_urlpatterns() -> list[Any]:
    from django.urls import include, path
    from rest_framework import parsers, status
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class Floor(APIView):
        authentication_classes: list[Any] = []
        permission_classes: list[Any] = []
        throttle_classes: list[Any] = []
        parser_classes = [parsers.JSONParser]

        def post(self, request: Request) -> Response:
            records = request.data.get("records", []) if isinstance(request.data, dict) else []
            return Response({"records": len(records)}, status=status.HTTP_202_ACCEPTED)

    return [path("bench/floor/", Floor.as_view()), path("", include("hub.urls"))]


def _wsgi_application() -> Any:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    settings.ROOT_URLCONF = "bench.api"  # this module: the hub's URLs and the floor
    return application


def __getattr__(name: str) -> Any:
    if name == "urlpatterns":
        return _floor_urlpatterns()
    if name == "application":
        return _wsgi_application()
    raise AttributeError(name)


# The hub's configuration for the bench: one API push flow, a partner and its key.
CONFIG = {
    "version": 1,
    "systems": [
        {"name": name, "kind": "http_json", "description": f"{name} (bench).", "owner_team": "Bench",
         "contact": "bench@example.com", "environment": "staging", "status": "active",
         "settings": {"base_url": "http://127.0.0.1:9", "auth_style": "bearer", "read_path": "/records",
                      "push_path": "/items", "push_mode": "batch"},
         "secrets": ["bearer_token"]}
        for name in ("Partner gateway", "Warehouse")
    ],
    "entities": [{"name": "Order", "description": "What someone bought.", "fields": [
        {"name": "number", "type": "text", "required": True, "natural_key": True},
        {"name": "customer_email", "type": "email"},
        {"name": "total", "type": "decimal", "required": True},
        {"name": "status", "type": "enum", "allowed_values": ["open", "shipped"]},
    ]}],
    "mappings": [
        {"system": "Partner gateway", "entity": "Order", "direction": "inbound", "rules": [
            {"source": "number", "target": "number"},
            {"source": "customer", "target": "customer_email", "transforms": ["email"]},
            {"source": "total", "target": "total"},
            {"source": "status", "target": "status"},
        ]},
        {"system": "Warehouse", "entity": "Order", "direction": "outbound", "rules": [
            {"source": "number", "target": "key"}, {"source": "total", "target": "amount"},
        ]},
    ],
    "source_of_truth": [{"entity": "Order", "system": "Partner gateway"}],
    "flows": [{"name": FLOW_NAME, "entity": "Order", "source": "Partner gateway", "targets": ["Warehouse"],
               "business_outcome": "Partner orders reach the warehouse.", "freshness_minutes": 5,
               "trigger": "api_push", "state": "active"}],
}  # fmt: skip


def _prepare() -> None:
    """In a child process with the bench's settings: configure the hub, print the flow id and the key."""
    import django

    django.setup()
    import yaml

    from hub.api.keys import api_key_issue
    from hub.api.models import ApiKey, EntityGrant, Partner
    from hub.catalog.models import Entity
    from hub.configuration.importer import config_import
    from hub.flows.models import Flow
    from hub.mappings.models import Mapping
    from hub.mappings.services import mapping_publish

    config_import(text=yaml.safe_dump(CONFIG), dry_run=False)
    for mapping in Mapping.objects.all():
        mapping_publish(mapping=mapping, note="bench", actor=None)
    partner = Partner.objects.create(name="Bench partner")
    key = ApiKey(partner=partner, name="bench", rate_limit_per_minute=10_000_000)
    raw = api_key_issue(key=key)
    EntityGrant.objects.create(key=key, entity=Entity.objects.get(name="Order"), can_write=True)
    print(json.dumps({"flow": Flow.objects.get(name=FLOW_NAME).pk, "key": raw}))


def _count_stored() -> None:
    import django

    django.setup()
    from django.db.models import Sum

    from hub.flows.models import InboundBatch

    stored = InboundBatch.objects.aggregate(n=Sum("record_count"))["n"] or 0
    print(json.dumps({"batches": InboundBatch.objects.count(), "records": stored}))


# The run ----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(redis_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hub.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "HUB_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "HUB_VAR_DIR": str(WORK),
        "DATABASE_URL": f"sqlite:///{WORK / 'hub.sqlite3'}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }


def _child(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(  # noqa: S603 (our own interpreter and modules)
        [PYTHON, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


class _Redis:
    def __init__(self) -> None:
        self.port = _free_port()
        self.running = False

    def start(self) -> None:
        if shutil.which("redis-server") is None:
            return  # REDIS_URL then points at a closed port: pushes log and the tick would retry
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--daemonize", "yes", "--save", "",
            "--appendonly", "no", "--dir", str(WORK), "--pidfile", str(WORK / "redis.pid"),
            "--logfile", str(WORK / "redis.log"),
        ]  # fmt: skip
        subprocess.run(command, check=True, timeout=10)  # noqa: S603 (a fixed command line)
        self.running = True

    def stop(self) -> None:
        if self.running:
            stop = ["redis-cli", "-p", str(self.port), "shutdown", "nosave"]
            subprocess.run(stop, capture_output=True, timeout=10, check=False)  # noqa: S603 (a fixed command)


def _start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    log = (WORK / "gunicorn.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 (the venv's gunicorn)
        [GUNICORN, "bench.api:application", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", "/dev/null", "--log-level", "warning", "--timeout", "60"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: {(WORK / 'gunicorn.log').read_text()[-2000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/flows/", timeout=2).status_code == 401:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def _order(n: int) -> dict[str, Any]:
    return {"id": f"SO-{n}", "number": f"SO-{n}", "customer": f"buyer{n}@example.com", "total": f"{n}.50",
            "status": "open"}  # fmt: skip


def _bodies(count: int, size: int, start: int) -> list[bytes]:
    return [
        json.dumps({"records": [_order(start + i * size + j) for j in range(size)]}).encode()
        for i in range(count)
    ]


def _post(session: Any, url: str, body: bytes, headers: dict[str, str]) -> int:
    headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    return int(session.post(url, data=body, headers=headers, timeout=60).status_code)


def _batches(url: str, headers: dict[str, str], bodies: list[bytes]) -> tuple[float, list[int]]:
    """Send the bodies from CLIENT_THREADS senders at once; the wall time and every status."""
    import requests

    queue = list(enumerate(bodies))
    lock = threading.Lock()
    statuses: list[int] = []

    def sender() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    if not queue:
                        return
                    _, body = queue.pop()
                code = _post(session, url, body, headers)
                with lock:
                    statuses.append(code)

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(CLIENT_THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    return time.perf_counter() - started, statuses


def _singles(url: str, headers: dict[str, str], bodies: list[bytes]) -> tuple[list[float], list[int]]:
    import requests

    times, statuses = [], []
    with requests.Session() as session:
        for index, body in enumerate(bodies):
            started = time.perf_counter()
            code = _post(session, url, body, headers)
            if index >= WARMUP:
                times.append((time.perf_counter() - started) * 1000)
                statuses.append(code)
    return times, statuses


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def _measure_endpoint(url: str, headers: dict[str, str], start: int) -> dict[str, Any]:
    batch_bodies = _bodies(BATCHES, BATCH_SIZE, start)
    single_bodies = _bodies(WARMUP + SINGLE_PUSHES, 1, start + BATCHES * BATCH_SIZE)
    seconds, batch_statuses = _batches(url, headers, batch_bodies)
    times, single_statuses = _singles(url, headers, single_bodies)
    accepted = sum(code == 202 for code in batch_statuses) * BATCH_SIZE
    return {
        "batch_seconds": round(seconds, 3),
        "batch_records_per_second": round(accepted / seconds, 1) if seconds else 0.0,
        "single_p50_ms": round(_percentile(times, 0.50), 2),
        "single_p99_ms": round(_percentile(times, 0.99), 2),
        "single_mean_ms": round(statistics.fmean(times), 2) if times else 0.0,
        "errors": sum(code != 202 for code in batch_statuses + single_statuses),
    }


def _ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


def measure() -> dict[str, Any]:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    redis = _Redis()
    redis.start()
    env = _environment(redis.port)
    server = None
    try:
        _child(env, "manage.py", "migrate", "--no-input", "-v", "0")
        prepared = json.loads(
            _child(env, "-c", "import bench.api as b; b._prepare()").strip().splitlines()[-1]
        )
        port = _free_port()
        server = _start_gunicorn(env, port)
        base = f"http://127.0.0.1:{port}"
        json_type = {"Content-Type": "application/json"}
        hub = _measure_endpoint(
            f"{base}/api/v1/flows/{prepared['flow']}/batches/",
            {**json_type, "Authorization": f"Api-Key {prepared['key']}"},
            start=0,
        )
        floor = _measure_endpoint(f"{base}/bench/floor/", json_type, start=10_000_000)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        redis.stop()
    stored = json.loads(
        _child(env, "-c", "import bench.api as b; b._count_stored()").strip().splitlines()[-1]
    )
    return _report(hub, floor, stored, redis.running)


def _report(
    hub: dict[str, Any], floor: dict[str, Any], stored: dict[str, int], redis: bool
) -> dict[str, Any]:
    expected = BATCHES * BATCH_SIZE + SINGLE_PUSHES + WARMUP
    problems = []
    if hub["errors"] or floor["errors"]:
        problems.append(f"answers other than 202: hub {hub['errors']}, floor {floor['errors']}")
    if stored["records"] != expected:
        problems.append(f"{stored['records']} records stored, {expected} accepted")
    goals = {
        "batch_records_per_second": (
            hub["batch_records_per_second"],
            ">= 2,000 records/s",
            lambda v: v >= 2000,
        ),
        "single_p50_ms": (hub["single_p50_ms"], "< 25 ms", lambda v: v < 25),
        "single_p99_ms": (hub["single_p99_ms"], "< 100 ms", lambda v: v < 100),
    }
    return {
        "setup": {
            "gunicorn_workers": 2,
            "database": "sqlite",
            "batch_size": BATCH_SIZE,
            "batches": BATCHES,
            "client_threads": CLIENT_THREADS,
            "single_pushes": SINGLE_PUSHES,
            "warmup": WARMUP,
            "redis": redis,
            "cpus": os.cpu_count(),
        },
        "hub": hub,
        "floor": floor,
        "ratios": {
            "batch_records_per_second": _ratio(
                hub["batch_records_per_second"], floor["batch_records_per_second"]
            ),
            "single_p50": _ratio(hub["single_p50_ms"], floor["single_p50_ms"]),
            "single_p99": _ratio(hub["single_p99_ms"], floor["single_p99_ms"]),
        },
        "stored": stored,
        "targets": {
            name: {"value": value, "goal": goal, "met": bool(check(value))}
            for name, (value, goal, check) in goals.items()
        },
        "problems": problems,
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
