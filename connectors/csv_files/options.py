"""Check a ``ConnectorConfig`` and turn it into typed options; folders and names are checked with care.

Folders are configuration that decides where the hub reads, moves and writes files: each must be a full
path without ``..``, is resolved (symbolic links followed) once, and the folder read from must differ
from the folders written to, so that the hub never reads back what it writes or moves a file onto itself.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from connectors.base import ConfigurationError, ConnectorConfig, Param
from connectors.http_json.options import read_values

_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_TAB = "tab"


@dataclass(frozen=True)
class CsvOptions:
    inbox: Path | None
    pattern: str
    processed_folder: Path | None
    outbox: Path | None
    file_prefix: str
    delimiter: str
    encoding: str
    header: bool
    page_size: int

    @property
    def read_encoding(self) -> str:
        """UTF-8 files are read whether or not they start with a BOM (Excel writes one)."""
        return "utf-8-sig" if self.encoding == "utf-8" else self.encoding


def build_options(params: tuple[Param, ...], config: ConnectorConfig) -> CsvOptions:
    values = read_values(params, config)
    options = CsvOptions(
        inbox=folder(values["inbox"], "Folder to read files from"),
        pattern=pattern(values["pattern"] or "*.csv", "File names to read"),
        processed_folder=folder(values["processed_folder"], "Move read files to"),
        outbox=folder(values["outbox"], "Folder to write files to"),
        file_prefix=prefix(values["file_prefix"] or "records", "Start of written file names"),
        delimiter="\t" if values["delimiter"] == _TAB else str(values["delimiter"]),
        encoding=str(values["encoding"]),
        header=bool(values["header"]),
        page_size=int(values["page_size"]),
    )
    _check_distinct(options)
    return options


def folder(value: object, label: str) -> Path | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not os.path.isabs(text) or ".." in Path(text).parts:
        raise ConfigurationError(
            f"“{label}” must be a full path starting with /, without “..”, e.g. /srv/exchange/erp."
        )
    return Path(text).resolve()


def pattern(value: object, label: str) -> str:
    text = str(value).strip()
    if not text or "/" in text or "\\" in text or text in (".", ".."):
        raise ConfigurationError(f"“{label}” must be a file name pattern such as *.csv, without folders.")
    return text


def prefix(value: object, label: str) -> str:
    text = str(value).strip()
    if not _PREFIX.fullmatch(text):
        raise ConfigurationError(
            f"“{label}” may hold only letters, digits, dots, dashes and underscores (at most 100), "
            f"and must not start with a dot or a dash."
        )
    return text


def _check_distinct(options: CsvOptions) -> None:
    if options.inbox is None:
        return
    if options.inbox == options.outbox:
        raise ConfigurationError(
            "“Folder to write files to” must differ from “Folder to read files from”: the hub would "
            "read back what it writes."
        )
    if options.inbox == options.processed_folder:
        raise ConfigurationError("“Move read files to” must differ from “Folder to read files from”.")
