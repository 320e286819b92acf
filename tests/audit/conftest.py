"""Each test keeps its own head record of the audit chain: a shared file would hold the heads of chains
that earlier tests sealed (and whose database was flushed since), which verification would rightly call
rewritten."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def head_record(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings.HUB_AUDIT_HEAD_FILE = tmp_path_factory.mktemp("heads") / "audit-chain-heads.jsonl"
    return settings.HUB_AUDIT_HEAD_FILE
