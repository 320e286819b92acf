from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.base import ConnectorConfig
from connectors.http_json import HttpJsonConnector
from tests.connectors.servers import FakeApi


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
        config = ConnectorConfig(system_name="Test CRM", values=values, secrets=secrets or {})
        made.append(HttpJsonConnector(config))
        return made[-1]

    yield make
    for connector in made:
        connector.close()
