"""`make bench` (``python -m bench.run``): the engine's speed and memory, next to a script with no hub logic.

What runs: a source and a target HTTP server in threads of this process (``bench.servers``, 127.0.0.1
only), and each measured move in a fresh worker process of its own, so that one move's memory and caches
do not leak into the next. The hub's moves (``bench.engine``) each get a fresh SQLite file under
var/bench/, copied from one migrated with ``manage.py migrate``, and run with DEBUG=false (Django's debug
cursor would otherwise log every query) and with REDIS_URL at a port where nothing listens: the worker
process calls ``run_execute`` itself, so it is the one worker. Every child has a time limit, every loop a
bound; the figures are reported, never asserted, but the bench fails (exit 1) when a move loses or
duplicates a record: the target must have received every record exactly once.

The move: 100,000 people from the source (JSON, pages of 1,000 by page number, bearer token) to the target
(batches of 500, Idempotency-Key honoured, bearer token) through a mapping of 10 fields using 5 distinct
transforms (email, trim, title, upper, datetime: 13 steps, 3 rules with chains), validation (required,
e-mail, format rule, datetime) and matching by natural key (the e-mail), on SQLite with one worker.

``--profile`` instead runs the 10,000-record move twice under cProfile (the second run over unchanged
data), prints where the time goes and leaves the profiles in var/bench/profile-run*.pstats.
``--profile-outbox`` instead runs the outbox move (below) with its drain under cProfile, and leaves the
profile in var/bench/profile-outbox-drain.pstats.

The outbox move (issue 7, ``bench.outbox``): 10,000 records while the target is down (it answers 503 to
every push and to its connection test: the first pushes fail until the hub marks the link down, the
rest wait in the outbox), then the target comes back and the drain is timed: the connection test that
brings the link up, then the outbox job, called until it finds nothing left, in one worker process.
Its rate is set against the engine's normal push path measured in the same bench: the 10,000-record run
with the target up, as records pushed per second spent inside ``deliver_due`` (claiming, pushing and
recording; the run pushes after every page, so that is time spent on nothing but pushing). Both move the
same 10,000 records, in batches of 500, to the same target server, over a database of the same size.

Keys of var/bench.json:

- ``finished_at``: when the bench ended (ISO 8601, UTC).
- ``machine``: ``cpus`` (os.cpu_count), ``python`` (version), ``platform``.
- ``setup``: ``records`` (100,000), ``page_size`` (1,000), ``batch_size`` (500), ``database`` ("sqlite"),
  ``workers`` (1), ``django_debug`` (false), ``mapping`` (``fields``, ``transforms``, ``steps``,
  ``rules_with_chains``), ``memory_measure`` (how peak memory is taken).
- ``hub``: the first run of the hub over 100,000 new records, pages of 1,000: ``seconds`` (run_request to
  run_execute's return, when the target holds every record), ``records_per_second`` (fetched / seconds),
  ``state`` and ``error`` (the run's), the run's counts ``fetched``, ``created``, ``updated``,
  ``unchanged``, ``quarantined``, ``conflicts``, ``failed``, ``dead_lettered``; ``pages`` (as the run
  counts them: the last, empty page included), ``queries`` (every SQL statement of the run, counted by a
  ``connection.execute_wrapper``), ``queries_per_page``, ``delivery_queries`` (those made inside
  ``deliver_due``, i.e. pushing), ``pipeline_queries_per_page`` (the others per page: fetch, map,
  validate, match, merge, plan the outbox, finish), ``peak_rss_mib`` (of the worker process so far),
  ``pushed_batches`` and ``pushed_records`` (what the target received during the run), and
  ``source_busy_seconds`` and ``target_busy_seconds`` (time the servers spent handling requests: far below
  ``seconds`` means they were not the bottleneck), ``delivery_seconds`` (the time spent inside
  ``deliver_due``: claiming, pushing, recording) and ``push_records_per_second`` (``pushed_records`` /
  ``delivery_seconds``: how fast the run's pushing went, while it pushed).
- ``hub_second_run``: the same keys for a second run over the same, unchanged data (same process and
  database), plus ``speedup``: first run's seconds / second run's seconds.
- ``floor``: ``seconds``, ``records`` (moved) and ``records_per_second`` of ``bench.floor`` moving the
  same 100,000 records.
- ``hub_to_floor``: hub records_per_second / floor records_per_second.
- ``memory``: ``peak_rss_mib_100000`` and ``peak_rss_mib_10000``: peak resident memory of the worker
  process (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, whole process, Django included) at the end of the
  first run, each size in its own fresh process and database; ``setup_rss_mib_100000`` and
  ``setup_rss_mib_10000``: the same just before the run, after Django and the flow were set up;
  ``ratio``: 100,000 / 10,000.
- ``queries_per_page``: ``page_size_1000``: queries per page of the hub's first run above (100,000
  records); ``page_size_500``: the same for a first run over 20,000 records in pages of 500, in a fresh
  process and database (a run's fixed statements, about 25, add under one query per page to either);
  ``ratio``: 1,000 / 500; ``pipeline_page_size_1000`` and ``pipeline_page_size_500``: the same without
  the queries made while pushing, and ``pipeline_ratio``; ``delivery_per_batch_page_size_1000`` and
  ``delivery_per_batch_page_size_500``: queries made while pushing, per batch pushed (batches are 500
  records whatever the page size, so a page of 1,000 pushes two), and ``delivery_per_batch_ratio``.
- ``targets``: per goal of issue 4 (``records_per_second``, ``hub_to_floor``, ``second_run_speedup``,
  ``memory_ratio``, ``queries_per_page_ratio``): ``value``, ``goal`` (in words) and ``met`` (true/false).
  Queries count as constant when both the pipeline's ratio per page and the pushes' ratio per batch are
  at most 1.10; ``queries_per_page_ratio``'s value is the larger of the two.
- ``api``: the partner API under gunicorn (issue 5), as ``bench.api.measure()`` returns it; its keys are
  documented in bench/api.py.
- ``audit``: the audit trail's pages over 1,000,000 entries (issue 6), as ``bench.audit.measure()``
  returns it; its keys are documented in bench/audit.py.
- ``outbox_drain``: the outbox move (issue 7, above): ``records`` (10,000), ``seconds`` (from the connection
  test to the outbox finding nothing left), ``records_per_second`` (records the target received during the
  drain / ``seconds``), ``normal_push_records_per_second`` (``push_records_per_second`` of the
  10,000-record run with the target up) and ``normal_push_seconds`` (its ``delivery_seconds``),
  ``normal_push_records_per_second_100000`` (the same of the hub's first 100,000-record run, for
  comparison only), ``ratio`` (drain / normal), ``target`` (0.5) and ``met`` (ratio >= target);
  ``probe_seconds`` (the connection test's share of ``seconds``), ``outbox_calls`` (outbox jobs called, the
  last one finding nothing), ``pushed_batches``, ``queries`` (every SQL statement of the drain),
  ``queries_per_batch``, ``target_busy_seconds``, ``peak_rss_mib``; ``outage_run``: the run made while the
  target was down: ``seconds``, ``state``, ``fetched``, ``refused_pushes`` (pushes the target answered 503
  before the link went down), ``link_state`` after it (``down``) and ``pending`` (deliveries left waiting).
- ``problems``: what went wrong (a run not succeeded, a record lost or duplicated, an API push refused or
  not stored, the outage not leaving every delivery waiting, the drain not delivering every one); empty on
  success.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import api as api_bench
from bench import audit as audit_bench
from bench.engine import MAPPING
from bench.servers import SourceServer, TargetServer

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
RESULT = ROOT / "var" / "bench.json"
RECORDS = 100_000
SMALL = 10_000
PAGE_SIZE = 1000
BATCH_SIZE = 500
CHILD_TIMEOUT_SECONDS = 900  # per process; the whole bench takes a few minutes on two cores


@dataclass(frozen=True)
class Scenario:
    name: str
    records: int
    page_size: int
    runs: int = 1


MAIN = Scenario("hub-100k-pages-1000", RECORDS, PAGE_SIZE, runs=2)
PAGES_500 = Scenario("hub-20k-pages-500", 20_000, 500)  # 41 pages: enough to compare, and a minute less
SMALL_RUN = Scenario("hub-10k-pages-1000", SMALL, PAGE_SIZE)
OUTBOX = Scenario("hub-10k-outbox", SMALL, PAGE_SIZE)
PROFILED = Scenario("hub-10k-profiled", SMALL, PAGE_SIZE, runs=2)


class Bench:
    def __init__(self, source: SourceServer, target: TargetServer, env: dict[str, str]) -> None:
        self.source, self.target, self.env = source, target, env
        self.problems: list[str] = []

    def child(self, name: str, args: list[str], database: Path | None = None) -> None:
        env = self.env if database is None else {**self.env, "DATABASE_URL": f"sqlite:///{database}"}
        print(f"  {name} ...", flush=True)
        subprocess.run(  # noqa: S603 (our own interpreter and modules)
            [sys.executable, *args], cwd=ROOT, env=env, check=True, timeout=CHILD_TIMEOUT_SECONDS
        )

    def migrate_template(self) -> Path:
        template = WORK / "template.sqlite3"
        self.child(
            "migrating a fresh SQLite database", ["manage.py", "migrate", "--no-input", "-v", "0"], template
        )
        return template

    def engine(self, scenario: Scenario, template: Path, profile: bool = False) -> dict[str, Any]:
        self.source.serve(count=scenario.records, page_size=scenario.page_size)
        self.target.reset()
        database, out = WORK / f"{scenario.name}.sqlite3", WORK / f"{scenario.name}.json"
        shutil.copyfile(template, database)
        args = ["-m", "bench.engine", "--source-url", self.source.url, "--target-url", self.target.url]
        args += ["--page-size", str(scenario.page_size), "--runs", str(scenario.runs), "--out", str(out)]
        args += ["--profile", str(WORK)] if profile else []
        what = f"hub: {scenario.records:,} records, pages of {scenario.page_size:,}, {scenario.runs} run(s)"
        self.child(what, args, database)
        result: dict[str, Any] = json.loads(out.read_text())
        self.check_engine(scenario, result["runs"])
        return result

    def outbox(self, template: Path, profile: bool = False) -> dict[str, Any]:
        """The outbox move: a run while the target is down, then the drain (``bench.outbox``)."""
        scenario = OUTBOX
        self.source.serve(count=scenario.records, page_size=scenario.page_size)
        self.target.reset()
        database, out = WORK / f"{scenario.name}.sqlite3", WORK / f"{scenario.name}.json"
        shutil.copyfile(template, database)
        args = ["-m", "bench.outbox", "--source-url", self.source.url, "--target-url", self.target.url]
        args += ["--page-size", str(scenario.page_size), "--out", str(out)]
        args += ["--profile", str(WORK)] if profile else []
        what = f"outbox: {scenario.records:,} records while the target is down, then the drain"
        self.child(what, args, database)
        result: dict[str, Any] = json.loads(out.read_text())
        self.check_outbox(scenario, result)
        return result

    def check_outbox(self, scenario: Scenario, result: dict[str, Any]) -> None:
        during, drain, records = result["outage_run"], result["drain"], scenario.records
        where = f"{scenario.name}, run while the target was down"
        if during["state"] != "succeeded" or during["fetched"] != records:
            self.problems.append(
                f"{where}: {during['state']}, {during['fetched']} fetched. {during['error']}"
            )
        if during["link_state"] != "down" or during["deliveries"] != {"pending": records}:
            self.problems.append(
                f"{where}: the link is {during['link_state']} and the deliveries are {during['deliveries']}, "
                f"expected down and {records:,} pending: the drain measured is not an outbox drain"
            )
        if during["pushed_records"] != 0:
            self.problems.append(f"{where}: the target took {during['pushed_records']:,} records while down")
        if drain["deliveries"] != {"delivered": records} or drain["pushed_records"] != records:
            self.problems.append(
                f"{scenario.name}, drain: deliveries {drain['deliveries']}, {drain['pushed_records']:,} "
                f"records pushed after {drain['outbox_calls']} outbox calls (connection test passed: "
                f"{drain['probe_ok']}), expected {records:,} delivered"
            )
        self.check_target(f"{scenario.name}, drain", records)

    def floor(self) -> dict[str, Any]:
        self.source.serve(count=RECORDS, page_size=PAGE_SIZE)
        self.target.reset()
        out, database = WORK / "floor.json", WORK / "floor.sqlite3"
        args = ["-m", "bench.floor", "--source-url", self.source.url, "--target-url", self.target.url]
        args += ["--records", str(RECORDS), "--page-size", str(PAGE_SIZE), "--database", str(database)]
        self.child(f"floor: {RECORDS:,} records, no hub logic", [*args, "--out", str(out)])
        self.check_target("floor", RECORDS)
        result: dict[str, Any] = json.loads(out.read_text())
        return result

    def check_engine(self, scenario: Scenario, runs: list[dict[str, Any]]) -> None:
        for number, run in enumerate(runs, start=1):
            where = f"{scenario.name}, run {number}"
            if run["state"] != "succeeded" or run["fetched"] != scenario.records:
                self.problems.append(f"{where}: {run['state']}, {run['fetched']} fetched. {run['error']}")
            expected = ("created", scenario.records) if number == 1 else ("unchanged", scenario.records)
            if run[expected[0]] != expected[1]:
                self.problems.append(f"{where}: {run[expected[0]]} {expected[0]}, expected {expected[1]}")
            pushed = scenario.records if number == 1 else 0
            if run["pushed_records"] != pushed:
                self.problems.append(f"{where}: {run['pushed_records']} records pushed, expected {pushed}")
        self.check_target(scenario.name, scenario.records)

    def check_target(self, where: str, records: int) -> None:
        """Every record reached the target exactly once: as many distinct keys as records, no second write."""
        stats = self.target.stats()
        if (stats["distinct"], stats["duplicates"], stats["rejected"]) != (records, 0, 0):
            self.problems.append(
                f"{where}: the target holds {stats['distinct']:,} distinct records of {records:,}, "
                f"{stats['duplicates']:,} duplicate writes, {stats['rejected']:,} rejected items"
            )


def environment(redis_port: int) -> dict[str, str]:
    """Settings for the worker processes: production-like (DEBUG off), private files, no Redis."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hub.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "HUB_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HUB_OUTBOUND_HOSTS": "127.0.0.1",  # the bench's source and target servers, and nothing else
        "HUB_VAR_DIR": str(WORK),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "LOG_LEVEL": "WARNING",
        "BENCH_SOURCE_TOKEN": secrets.token_urlsafe(24),
        "BENCH_TARGET_TOKEN": secrets.token_urlsafe(24),
    }


