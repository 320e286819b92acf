"""Retention: the chain's oldest entries moved to a JSON-lines file, never deleted without it.

A file holds a header (the anchor it continues from), one line per sealed entry in chain order (the seal
and the entry exactly as hashed), and a closing anchor line. The file is verified before anything is
deleted; entries, seals and the new ``AuditAnchor`` row change in one transaction, so verification of
what stays continues from the anchor.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from auditlog.models import LogEntry
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hub.audit.chain import (
    GENESIS,
    Problem,
    SealRow,
    _deleted_actors,
    _head_locked,
    _seals_with_entries,
    _Walk,
    audit_seal_pending,
    canonical_row,
    chain_link,
    entry_hash,
)
from hub.audit.events import Event
from hub.audit.models import AuditAnchor, AuditSeal
from hub.audit.services import Actor, audit_access


class ArchiveError(Exception):
    pass


@dataclass(frozen=True)
class ArchiveResult:
    path: Path
    count: int
    first_sequence: int
    sequence: int
    chain_hash: str
    file_sha256: str


def archive_directory() -> Path:
    return Path(getattr(settings, "HUB_AUDIT_ARCHIVE_DIR", settings.VAR_DIR / "audit-archive"))


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, default=str, separators=(",", ":"), ensure_ascii=False) + "\n"


def _archivable(after: int, cutoff: datetime) -> Iterator[tuple[SealRow, dict[str, Any]]]:
    """The chain's oldest seals, in order, up to the first entry newer than the cutoff; refuses a broken chain."""
    anchor = AuditAnchor.objects.order_by("-sequence").first()
    walk = _Walk(anchor)
    walk.deleted_actors = _deleted_actors()
    for seal, row in _seals_with_entries(after):
        if row is not None and row["timestamp"] >= cutoff:
            return
        walk.check(seal, row)
        if walk.problems:
            problem = walk.problems[0]
            raise ArchiveError(
                f"The trail is not intact at position {problem.position} ({problem.what}) "
                "Nothing was archived: run verify_audit and investigate first."
            )
        assert row is not None  # a missing entry is a problem, raised above
        yield seal, row


def _write(path: Path, previous: AuditAnchor | None, cutoff: datetime) -> tuple[list[int], int, int, str]:
    """Write the file; return the archived entry ids, first and last sequence, and the last chain hash."""
    after = previous.sequence if previous else 0
    chain_hash = previous.chain_hash if previous else GENESIS
    ids: list[int] = []
    first = last = after
    with path.open("w", encoding="utf-8") as out:
        out.write(
            _dump({"kind": "header", "after_sequence": after, "after_hash": chain_hash, "cutoff": cutoff})
        )
        for seal, row in _archivable(after, cutoff):
            first = first if ids else seal.sequence
            ids.append(seal.entry_id)
            last, chain_hash = seal.sequence, seal.chain_hash
            out.write(_dump(_line(seal, row)))
        out.write(_dump({"kind": "anchor", "sequence": last, "chain_hash": chain_hash, "count": len(ids)}))
    return ids, first, last, chain_hash


def _line(seal: SealRow, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "entry",
        "sequence": seal.sequence,
        "entry_hash": seal.entry_hash,
        "chain_hash": seal.chain_hash,
        "actor_id": seal.actor_id,
        "sealed_at": seal.sealed_at,
        "entry": canonical_row(row),
    }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive_verify(path: Path, sha256: str | None = None) -> list[Problem]:
    """Recompute an archive file's chain from its header to its anchor line; [] when it is intact."""
    problems: list[Problem] = []
    if sha256 is not None and file_sha256(path) != sha256:
        problems.append(Problem(None, None, "the file's SHA-256 is not the one recorded with its anchor."))
    try:
        return problems + _archive_chain_problems(path)
    except (ValueError, KeyError, TypeError, AttributeError):
        return [*problems, Problem(None, None, "the file is not an audit archive (unreadable lines).")]


def _archive_chain_problems(path: Path) -> list[Problem]:
    problems: list[Problem] = []
    with path.open(encoding="utf-8") as source:
        lines = (json.loads(text) for text in source)
        header: dict[str, Any] = next(lines, {})
        previous, count = header.get("after_hash", ""), 0
        closing: dict[str, Any] = {}
        for line in lines:
            if line.get("kind") == "anchor":
                closing = line
                break
            count += 1
            if entry_hash(line["entry"]) != line["entry_hash"]:
                problems.append(Problem(line["sequence"], line["entry"].get("id"), "the entry was edited."))
            if chain_link(previous, line["sequence"], line["entry_hash"]) != line["chain_hash"]:
                problems.append(Problem(line["sequence"], line["entry"].get("id"), "the chain breaks here."))
            previous = line["chain_hash"]
    if closing.get("chain_hash") != previous or closing.get("count") != count:
        problems.append(Problem(None, None, "the closing anchor does not match the entries above it."))
    return problems


def audit_archive(
    *, older_than_days: int, directory: Path | None = None, actor: Actor = None
) -> ArchiveResult | None:
    """Archive entries older than the cutoff (the chain's oldest part); None when there are none."""
    audit_seal_pending()
    now = timezone.now()
    cutoff = now - timedelta(days=older_than_days)
    directory = directory or archive_directory()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"audit-{now:%Y%m%dT%H%M%S%f}Z.jsonl"
    partial = path.with_suffix(".partial")
    try:
        return _archive_locked(partial, path, cutoff, now, actor)
    except BaseException:
        # The transaction did not commit: no archive file may stay without its anchor (the next archive
        # would hold the same entries again).
        path.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
        raise


def _archive_locked(
    partial: Path, path: Path, cutoff: datetime, now: datetime, actor: Actor
) -> ArchiveResult | None:
    with transaction.atomic():
        _head_locked()  # no sealing while the chain is cut
        previous = AuditAnchor.objects.order_by("-sequence").first()
        try:
            ids, first, last, chain_hash = _write(partial, previous, cutoff)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if not ids:
            partial.unlink()
            return None
        result = _settle(partial, path, ids, (first, last, chain_hash), cutoff, now)
        anchor = AuditAnchor.objects.get(sequence=last)
        what = f"audit trail: {len(ids)} entries (seals {first}-{last}) archived to {path.name}"
        audit_access(
            instance=anchor, what=what, reason="retention archive", actor=actor, event=Event.EXPORTED
        )
    return result


def _settle(
    partial: Path, path: Path, ids: list[int], span: tuple[int, int, str], cutoff: datetime, now: datetime
) -> ArchiveResult:
    """Verify the written file, keep it, then delete what it holds and record its anchor."""
    first, last, chain_hash = span
    sha256 = file_sha256(partial)
    problems = archive_verify(partial, sha256)
    if problems:
        partial.unlink()
        raise ArchiveError(f"The archive did not verify ({problems[0].what}): nothing was deleted.")
    os.replace(partial, path)
    for start in range(0, len(ids), 500):
        LogEntry.objects.filter(pk__in=ids[start : start + 500]).delete()
    AuditSeal.objects.filter(sequence__gte=first, sequence__lte=last).delete()
    AuditAnchor.objects.create(
        first_sequence=first,
        sequence=last,
        chain_hash=chain_hash,
        count=len(ids),
        cutoff=cutoff,
        path=str(path),
        file_sha256=sha256,
        archived_at=now,
    )
    return ArchiveResult(path, len(ids), first, last, chain_hash, sha256)
