"""The audit chain's head record, kept outside the database (HUB_AUDIT_HEAD_FILE): one JSON line per
sealing (at most every HUB_AUDIT_HEAD_INTERVAL_SECONDS) and one per archive, appended; verification
compares the chain with it (``hub.audit.checking``)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings

from hub.audit.models import ChainHead, seal_time_text

logger = logging.getLogger(__name__)

# --- the head record, outside the database ---------------------------------------------------------


def head_record_path() -> Path | None:
    """The head record file (HUB_AUDIT_HEAD_FILE); None when it is turned off (an empty setting)."""
    configured = getattr(settings, "HUB_AUDIT_HEAD_FILE", settings.VAR_DIR / "audit-chain-heads.jsonl")
    return Path(configured) if str(configured) else None


def record_due(head: ChainHead, sequence: int, now: datetime) -> bool:
    """Whether this sealing writes the head: the chain moved since the last line, and the last line is at
    least HUB_AUDIT_HEAD_INTERVAL_SECONDS old (a busy hub seals on every commit; one line each would grow
    the file by about 100 bytes a commit). A throttled head is written by the next sealing or tick."""
    if head_record_path() is None or sequence <= head.recorded_sequence:
        return False
    interval = timedelta(seconds=getattr(settings, "HUB_AUDIT_HEAD_INTERVAL_SECONDS", 5))
    return head.recorded_at is None or head.recorded_at <= now - interval


def head_record_append(sequence: int, chain_hash: str, at: datetime) -> None:
    """Append the head as one line."""
    if _record_line({"sequence": sequence, "chain_hash": chain_hash, "at": seal_time_text(at)}):
        logger.info("audit chain sealed to %s: %s", sequence, chain_hash)


def head_record_append_anchor(
    first: int, sequence: int, chain_hash: str, sha256: str, link_version: int, at: datetime
) -> None:
    """Append an archive's anchor (archive_audit, once its anchor is committed): verification reports an
    anchor row without its line, which no archive made."""
    line = {
        "kind": "anchor",
        "first_sequence": first,
        "sequence": sequence,
        "chain_hash": chain_hash,
        "file_sha256": sha256,
        "link_version": link_version,
        "at": seal_time_text(at),
    }
    if _record_line(line):
        logger.info("audit chain archived up to %s: %s", sequence, chain_hash)


def _record_line(data: dict[str, Any]) -> bool:
    """One write to a file opened with O_APPEND, so lines from many workers never mix."""
    path = head_record_path()
    if path is None:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(descriptor, (json.dumps(data) + "\n").encode())
        finally:
            os.close(descriptor)
    except OSError:  # committed already; verification will say the record is behind or missing
        logger.warning("Could not append to the audit chain's head record %s.", path, exc_info=True)
        return False
    return True


@dataclass(frozen=True)
class RecordedHead:
    chain_hash: str
    at: str
    line: int


@dataclass(frozen=True)
class RecordedAnchor:
    first_sequence: int
    chain_hash: str
    file_sha256: str
    line: int


@dataclass
class HeadRecord:
    """What the head record holds: heads and archive anchors by sequence, and where it starts."""

    heads: dict[int, RecordedHead] = field(default_factory=dict)
    anchors: dict[int, RecordedAnchor] = field(default_factory=dict)
    start: tuple[int, datetime] | None = None  # its first readable line's sequence and time
    read: bool = False  # the file exists and was read


def head_record_read(*, anchors_only: bool = False) -> tuple[HeadRecord, list[str]]:
    """Everything the record holds (or only its anchor lines, and where it starts), and warnings about what
    could not be read."""
    path = head_record_path()
    record = HeadRecord()
    if path is None:
        return record, [
            "No head record is kept (HUB_AUDIT_HEAD_FILE is empty): seals cut off the end of the "
            "chain together with its head, or archive anchors inserted by hand, would go unnoticed."
        ]
    bad: list[int] = []
    try:
        with path.open(encoding="utf-8") as source:
            for number, text in enumerate(source, start=1):
                if anchors_only and record.start is not None and '"anchor"' not in text:
                    continue
                try:
                    _record_take(record, json.loads(text), number)
                except (ValueError, KeyError, TypeError, AttributeError):
                    bad.append(number)
    except FileNotFoundError:
        return record, [
            f"The head record {path} does not exist: the end of the chain was not compared with it."
        ]
    except OSError as error:
        return record, [
            f"The head record {path} could not be read ({error.strerror}): the end of the chain was not compared with it."
        ]
    record.read = True
    warnings = (
        [f"The head record {path} has {len(bad)} unreadable line(s), first line {bad[0]}."] if bad else []
    )
    return record, warnings


def _record_take(record: HeadRecord, line: dict[str, Any], number: int) -> None:
    sequence, chain_hash, at = int(line["sequence"]), str(line["chain_hash"]), str(line["at"])
    moment = datetime.fromisoformat(at)
    if line.get("kind") == "anchor":
        anchor = RecordedAnchor(int(line["first_sequence"]), chain_hash, str(line["file_sha256"]), number)
        record.anchors.setdefault(sequence, anchor)
    else:
        record.heads.setdefault(sequence, RecordedHead(chain_hash, at, number))
    if record.start is None:
        record.start = (sequence, moment)
