"""The CSV files kind: files another system leaves in a folder, and files the hub leaves for it."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from functools import cached_property

from connectors.base import (
    ConfigurationError,
    Connector,
    ConnectorError,
    OutgoingRecord,
    Page,
    ProbeResult,
    PushOutcome,
    UnreachableError,
)

from .cursor import decode
from .fetch import read_pages
from .folders import check_writable, list_files
from .options import CsvOptions, build_options, pattern, prefix
from .params import PARAMS
from .writing import write_batch


class CsvFilesConnector(Connector):
    """CSV files in folders on this machine (or a share mounted on it).

    ``fetch(since=..., resource=pattern)`` reads the files not read yet, in name order (see ``fetch`` and
    ``cursor`` for the pages and the position). ``push(batch, resource=file name start)`` writes one file
    per batch, atomically and once (see ``writing``). Nothing is kept between calls but the position.
    """

    kind = "csv_files"
    label = "CSV files in a folder"
    description = "CSV files another system leaves in a folder, and files the hub leaves for it in another."
    params = PARAMS
    resumes = True  # each page's cursor is the position to resume from

    @cached_property
    def options(self) -> CsvOptions:
        return build_options(self.params, self.config)

    def probe(self) -> ProbeResult:
        options, started = self.options, time.monotonic()
        if options.inbox is None and options.outbox is None:
            raise ConfigurationError("Set “Folder to read files from” or “Folder to write files to” first.")
        try:
            findings = [*self._probe_inbox(options), *self._probe_outbox(options)]
        except ConnectorError as error:
            reachable = not isinstance(error, UnreachableError)
            return ProbeResult(reachable, False, _elapsed_ms(started), error.message)
        return ProbeResult(True, True, _elapsed_ms(started), "; ".join(findings) + ".")

    def fetch(self, *, since: str | None = None, resource: str | None = None) -> Iterator[Page]:
        options = self.options
        if options.inbox is None:
            raise ConfigurationError("Set “Folder to read files from” before reading from this system.")
        glob = pattern(resource, "File pattern of the flow") if resource else options.pattern
        present = list_files(options.inbox, glob)
        yield from read_pages(present, decode(since).pruned(present), options)

    def push(self, batch: Sequence[OutgoingRecord], *, resource: str | None = None) -> list[PushOutcome]:
        options = self.options
        if options.outbox is None:
            raise ConfigurationError("Set “Folder to write files to” before sending records to this system.")
        start = prefix(resource, "File name start of the flow") if resource else options.file_prefix
        if not batch:
            return []
        return write_batch(options.outbox, start, batch, options)

    def _probe_inbox(self, options: CsvOptions) -> list[str]:
        if options.inbox is None:
            return []
        count = len(list_files(options.inbox, options.pattern))
        found = f"{options.inbox} can be read, {_files(count)} match {options.pattern}"
        if options.processed_folder is None:
            return [found]
        for folder in (options.inbox, options.processed_folder):
            check_writable(folder)  # moving a file changes both folders
        return [found, f"read files can be moved to {options.processed_folder}"]

    def _probe_outbox(self, options: CsvOptions) -> list[str]:
        if options.outbox is None:
            return []
        check_writable(options.outbox)
        return [f"files can be written to {options.outbox}"]


def _files(count: int) -> str:
    return "1 file" if count == 1 else f"{count} files"


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
