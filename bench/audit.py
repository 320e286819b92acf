"""The audit trail's pages over 1,000,000 entries (issue 6): ``measure()`` times them and counts their queries.

``python -m bench.audit`` runs it alone and prints the figures as JSON. The figures are reported, never
asserted.

What runs: a fresh SQLite file under var/bench-audit/ migrated with ``manage.py migrate`` in a child
process (DEBUG=false, as every bench child: Django's debug cursor would otherwise keep every query);
a second child fills the trail: 20 people, then 1,000,000 ``auditlog_logentry`` rows written with raw
``executemany`` in chunks of 20,000 (the table's indexes dropped during the load and created again after
it, as the migration defined them), spread evenly over the last 365 days, oldest first, in a mix like a
real trail's (changes by people, decryptions by runs, reads by API keys, accesses by people and by the hub
itself); a third child signs in a superuser with Django's test ``Client`` and requests each page
``REPEATS`` times after one untimed request, counting every SQL statement with a
``connection.execute_wrapper``. Every child has a time limit.

Keys of the returned dict:

- ``setup``: ``entries`` (rows in the trail), ``people``, ``repeats`` (timed requests per page),
  ``database`` ("sqlite"), ``django_debug`` (false), ``fill_seconds`` (writing the rows and rebuilding
  the indexes), ``migrate_seconds``.
- ``pages``: one dict per page, keyed ``first`` (the newest entries), ``filtered_person`` (one person's
  changes), ``filtered_event`` (decryptions: a filter on the JSON ``event``), ``filtered_api_key`` (one API
  key's reads), ``deep`` (the page before an entry 900,000 entries down the list: the "Older" link),
  ``deep_by_date`` (the last day of the first month), ``search`` (the search box: a scan of every row),
  ``entry`` (one entry's page); each with ``url``, ``median_ms``, ``min_ms``, ``max_ms``,
  ``queries`` (statements per request, the same for every repeat, or a list when they differ),
  ``rows`` (entries listed; None for the entry page) and ``status``.
- ``bounded``: true when every page ran the same number of queries on each repeat, at most ``QUERY_BOUND``
  (15). A filter adds its own fixed lookups (a person filter reads that person once), never one per row.
- ``problems``: what went wrong (a page not 200, an empty page that should have rows); empty on success.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench-audit"
DATABASE = WORK / "hub.sqlite3"
PYTHON = sys.executable
ENTRIES = 1_000_000
PEOPLE = 20
CHUNK = 20_000
REPEATS = 5
DEEP = 900_000
STATIC_BACKEND = "django.contrib.staticfiles.storage.StaticFilesStorage"
ENTRY_LINK = re.compile(r'href="/admin/auditlog/logentry/\d+/change/"')  # one per listed entry
QUERY_BOUND = 15  # statements per page, whatever the trail's size: session, user, filter choices, one page
COLUMNS = [
    "id", "object_pk", "object_id", "object_repr", "action", "timestamp", "actor_id", "content_type_id",
    "remote_addr", "additional_data", "cid", "changes_text", "changes",
]  # fmt: skip
INSERT = f"INSERT INTO auditlog_logentry ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"  # noqa: S608 (fixed names)
INDEXES = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'auditlog_logentry' AND sql IS NOT NULL"
OBJECT_TYPES = [
    "systems.system", "systems.secret", "catalog.entity", "catalog.entityfield", "mappings.mapping",
    "mappings.mappingrule", "flows.flow", "api.partner", "api.apikey", "catalog.record",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hub.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "HUB_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": "testserver,127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "HUB_VAR_DIR": str(WORK),
        "DATABASE_URL": f"sqlite:///{DATABASE}",
        "REDIS_URL": f"redis://127.0.0.1:{_free_port()}/0",  # nothing listens: no page needs Redis
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }


def _child(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    done = subprocess.run(  # noqa: S603 (our own interpreter and modules)
        [PYTHON, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


# The fill (in a child) -------------------------------------------------------------------------------


def _fill() -> None:
    """Create the people, then write the trail's rows with the indexes dropped; print the seconds."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    started = time.perf_counter()
    User.objects.create_superuser("bench-admin", "bench@example.com", secrets.token_urlsafe(16))
    User.objects.bulk_create(User(username=f"person{n}", is_staff=True) for n in range(1, PEOPLE))
    people = list(User.objects.order_by("pk").values_list("pk", flat=True))
    types = [ContentType.objects.get_by_natural_key(*name.split(".")).pk for name in OBJECT_TYPES]
    connection.close()
    with sqlite3.connect(DATABASE) as db:
        db.execute("PRAGMA synchronous=OFF")
        indexes = db.execute(INDEXES).fetchall()
        for name, _ in indexes:
            db.execute(f'DROP INDEX "{name}"')
        # Creating the people above wrote entries of its own (the people trail): number after them.
        rows = _rows(
            people, types, db.execute("SELECT COALESCE(MAX(id), 0) FROM auditlog_logentry").fetchone()[0]
        )
        for _ in range(0, ENTRIES, CHUNK):
            db.executemany(INSERT, (next(rows) for _ in range(CHUNK)))
        for _, sql in indexes:
            db.execute(sql)
        db.execute("ANALYZE")
    print(json.dumps({"fill_seconds": round(time.perf_counter() - started, 1), "people": len(people)}))


