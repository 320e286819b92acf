"""One worker process of the bench's outbox move (issue 7): a run while the target is down, then the drain.

``bench.run`` starts it in a fresh process with a fresh SQLite copy, like ``bench.engine``, against the
same source and target servers. The flow is the engine's (``bench.engine.setup_flow``). Then:

1. The target goes down (``POST /outage``, ``bench.servers``): it answers 503 to every push and to its
   connection test. A run of the flow fetches every record; its first pushes fail until the link is
   marked down (``System.breaker_failures`` failed pushes in a row), and every other delivery waits in
   the outbox, unclaimed. The run ends with every record's delivery pending.
2. The target comes back. Timed from here: the connection test the tick would queue
   (``hub.systems.jobs.probe_system``), which brings the link up, then the outbox job that the link's
   return wakes (``hub.flows.jobs.deliver_flow``, i.e. ``outbox_deliver``), called again until it finds
   nothing to push (at most ``MAX_CALLS`` calls), as workers would. This process is the one worker.

Its measurements go to ``--out`` as JSON; ``bench.run`` documents them (key ``outbox_drain``).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import pstats
import time
from pathlib import Path
from typing import Any

import requests

from bench.engine import HTTP_TIMEOUT, QueryCounter, peak_rss_mib, server_stats, setup_flow

MAX_CALLS = 50  # outbox jobs in a row; each pushes up to 20 batches of 500, so 10,000 records need one


def outage(url: str, *, down: bool) -> None:
    headers = {"Authorization": f"Bearer {os.environ['BENCH_TARGET_TOKEN']}"}
    response = requests.post(f"{url}/outage", json={"down": down}, headers=headers, timeout=HTTP_TIMEOUT)
    response.raise_for_status()


def deliveries(flow: Any) -> dict[str, int]:
    from django.db.models import Count

    from hub.flows.models import Delivery

    counted = Delivery.objects.filter(flow=flow).values_list("state").annotate(n=Count("pk"))
    return {str(state): n for state, n in counted}


def link_state(system: Any) -> str:
    from hub.systems.models import Link

    return Link.objects.filter(system=system).values_list("state", flat=True).first() or "up (no link row)"


def run_during_outage(flow: Any, target: Any, args: argparse.Namespace) -> dict[str, Any]:
    from hub.flows import runs

    before = server_stats(args.target_url, "BENCH_TARGET_TOKEN")
    started = time.perf_counter()
    run, _ = runs.run_request(flow=flow, trigger="manual")
    finished = runs.run_execute(run.pk, worker="bench")
    seconds = time.perf_counter() - started
    if finished is None:
        raise SystemExit("bench: the run was not executed (claimed by another worker?)")
    after = server_stats(args.target_url, "BENCH_TARGET_TOKEN")
    return {
        "seconds": seconds,
        "state": finished.state,
        "error": finished.error,
        "fetched": finished.fetched,
        "failed": finished.failed,
        "link_state": link_state(target),
        "deliveries": deliveries(flow),
        "refused_pushes": after["refused"] - before["refused"],
        "pushed_records": after["records"] - before["records"],
    }


def drain(flow: Any, target: Any, args: argparse.Namespace, profile: Path | None) -> dict[str, Any]:
    from django.db import connection

    from hub.flows.jobs import deliver_flow
    from hub.systems.jobs import probe_system

    counter = QueryCounter()
    profiler = cProfile.Profile() if profile is not None else None
    before = server_stats(args.target_url, "BENCH_TARGET_TOKEN")
    calls, attempted = 0, 0
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        if profiler is not None:
            profiler.enable()
        probe_ok = probe_system(target.pk)
        probed = time.perf_counter()
        while calls < MAX_CALLS:
            calls += 1
            count = deliver_flow(flow.pk)
            attempted += count
            if count == 0:
                break
        if profiler is not None:
            profiler.disable()
    seconds = time.perf_counter() - started
    if profiler is not None and profile is not None:
        report_profile(profiler, profile)
    after = server_stats(args.target_url, "BENCH_TARGET_TOKEN")
    pushed = after["records"] - before["records"]
    return {
        "seconds": seconds,
        "probe_seconds": probed - started,
        "probe_ok": probe_ok,
        "outbox_calls": calls,
        "attempted": attempted,
        "queries": counter.total,
        "pushed_batches": after["batches"] - before["batches"],
        "pushed_records": pushed,
        "records_per_second": pushed / seconds,
        "link_state": link_state(target),
        "deliveries": deliveries(flow),
        "target_busy_seconds": after["busy_seconds"] - before["busy_seconds"],
        "peak_rss_mib": peak_rss_mib(),
    }


def report_profile(profiler: cProfile.Profile, path: Path) -> None:
    profiler.dump_stats(path)
    print(f"\nprofile of the drain written to {path}; the hub's functions by cumulative time:")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"hub/|connectors/", 20)
    print("by own time, everything:")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source-url", required=True)
    parser.add_argument("--target-url", required=True)
    parser.add_argument("--page-size", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--profile", type=Path, help="profile the drain with cProfile into this folder")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
    import django

    django.setup()
    from hub.systems.models import System

    # No Redis on purpose: this process is the worker. The missed wake-up calls, and the link going down
    # (the outage is the point), are logged as warnings; the bench's output stays readable without them.
    for name in ("hub.flows.jobs", "hub.systems.links", "hub.flows.runs"):
        logging.getLogger(name).setLevel(logging.ERROR)
    flow = setup_flow(args)
    target = System.objects.get(name="Target")
    outage(args.target_url, down=True)
    try:
        during = run_during_outage(flow, target, args)
    finally:
        outage(args.target_url, down=False)
    profile = args.profile / "profile-outbox-drain.pstats" if args.profile else None
    result = {"outage_run": during, "drain": drain(flow, target, args, profile)}
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
