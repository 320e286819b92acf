"""One worker process of the bench: sets the flow up through the hub's own services, then runs it.

``bench.run`` starts it in a fresh process per scenario, with an environment that points Django at a
fresh, migrated SQLite file (DATABASE_URL) and at a Redis port where nothing listens: ``run_request``'s
wake-up call fails quietly (the hub is built for that), and this process is the one worker, calling
``run_execute`` itself. Its measurements go to ``--out`` as JSON; ``bench.run`` documents them.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import pstats
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import requests
import yaml

FLOW_NAME = "Bench people"
FIELDS = [
    {"name": "email", "type": "email", "required": True, "natural_key": True},
    {"name": "first_name", "type": "text"},
    {"name": "last_name", "type": "text"},
    {"name": "company", "type": "text"},
    {"name": "phone", "type": "text"},
    {"name": "street", "type": "text"},
    {"name": "postcode", "type": "text"},
    {"name": "city", "type": "text"},
    {"name": "country", "type": "text", "format_rule": "^[A-Z]{2}$"},
    {"name": "updated_at", "type": "datetime"},
]
# 10 rules, 5 distinct transforms (email, trim, title, upper, datetime), 13 steps, 3 rules with chains.
INBOUND = [
    {"source": "email", "target": "email", "transforms": ["email"]},
    {"source": "first_name", "target": "first_name", "transforms": ["trim", "title"]},
    {"source": "last_name", "target": "last_name", "transforms": ["trim", "title"]},
    {"source": "company", "target": "company", "transforms": ["trim"]},
    {"source": "phone", "target": "phone", "transforms": ["trim"]},
    {"source": "address.street", "target": "street", "transforms": ["trim"]},
    {"source": "address.postcode", "target": "postcode", "transforms": ["trim"]},
    {"source": "address.city", "target": "city", "transforms": ["trim"]},
    {"source": "address.country", "target": "country", "transforms": ["trim", "upper"]},
    {"source": "updated_at", "target": "updated_at", "transforms": ["datetime"]},
]
OUTBOUND = [
    {"source": "email", "target": "email"},
    {"source": "first_name", "target": "given_name"},
    {"source": "last_name", "target": "family_name"},
    {"source": "company", "target": "organisation"},
    {"source": "phone", "target": "phone"},
    {"source": "street", "target": "address.line1"},
    {"source": "postcode", "target": "address.zip"},
    {"source": "city", "target": "address.city"},
    {"source": "country", "target": "address.country"},
    {"source": "updated_at", "target": "changed_at"},
]
MAPPING = {
    "fields": len(INBOUND),
    "transforms": sorted({step for rule in INBOUND for step in rule["transforms"]}),
    "steps": sum(len(rule["transforms"]) for rule in INBOUND),
    "rules_with_chains": sum(len(rule["transforms"]) > 1 for rule in INBOUND),
}
RETRY_WINDOW_SECONDS = 600  # how long a run may keep pushing its backlog: a bound, never reached here
HTTP_TIMEOUT = 30


def _system(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "http_json",
        "description": f"The bench's {name.lower()} server.",
        "owner_team": "Bench",
        "contact": "bench@example.com",
        "environment": "staging",
        "status": "active",
        "settings": {"auth_style": "bearer", "read_timeout": HTTP_TIMEOUT, **settings},
        "secrets": ["bearer_token"],
    }


def flow_config(source_url: str, target_url: str, page_size: int) -> str:
    source = _system(
        "Source",
        {
            "base_url": source_url, "probe_path": "/stats", "read_path": "/records", "records_path": "data",
            "pagination": "page", "page_param": "page", "page_size_param": "per_page", "page_size": page_size,
        },
    )  # fmt: skip
    target = _system(
        "Target",
        {"base_url": target_url, "probe_path": "/health", "push_path": "/items/batch", "push_mode": "batch"},
    )
    flow = {
        "name": FLOW_NAME, "entity": "Person", "source": "Source", "targets": ["Target"],
        "business_outcome": "The target knows every person the source knows, exactly once.",
        "freshness_minutes": 60, "trigger": "manual", "state": "active",
        "retry_window_seconds": RETRY_WINDOW_SECONDS,
    }  # fmt: skip
    document = {
        "version": 1,
        "systems": [source, target],
        "entities": [{"name": "Person", "description": "Someone both systems know.", "fields": FIELDS}],
        "mappings": [
            {"system": "Source", "entity": "Person", "direction": "inbound", "rules": INBOUND},
            {"system": "Target", "entity": "Person", "direction": "outbound", "rules": OUTBOUND},
        ],
        "source_of_truth": [{"entity": "Person", "system": "Source"}],
        "flows": [flow],
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def setup_flow(args: argparse.Namespace) -> Any:
    """Import the configuration, store the tokens, publish both mappings: what a person would do."""
    from hub.configuration.importer import config_import
    from hub.flows.models import Flow
    from hub.mappings.models import Mapping
    from hub.mappings.services import mapping_publish
    from hub.systems.models import System
    from hub.systems.services import secret_set

    config_import(text=flow_config(args.source_url, args.target_url, args.page_size), dry_run=False)
    for name, variable in (("Source", "BENCH_SOURCE_TOKEN"), ("Target", "BENCH_TARGET_TOKEN")):
        system = System.objects.get(name=name)
        secret_set(system=system, name="bearer_token", value=os.environ[variable], actor=None)
    for mapping in Mapping.objects.filter(entity__name="Person"):
        mapping_publish(mapping=mapping, note="Published by the bench.", actor=None)
    return Flow.objects.get(name=FLOW_NAME)


class QueryCounter:
    """A connection.execute_wrapper that counts every query, and apart those made while delivering; it also
    adds up the time spent delivering (inside ``deliver_due``: claiming, pushing, recording)."""

    def __init__(self) -> None:
        self.total = 0
        self.delivery = 0
        self.delivery_seconds = 0.0
        self._delivering = False

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.total += 1
        self.delivery += self._delivering
        return execute(sql, params, many, context)

    def delivering(self, deliver: Callable[..., int]) -> Callable[..., int]:
        def counted(**kwargs: Any) -> int:
            self._delivering = True
            started = time.perf_counter()
            try:
                return deliver(**kwargs)
            finally:
                self._delivering = False
                self.delivery_seconds += time.perf_counter() - started

        return counted


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux gives KiB


def server_stats(url: str, variable: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {os.environ[variable]}"}
    response = requests.get(f"{url}/stats", headers=headers, timeout=HTTP_TIMEOUT)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def measure_run(flow: Any, args: argparse.Namespace, profile: Path | None) -> dict[str, Any]:
    from django.db import connection

    from hub.flows import runs

    counter = QueryCounter()
    profiler = cProfile.Profile() if profile is not None else None
    source_before = server_stats(args.source_url, "BENCH_SOURCE_TOKEN")
    target_before = server_stats(args.target_url, "BENCH_TARGET_TOKEN")
    started = time.perf_counter()
    with (
        connection.execute_wrapper(counter),
        mock.patch.object(runs, "deliver_due", counter.delivering(runs.deliver_due)),
    ):
        if profiler is not None:
            profiler.enable()
        run, _ = runs.run_request(flow=flow, trigger="manual")
        finished = runs.run_execute(run.pk, worker="bench")
        if profiler is not None:
            profiler.disable()
    seconds = time.perf_counter() - started
    if profiler is not None and profile is not None:
        report_profile(profiler, profile)
    if finished is None:
        raise SystemExit("bench: the run was not executed (claimed by another worker?)")
    source = server_stats(args.source_url, "BENCH_SOURCE_TOKEN")
    target = server_stats(args.target_url, "BENCH_TARGET_TOKEN")
    counts = ("fetched", "created", "updated", "unchanged", "quarantined", "conflicts", "failed")
    pushed = target["records"] - target_before["records"]
    return {
        "seconds": seconds,
        "records_per_second": finished.fetched / seconds,
        "state": finished.state,
        "error": finished.error,
        **{name: getattr(finished, name) for name in counts},
        "dead_lettered": finished.dead_lettered,
        "pages": finished.pages,
        "queries": counter.total,
        "delivery_queries": counter.delivery,
        "queries_per_page": counter.total / max(finished.pages, 1),
        "pipeline_queries_per_page": (counter.total - counter.delivery) / max(finished.pages, 1),
        "peak_rss_mib": peak_rss_mib(),
        "pushed_batches": target["batches"] - target_before["batches"],
        "pushed_records": pushed,
        "delivery_seconds": counter.delivery_seconds,
        "push_records_per_second": pushed / counter.delivery_seconds if counter.delivery_seconds else 0.0,
        "source_busy_seconds": source["busy_seconds"] - source_before["busy_seconds"],
        "target_busy_seconds": target["busy_seconds"] - target_before["busy_seconds"],
    }


def report_profile(profiler: cProfile.Profile, path: Path) -> None:
    profiler.dump_stats(path)
    print(f"\nprofile written to {path}; the hub's functions by cumulative time:")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"hub/|connectors/", 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source-url", required=True)
    parser.add_argument("--target-url", required=True)
    parser.add_argument("--page-size", type=int, required=True)
    parser.add_argument("--runs", type=int, default=1, choices=[1, 2])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--profile", type=Path, help="profile each run with cProfile into this folder")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
    import django

    django.setup()
    # No Redis on purpose: this process is the worker. The hub logs the missed wake-up call as a warning.
    logging.getLogger("hub.flows.jobs").setLevel(logging.ERROR)
    flow = setup_flow(args)
    result: dict[str, Any] = {"setup_peak_rss_mib": peak_rss_mib(), "mapping": MAPPING, "runs": []}
    for number in range(1, args.runs + 1):
        profile = args.profile / f"profile-run{number}.pstats" if args.profile else None
        result["runs"].append(measure_run(flow, args, profile))
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
