"""Shared fixtures: real sample systems on loopback, the demo configuration pointed at them, people."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from demo.samples.runner import SampleSystems, start_sample_systems
from demo.samples.secrets import load_or_create_secrets
from tests.access import secret_scan

# Playwright drives a browser from a thread that Django sees as async; the ORM calls are ours and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEMO_SYSTEM_KEYS = {"CRM": "crm", "ERP": "erp", "Billing": "billing"}


@pytest.fixture(scope="session")
def sample_secrets() -> dict[str, str]:
    return load_or_create_secrets(Path(settings.HUB_SAMPLE_SECRETS_FILE))


@pytest.fixture(scope="session")
def sample_systems(sample_secrets: dict[str, str]) -> Iterator[SampleSystems]:
    """The CRM, ERP and billing sample systems, each a real HTTP server on an ephemeral loopback port."""
    with start_sample_systems(sample_secrets) as systems:
        yield systems


@pytest.fixture
def demo(db: Any, sample_systems: SampleSystems) -> Any:
    """The demo configuration, loaded the way `make run` loads it, pointed at this test run's servers."""
    from demo.loading import demo_load
    from hub.systems.models import System

    report = demo_load()
    for system in System.objects.filter(name__in=DEMO_SYSTEM_KEYS):
        system.params = {**system.params, "base_url": sample_systems.urls[DEMO_SYSTEM_KEYS[system.name]]}
        system.save(update_fields=["params"])
    return report


@pytest.fixture
def business_admin(db: Any) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("beatrice", "beatrice@example.com", "correct-horse-42")


# The secrets scan over the whole run (tests/access/secret_scan.py says what it watches and its exceptions).


@pytest.fixture(scope="session", autouse=True)
def _secrets_scan() -> Iterator[secret_scan.SecretScan]:
    with secret_scan.installed() as scan:
        yield scan


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    secret_scan.SCAN.test = item.nodeid
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Before the test's database is rolled back or flushed: its audit entries, then all it produced."""
    if item.get_closest_marker("django_db") or "_django_db_helper" in getattr(item, "fixturenames", ()):
        from django.db import DatabaseError

        # A test that left its transaction broken: its entries cannot be read.
        with contextlib.suppress(DatabaseError):
            secret_scan.SCAN.pending += secret_scan.audit_haystacks()
    secret_scan.SCAN.flush()
    yield


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    scan = secret_scan.SCAN
    scan.flush(to_the_end=True)  # and what workers wrote last
    if scan.hits:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    reporter.write_line("")
    if not scan.hits:
        reporter.write_line(
            f"secrets scan: {len(scan.needles)} secrets looked for in {scan.scanned} log lines, "
            f"responses and audit entries ({scan.seconds:.1f} s of searching): none found."
        )
        return
    reporter.write_sep("=", f"secrets scan: {len(scan.hits)} plaintext secret(s) found", red=True)
    for hit in scan.hits:
        reporter.write_line(hit, red=True)
