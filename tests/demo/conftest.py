from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from demo.samples import SampleSystems, start_sample_systems
from tests.demo.clients import SECRETS, TIMEOUT, Client, client_for


@pytest.fixture(scope="module")
def running() -> Iterator[SampleSystems]:
    with start_sample_systems(SECRETS) as systems:
        yield systems


@pytest.fixture
def systems(running: SampleSystems) -> SampleSystems:
    """The module's sample systems, reset to their seed data (and no outage) before each test."""
    for url in running.urls.values():
        requests.post(f"{url}/_control/reset", timeout=TIMEOUT).raise_for_status()
    return running


@pytest.fixture
def crm(systems: SampleSystems) -> Iterator[Client]:
    with client_for("crm", systems.urls["crm"]) as client:
        yield client


@pytest.fixture
def erp(systems: SampleSystems) -> Iterator[Client]:
    with client_for("erp", systems.urls["erp"]) as client:
        yield client


@pytest.fixture
def billing(systems: SampleSystems) -> Iterator[Client]:
    with client_for("billing", systems.urls["billing"]) as client:
        yield client
