from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.base import ConnectorConfig
from connectors.http_json import HttpJsonConnector
from connectors.outbound import OutboundHosts
from tests.connectors.servers import FakeApi

# This machine, and names that never resolve (tests of DNS failures must reach the lookup).
TEST_HOSTS = OutboundHosts.parse(
    ["localhost", "127.0.0.0/8", "::1", "x.invalid", "no-such-host.invalid", "no-such-system.invalid"]
)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    server = FakeApi().start()
    yield server
    server.stop()


@pytest.fixture
def make_connector() -> Iterator[Any]:
    """Build connectors for a test and close them all afterwards."""
    made: list[HttpJsonConnector] = []

    def make(values: dict[str, Any], secrets: dict[str, str] | None = None) -> HttpJsonConnector:
        config = ConnectorConfig(
            system_name="Test CRM", values=values, secrets=secrets or {}, allowed_hosts=TEST_HOSTS
        )
        made.append(HttpJsonConnector(config))
        return made[-1]

    yield make
    for connector in made:
        connector.close()