def _rows(people: list[int], types: list[int], last_id: int = 0) -> Any:
    """The trail, oldest first: a deterministic mix of who did what; ids follow ``last_id``."""
    pick = random.Random(6)
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / ENTRIES
    for n in range(1, ENTRIES + 1):
        stamp = (start + step * n).strftime("%Y-%m-%d %H:%M:%S.%f")
        kind, obj, ctype = n % 10, pick.randrange(1, 5000), types[n % len(types)]
        person = people[pick.randrange(len(people))]
        actor, cid, action, changes, address = None, None, 3, "{}", None
        data: dict[str, Any] | None = None
        if kind <= 3:
            actor, action, address = person, 1, "10.0.0.7"
            changes = json.dumps({"description": [f"old {n}", f"new {n}"]})
        elif kind == 4:
            actor, action, changes = person, 0, json.dumps({"name": ["None", f"thing {obj}"]})
        elif kind == 5:
            run = n // 1000
            cid = f"run:{run}"
            by = f"run {run} of flow Customers to ERP"
            data = {"event": "decrypted", "accessed": "secret bearer_token", "reason": "delivery", "by": by}
        elif kind <= 7:
            prefix = f"key{n % 7:05d}"
            cid, address = f"api-key:{prefix}", "203.0.113.9"
            partner = {"partner": f"Partner {n % 7}", "partner_id": n % 7 + 1, "api_key": prefix}
            data = {"event": "accessed", "accessed": "record", "reason": "read through the API", **partner}
        elif kind == 8:
            actor, data = person, {"event": "accessed", "accessed": "record", "reason": "viewed in the admin"}
        else:
            data = {"event": "decrypted", "accessed": "secret password", "reason": "nightly connection test"}
        extra = json.dumps(data) if data else None
        yield (
            last_id + n,
            str(obj),
            obj,
            f"object {obj}",
            action,
            stamp,
            actor,
            ctype,
            address,
            extra,
            cid,
            "",
            changes,
        )


# The pages (in a child) ---------------------------------------------------------------------------------


def _pages() -> None:
    import django

    django.setup()
    from auditlog.models import LogEntry
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.db.models.signals import post_save
    from django.test import Client
    from django.test.utils import override_settings

    # The bench's rows were written behind the hash chain's back (raw inserts): sealing a million of them
    # inside the first request that writes an entry (the sign-in below) is not what is measured here.
    post_save.disconnect(sender=LogEntry, dispatch_uid="hub.audit.seal")
    admin_user = User.objects.get(username="bench-admin")
    person = User.objects.get(username="person3")
    deep = LogEntry.objects.order_by("-timestamp", "-id")[DEEP]
    oldest = LogEntry.objects.order_by("timestamp").values_list("timestamp", flat=True).first()
    base = "/admin/auditlog/logentry/"
    urls = {
        "first": base,
        "filtered_person": f"{base}?actor={person.pk}&action=changed",
        "filtered_event": f"{base}?action=decrypted",
        "filtered_api_key": f"{base}?cid=api-key:key00003",
        "deep": f"{base}?{_query(before=f'{deep.timestamp.isoformat()}~{deep.pk}')}",
        "deep_by_date": f"{base}?date_to={(oldest + timedelta(days=30)).date()}",
        "search": f"{base}?q=object+4999",
        "entry": f"{base}{deep.pk}/change/",
    }
    client = Client()
    client.force_login(admin_user)
    counted: list[str] = []
    # Plain static files: the manifest storage of DEBUG=false needs collectstatic, which the pages do not.
    plain = override_settings(STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": STATIC_BACKEND}})
    plain.enable()

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        counted.append(sql)
        return execute(sql, params, many, context)

    pages = {}
    with connection.execute_wrapper(count):
        for name, url in urls.items():
            pages[name] = _time(client, url, counted)
    print(json.dumps(pages))


def _query(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def _time(client: Any, url: str, counted: list[str]) -> dict[str, Any]:
    client.get(url)  # warm-up, untimed
    timings, queries = [], []
    for _ in range(REPEATS):
        counted.clear()
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        queries.append(len(counted))
    rows = len(ENTRY_LINK.findall(response.content.decode())) if "/change/" not in url else None
    return {
        "url": url,
        "median_ms": round(statistics.median(timings), 1),
        "min_ms": round(min(timings), 1),
        "max_ms": round(max(timings), 1),
        "queries": queries[0] if len(set(queries)) == 1 else queries,
        "rows": rows,
        "status": response.status_code,
    }


# The parent ------------------------------------------------------------------------------------------------


def measure() -> dict[str, Any]:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    env = _environment()
    started = time.perf_counter()
    _child(env, "manage.py", "migrate", "--no-input", "-v", "0")
    migrate_seconds = round(time.perf_counter() - started, 1)
    filled = json.loads(_child(env, "-c", "import bench.audit as b; b._fill()").strip().splitlines()[-1])
    pages = json.loads(_child(env, "-c", "import bench.audit as b; b._pages()").strip().splitlines()[-1])
    problems = [f"{name}: status {page['status']}" for name, page in pages.items() if page["status"] != 200]
    problems += [f"{name}: no rows" for name, page in pages.items() if page["rows"] == 0]
    counts = [page["queries"] for page in pages.values()]
    return {
        "setup": {
            "entries": ENTRIES,
            "people": filled["people"],
            "repeats": REPEATS,
            "database": "sqlite",
            "django_debug": False,
            "fill_seconds": filled["fill_seconds"],
            "migrate_seconds": migrate_seconds,
        },
        "pages": pages,
        "bounded": all(isinstance(q, int) and q <= QUERY_BOUND for q in counts),
        "problems": problems,
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
