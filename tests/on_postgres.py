"""Run some tests with the hub's own database on PostgreSQL: ``python -m tests.on_postgres [pytest args]``.

The rest of the suite keeps the hub's data in SQLite (a file, so that real worker processes share it). The
engine writes its rows with its own SQL (hub/flows/engine/bulk.py), and production runs on PostgreSQL, so
`make test` runs the engine's end-to-end tests a second time here, in a throwaway cluster on 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.connectors.sql.postgres import PASSWORD, USER, postgres_bin, start_cluster

DEFAULT = [
    "tests/flows/test_engine_faults.py",
    "tests/flows/test_engine_corrections.py",
    "tests/flows/test_engine_demo.py",
    "tests/flows/test_webhook.py",
    "tests/api/test_push.py",
    "tests/api/test_idempotency_live.py",
    "tests/api/test_throttle_concurrency.py",
    "tests/api/test_bad_input.py",
    "tests/api/test_batch_outcomes.py",
    "tests/api/test_push_order.py",
    "tests/audit/test_chain_postgres.py",
    "tests/audit/test_chain_tampering.py",
]


def main(args: list[str]) -> int:
    """Options go to pytest; without test paths, the engine's end-to-end tests run."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        print("PostgreSQL is not installed (no initdb): make test installs it.", file=sys.stderr)
        return 1
    cluster = start_cluster(bin_dir)
    try:
        cluster.admin(f"ALTER ROLE {USER} CREATEDB")  # pytest-django creates and drops its test database
        cluster.admin(f"CREATE DATABASE hub OWNER {USER}")
        url = f"postgres://{USER}:{PASSWORD}@127.0.0.1:{cluster.port}/hub"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "HUB_VAR_DIR": os.environ.get("HUB_VAR_DIR", "var/test") + "-pg",
            # The audit tables refuse TRUNCATE (audit migration 0006) unless the session allows it;
            # pytest-django empties the throwaway test database with TRUNCATE after each transactional
            # test, so every connection of this run allows it (a test of the refusal turns it off).
            "PGOPTIONS": (os.environ.get("PGOPTIONS", "") + " -c hub.audit_truncate=on").strip(),
        }
        paths = [] if any(not arg.startswith("-") for arg in args) else DEFAULT
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, *paths]
        return subprocess.run(command, env=env, check=False, timeout=1200).returncode
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