def closed_port() -> socket.socket:
    """A port on 127.0.0.1 bound but not listening, so that connecting to it is refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def goal(value: float, met: bool, words: str) -> dict[str, Any]:
    return {"value": round(value, 3), "goal": words, "met": met}


def summary(results: dict[str, Any], floor: dict[str, Any]) -> dict[str, Any]:
    main, pages_500, small = (results[s.name] for s in (MAIN, PAGES_500, SMALL_RUN))
    first, second = main["runs"]
    hub_second = {**second, "speedup": first["seconds"] / second["seconds"]}
    memory = {
        "peak_rss_mib_100000": first["peak_rss_mib"],
        "peak_rss_mib_10000": small["runs"][0]["peak_rss_mib"],
        "setup_rss_mib_100000": main["setup_peak_rss_mib"],
        "setup_rss_mib_10000": small["setup_peak_rss_mib"],
        "ratio": first["peak_rss_mib"] / small["runs"][0]["peak_rss_mib"],
    }
    half = pages_500["runs"][0]
    queries = {
        "page_size_1000": first["queries_per_page"],
        "page_size_500": half["queries_per_page"],
        "ratio": first["queries_per_page"] / half["queries_per_page"],
        "pipeline_page_size_1000": first["pipeline_queries_per_page"],
        "pipeline_page_size_500": half["pipeline_queries_per_page"],
        "pipeline_ratio": first["pipeline_queries_per_page"] / half["pipeline_queries_per_page"],
        "delivery_per_batch_page_size_1000": first["delivery_queries"] / max(first["pushed_batches"], 1),
        "delivery_per_batch_page_size_500": half["delivery_queries"] / max(half["pushed_batches"], 1),
    }
    queries["delivery_per_batch_ratio"] = (
        queries["delivery_per_batch_page_size_1000"] / queries["delivery_per_batch_page_size_500"]
    )
    constant = max(queries["pipeline_ratio"], queries["delivery_per_batch_ratio"])
    hub_to_floor = first["records_per_second"] / floor["records_per_second"]
    targets = {
        "records_per_second": goal(
            first["records_per_second"], first["records_per_second"] >= 5000, ">= 5000"
        ),
        "hub_to_floor": goal(hub_to_floor, hub_to_floor >= 0.5, ">= 0.5 (an aim)"),
        "second_run_speedup": goal(hub_second["speedup"], hub_second["speedup"] >= 4, ">= 4"),
        "memory_ratio": goal(memory["ratio"], memory["ratio"] <= 1.25, "<= 1.25"),
        "queries_per_page_ratio": goal(
            constant, constant <= 1.10, "<= 1.10 (constant: per page for the pipeline, per batch for pushes)"
        ),
    }
    return {
        "hub": first,
        "hub_second_run": hub_second,
        "floor": floor,
        "hub_to_floor": hub_to_floor,
        "memory": memory,
        "queries_per_page": queries,
        "targets": targets,
    }


def outbox_summary(outbox: dict[str, Any], normal: dict[str, Any], main: dict[str, Any]) -> dict[str, Any]:
    """The drain's rate against the normal push path's (``normal``: the 10,000-record run's first run)."""
    during, drain = outbox["outage_run"], outbox["drain"]
    ratio = drain["records_per_second"] / normal["push_records_per_second"]
    return {
        "records": OUTBOX.records,
        "seconds": drain["seconds"],
        "records_per_second": drain["records_per_second"],
        "normal_push_records_per_second": normal["push_records_per_second"],
        "normal_push_seconds": normal["delivery_seconds"],
        "normal_push_records_per_second_100000": main["push_records_per_second"],
        "ratio": ratio,
        "target": 0.5,
        "met": ratio >= 0.5,
        "probe_seconds": drain["probe_seconds"],
        "outbox_calls": drain["outbox_calls"],
        "pushed_batches": drain["pushed_batches"],
        "queries": drain["queries"],
        "queries_per_batch": drain["queries"] / max(drain["pushed_batches"], 1),
        "target_busy_seconds": drain["target_busy_seconds"],
        "peak_rss_mib": drain["peak_rss_mib"],
        "outage_run": {
            "seconds": during["seconds"],
            "state": during["state"],
            "fetched": during["fetched"],
            "refused_pushes": during["refused_pushes"],
            "link_state": during["link_state"],
            "pending": during["deliveries"].get("pending", 0),
        },
    }


def report(result: dict[str, Any]) -> None:
    hub, second, floor = result["hub"], result["hub_second_run"], result["floor"]
    memory, queries, targets = result["memory"], result["queries_per_page"], result["targets"]
    outbox = result["outbox_drain"]

    def verdict(name: str) -> str:
        target = targets[name]
        return f"goal {target['goal']}: {'met' if target['met'] else 'NOT met'}"

    mapping = result["setup"]["mapping"]
    print(f"\nIntegration Hub bench: {RECORDS:,} records, SQLite, one worker, HTTP on 127.0.0.1")
    print(
        f"  pages of {PAGE_SIZE:,}, batches of {BATCH_SIZE}, {mapping['fields']} fields, "
        f"transforms {', '.join(mapping['transforms'])} ({mapping['steps']} steps)"
    )
    rows = [
        ("hub, first run", f"{hub['seconds']:7.1f} s  {hub['records_per_second']:9,.0f} records/s",
         verdict("records_per_second")),
        ("hub, second run, unchanged", f"{second['seconds']:7.1f} s  {second['speedup']:9.1f}x faster",
         verdict("second_run_speedup")),
        ("floor, no hub logic", f"{floor['seconds']:7.1f} s  {floor['records_per_second']:9,.0f} records/s",
         f"hub/floor {result['hub_to_floor']:.2f}, {verdict('hub_to_floor')}"),
        ("peak RSS 100k / 10k", f"{memory['peak_rss_mib_100000']:5.0f} / {memory['peak_rss_mib_10000']:.0f} MiB",
         f"ratio {memory['ratio']:.2f}, {verdict('memory_ratio')}"),
        ("queries/page 1000 / 500", f"{queries['pipeline_page_size_1000']:6.1f} / "
         f"{queries['pipeline_page_size_500']:.1f}", f"ratio {queries['pipeline_ratio']:.2f}, pipeline"),
        ("queries/pushed batch", f"{queries['delivery_per_batch_page_size_1000']:6.1f} / "
         f"{queries['delivery_per_batch_page_size_500']:.1f}", f"ratio {queries['delivery_per_batch_ratio']:.2f}, "
         f"batches of {BATCH_SIZE}; {verdict('queries_per_page_ratio')}"),
        ("  all queries per page", f"{queries['page_size_1000']:6.1f} / {queries['page_size_500']:.1f}",
         "a page of 1,000 pushes two batches, a page of 500 one"),
        ("outbox drain, 10k waiting", f"{outbox['seconds']:7.1f} s  {outbox['records_per_second']:9,.0f} records/s",
         f"normal push {outbox['normal_push_records_per_second']:,.0f}/s, ratio {outbox['ratio']:.2f}, "
         f"goal >= {outbox['target']}: {'met' if outbox['met'] else 'NOT met'}"),
    ]  # fmt: skip
    for label, figures, note in rows:
        print(f"  {label:<28}{figures:<33}{note}".rstrip())
    print(
        f"  servers busy during the first run: source {hub['source_busy_seconds']:.1f} s, "
        f"target {hub['target_busy_seconds']:.1f} s of {hub['seconds']:.1f} s"
    )
    print(f"  written to {RESULT.relative_to(ROOT)}")


def report_api(api: dict[str, Any]) -> None:
    hub, floor, ratios, targets = api["hub"], api["floor"], api["ratios"], api["targets"]

    def verdict(name: str) -> str:
        return f"goal {targets[name]['goal']}: {'met' if targets[name]['met'] else 'NOT met'}"

    print("\nPartner API: gunicorn, 2 workers, SQLite, load from 127.0.0.1 (bench/api.py)")
    rows = [
        ("pushes of 500", f"{hub['batch_records_per_second']:9,.0f} records/s",
         f"floor {floor['batch_records_per_second']:,.0f}, hub/floor {ratios['batch_records_per_second']:.2f}; "
         f"{verdict('batch_records_per_second')}"),
        ("one-record push p50", f"{hub['single_p50_ms']:9.1f} ms",
         f"floor {floor['single_p50_ms']:.1f} ms; {verdict('single_p50_ms')}"),
        ("one-record push p99", f"{hub['single_p99_ms']:9.1f} ms",
         f"floor {floor['single_p99_ms']:.1f} ms; {verdict('single_p99_ms')}"),
    ]  # fmt: skip
    for label, figures, note in rows:
        print(f"  {label:<28}{figures:<20}{note}")


def report_audit(audit: dict[str, Any]) -> None:
    print(
        f"\nAudit trail: {audit['setup']['entries']:,} entries, SQLite, the reviewer's pages (bench/audit.py)"
    )
    for name, page in audit["pages"].items():
        print(f"  {name:<28}{page['median_ms']:9.1f} ms  {page['queries']} queries")
    print(f"  queries bounded: {'yes' if audit['bounded'] else 'NO'}")


def measure(bench: Bench) -> dict[str, Any]:
    template = bench.migrate_template()
    floor = bench.floor()
    results = {s.name: bench.engine(s, template) for s in (MAIN, PAGES_500, SMALL_RUN)}
    outbox = bench.outbox(template)  # right after the 10,000-record run whose pushing it is set against
    normal, main = results[SMALL_RUN.name]["runs"][0], results[MAIN.name]["runs"][0]
    return {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "setup": {
            "records": RECORDS,
            "page_size": PAGE_SIZE,
            "batch_size": BATCH_SIZE,
            "database": "sqlite",
            "workers": 1,
            "django_debug": False,
            "mapping": MAPPING,
            "memory_measure": "peak RSS of the worker process, resource.getrusage(RUSAGE_SELF).ru_maxrss",
        },
        **summary(results, floor),
        "outbox_drain": outbox_summary(outbox, normal, main),
        "problems": bench.problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure the engine against a script with no hub logic.")
    parser.add_argument("--profile", action="store_true", help="profile a 10,000-record run instead")
    parser.add_argument(
        "--profile-outbox", action="store_true", help="profile the outbox drain of 10,000 records instead"
    )
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    started = time.monotonic()
    redis = closed_port()
    env = environment(redis.getsockname()[1])
    source = SourceServer(token=env["BENCH_SOURCE_TOKEN"])
    target = TargetServer(token=env["BENCH_TARGET_TOKEN"])
    with redis, source, target:
        bench = Bench(source, target, env)
        if args.profile:
            bench.engine(PROFILED, bench.migrate_template(), profile=True)
            print(*bench.problems, sep="\n")
            return
        if args.profile_outbox:
            drained = bench.outbox(bench.migrate_template(), profile=True)["drain"]
            print(f"\ndrain: {drained['seconds']:.1f} s, {drained['records_per_second']:,.0f} records/s")
            print(*bench.problems, sep="\n")
            return
        result = measure(bench)
    print("  partner API: gunicorn with 2 workers, pushes of 500 and of one record ...", flush=True)
    result["api"] = api_bench.measure()
    result["problems"] += [f"api: {problem}" for problem in result["api"]["problems"]]
    print("  audit trail: 1,000,000 entries, the reviewer's pages ...", flush=True)
    result["audit"] = audit_bench.measure()
    result["problems"] += [f"audit: {problem}" for problem in result["audit"]["problems"]]
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    report(result)
    report_api(result["api"])
    report_audit(result["audit"])
    print(f"  the bench took {time.monotonic() - started:.0f} s")
    if result["problems"]:
        print("\nThe bench FAILED: records were lost or duplicated.", *result["problems"], sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
