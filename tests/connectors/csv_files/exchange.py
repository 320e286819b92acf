"""Folders under a test's tmp_path standing for a file exchange with another system, and page helpers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.base import Page

MAX_PAGES = 1000  # every loop over pages stops here, whatever the connector does


@dataclass(frozen=True)
class Exchange:
    inbox: Path
    outbox: Path
    done: Path

    def drop(self, name: str, text: str, encoding: str = "utf-8", mtime_ns: int | None = None) -> Path:
        """The other system leaves a file in the inbox."""
        path = self.inbox / name
        path.write_bytes(text.encode(encoding))
        if mtime_ns is not None:
            os.utime(path, ns=(mtime_ns, mtime_ns))
        return path


def all_pages(pages: Iterator[Page]) -> list[Page]:
    collected: list[Page] = []
    for page in pages:
        collected.append(page)
        assert len(collected) <= MAX_PAGES, "the connector never stopped"
    return collected


def records(pages: list[Page]) -> list[dict[str, Any]]:
    return [record for page in pages for record in page.records]
