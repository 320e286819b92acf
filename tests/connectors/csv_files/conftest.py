"""Real folders under the test's tmp_path: an inbox the "other system" fills, an outbox, a done folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectorConfig
from connectors.csv_files import CsvFilesConnector
from tests.connectors.csv_files.exchange import Exchange


@pytest.fixture
def exchange(tmp_path: Path) -> Exchange:
    folders = Exchange(tmp_path / "inbox", tmp_path / "outbox", tmp_path / "done")
    for folder in (folders.inbox, folders.outbox, folders.done):
        folder.mkdir()
    return folders


@pytest.fixture
def connect(exchange: Exchange) -> Callable[..., CsvFilesConnector]:
    def make(**values: Any) -> CsvFilesConnector:
        defaults = {"inbox": str(exchange.inbox), "outbox": str(exchange.outbox)}
        return CsvFilesConnector(ConnectorConfig("Warehouse", defaults | values))

    return make
