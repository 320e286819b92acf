"""Retention: the chain's oldest entries moved to a JSON-lines file, never deleted without it.

A file holds a header (the anchor it continues from), one line per sealed entry in chain order (the seal
and the entry exactly as hashed), and a closing anchor line. It is written from seals already made (they
never change), without holding the chain's head, so that sealing (every commit that writes an entry) goes
on meanwhile. The file is verified before anything is deleted; then, holding the head briefly, the archive
checks that no other archive was recorded since it started, keeps the file, records the new
``AuditAnchor`` and deletes the entries and seals it holds, in one transaction: verification of what stays
continues from the anchor. A transaction that does not commit leaves no file behind. Once committed, the
anchor (its seals, chain hash and the file's SHA-256) is also appended to the head record outside the
database: verification reports an anchor row no archive noted there (one inserted by hand would open what
it covers to deletion), and compares the newest anchor with its file when the file is still there.

Archive files chain to one another (each header names the last seal and chain hash of the one before):
``archives_in_order`` checks a set of them in order, with nothing but the files, and
``archive_joins_live_chain`` that the last one continues into the chain in the database.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from auditlog.models import LogEntry
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hub.audit.chain import (
    SealRow,
    _head_locked,
    audit_seal_pending,
    canonical_row,
    entry_hash,
    link_of,
)
from hub.audit.checking import Problem, _deleted_actors, _seals_with_entries, _Walk
from hub.audit.events import Event
from hub.audit.heads import head_record_append_anchor
from hub.audit.models import GENESIS, AuditAnchor, AuditSeal, ChainHead, seal_time_text
from hub.audit.services import Actor, audit_access

DELETE_BATCH = 500


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


def _archivable(
    previous: AuditAnchor | None, cutoff: datetime, upto: int
) -> Iterator[tuple[SealRow, dict[str, Any]]]:
    """The chain's oldest seals, in order, up to the first entry newer than the cutoff; refuses a broken chain."""
    walk = _Walk(previous)
    walk.deleted_actors = _deleted_actors()
    for seal, row in _seals_with_entries(previous.sequence if previous else 0, upto):
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


def _write(
    path: Path, previous: AuditAnchor | None, cutoff: datetime, upto: int
) -> tuple[list[int], int, int, str, int]:
    """Write the file; return the archived entry ids, first and last sequence, the last chain hash and the
    last seal's link version."""
    after = previous.sequence if previous else 0
    chain_hash = previous.chain_hash if previous else GENESIS
    version = previous.link_version if previous else 1
    ids: list[int] = []
    first = last = after
    with path.open("w", encoding="utf-8") as out:
        out.write(
            _dump({"kind": "header", "after_sequence": after, "after_hash": chain_hash, "cutoff": cutoff})
        )
        for seal, row in _archivable(previous, cutoff, upto):
            first = first if ids else seal.sequence
            ids.append(seal.entry_id)
            last, chain_hash, version = seal.sequence, seal.chain_hash, seal.link_version
            out.write(_dump(_line(seal, row)))
        out.write(_dump({"kind": "anchor", "sequence": last, "chain_hash": chain_hash, "count": len(ids)}))
    return ids, first, last, chain_hash, version


def _line(seal: SealRow, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "entry",
        "sequence": seal.sequence,
        "entry_hash": seal.entry_hash,
        "chain_hash": seal.chain_hash,
        "actor_id": seal.actor_id,
        "sealed_at": seal_time_text(seal.sealed_at),  # exactly as the link covers it
        "link_version": seal.link_version,
        "entry": canonical_row(row),
    }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- checking files --------------------------------------------------------------------------------


@dataclass
class ArchiveFile:
    """One archive file as read: where it continues from, where it ends, and what is wrong inside it."""

    path: Path
    after_sequence: int = 0
    after_hash: str = ""
    sequence: int = 0  # its last seal (its closing anchor)
    chain_hash: str = ""
    count: int = 0
    problems: list[Problem] = field(default_factory=list)
    readable: bool = True


def archive_read(path: Path, sha256: str | None = None) -> ArchiveFile:
    """Recompute a file's chain from its header to its closing anchor, with nothing but the file itself
    (and the SHA-256 recorded with its anchor, when given)."""
    found = ArchiveFile(path)
    if sha256 is not None and file_sha256(path) != sha256:
        found.problems.append(
            Problem(None, None, "the file's SHA-256 is not the one recorded with its anchor.")
        )
    try:
        _read_chain(path, found)
    except (ValueError, KeyError, TypeError, AttributeError):
        found.readable = False
        found.problems.append(Problem(None, None, "the file is not an audit archive (unreadable lines)."))
    return found


def archive_verify(path: Path, sha256: str | None = None) -> list[Problem]:
    """The problems of one archive file on its own; [] when it is intact."""
    return archive_read(path, sha256).problems


def _line_link(previous: str, line: dict[str, Any]) -> str:
    # Files written before link version 2 have no version and a differently written time: version 1.
    version = line.get("link_version", 1)
    return link_of(
        previous, version, line["sequence"], line["entry_hash"], line["actor_id"], line["sealed_at"]
    )


def _read_chain(path: Path, found: ArchiveFile) -> None:
    with path.open(encoding="utf-8") as source:
        lines = (json.loads(text) for text in source)
        header: dict[str, Any] = next(lines, {})
        if header.get("kind") != "header":
            raise ValueError("no header")
        found.after_sequence, found.after_hash = int(header["after_sequence"]), str(header["after_hash"])
        previous, count, closing = found.after_hash, 0, {}
        for line in lines:
            if line.get("kind") == "anchor":
                closing = line
                break
            count += 1
            position, entry_id = line["sequence"], line["entry"].get("id")
            if entry_hash(line["entry"]) != line["entry_hash"]:
                found.problems.append(Problem(position, entry_id, "the entry was edited."))
            if _line_link(previous, line) != line["chain_hash"]:
                found.problems.append(Problem(position, entry_id, "the chain breaks here."))
            previous = line["chain_hash"]
    if closing.get("chain_hash") != previous or closing.get("count") != count:
        found.problems.append(Problem(None, None, "the closing anchor does not match the entries above it."))
    found.sequence, found.chain_hash, found.count = int(closing.get("sequence", 0)), previous, count


def archives_in_order(files: list[ArchiveFile]) -> list[tuple[ArchiveFile, str]]:
    """Readable files sorted by where they start; each one must continue from the one before it."""
    ordered = sorted((f for f in files if f.readable), key=lambda f: f.after_sequence)
    breaks: list[tuple[ArchiveFile, str]] = []
    if ordered and ordered[0].after_sequence == 0 and ordered[0].after_hash != GENESIS:
        breaks.append((ordered[0], "it starts the trail, but not from the chain's first hash."))
    for before, after in pairwise(ordered):
        if after.after_sequence != before.sequence:
            breaks.append(
                (
                    after,
                    f"it continues from seal {after.after_sequence}, but {before.path.name} ends at seal "
                    f"{before.sequence}: "
                    + (
                        f"seals {before.sequence + 1} to {after.after_sequence} are in no file given."
                        if after.after_sequence > before.sequence
                        else "the two files overlap."
                    ),
                )
            )
        elif after.after_hash != before.chain_hash:
            breaks.append(
                (
                    after,
                    f"it continues from seal {after.after_sequence}, but not from the chain hash "
                    f"{before.path.name} ends with: one of them was rewritten.",
                )
            )
    return breaks


def archive_joins_live_chain(last: ArchiveFile) -> str | None:
    """How the last file meets the chain in the database: None when the next seal (or the head, when no
    seal follows yet) continues from it; otherwise what is wrong. Needs no anchor row."""
    anchor = AuditAnchor.objects.filter(sequence=last.sequence).first()
    if anchor is not None and anchor.chain_hash != last.chain_hash:
        return f"its last chain hash is not the one recorded with the anchor of seals {anchor.first_sequence}-{anchor.sequence}."
    seal = AuditSeal.objects.filter(sequence=last.sequence + 1).first()
    if seal is not None:
        row = SealRow(
            seal.sequence,
            seal.entry_id,
            seal.entry_hash,
            seal.chain_hash,
            seal.actor_id,
            seal.sealed_at,
            seal.link_version,
        )
        if (
            link_of(
                last.chain_hash,
                row.link_version,
                row.sequence,
                row.entry_hash,
                row.actor_id,
                seal_time_text(row.sealed_at),
            )
            != row.chain_hash
        ):
            return f"seal {seal.sequence} in the database does not continue from its last chain hash."
        return None
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and head.sequence == last.sequence:
        return None if head.chain_hash == last.chain_hash else "the chain's head does not continue from it."
    if AuditSeal.objects.filter(sequence__lte=last.sequence).exists():
        return "the database still holds seals it archived."
    return (
        f"the database's chain does not continue from its last seal {last.sequence}: a later archive "
        "is missing from the files given, or seals after it were removed."
    )


# --- archiving -------------------------------------------------------------------------------------


def audit_archive(
    *, older_than_days: int, directory: Path | None = None, actor: Actor = None
) -> ArchiveResult | None:
    """Archive entries older than the cutoff (the chain's oldest part); None when there are none.

    Runs in its own transactions (the file is written outside any, so that sealing goes on meanwhile):
    calling it inside an atomic block is refused.
    """
    if transaction.get_connection().in_atomic_block:
        raise ArchiveError("Archiving must not run inside a transaction: it would hold up every sealing.")
    audit_seal_pending()
    now = timezone.now()
    cutoff = now - timedelta(days=older_than_days)
    directory = directory or archive_directory()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"audit-{now:%Y%m%dT%H%M%S%f}Z.jsonl"
    partial = path.with_suffix(".partial")
    try:
        return _archive(partial, path, cutoff, now, actor)
    except BaseException:
        # Nothing committed: no archive file may stay without its anchor (the next archive would hold the
        # same entries again).
        path.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
        raise


def _archive(
    partial: Path, path: Path, cutoff: datetime, now: datetime, actor: Actor
) -> ArchiveResult | None:
    previous = AuditAnchor.objects.order_by("-sequence").first()
    head = ChainHead.objects.filter(pk=1).first()
    ids, first, last, chain_hash, version = _write(partial, previous, cutoff, head.sequence if head else 0)
    if not ids:
        partial.unlink()
        return None
    sha256 = file_sha256(partial)
    problems = archive_verify(partial, sha256)
    if problems:
        raise ArchiveError(f"The archive did not verify ({problems[0].what}): nothing was deleted.")
    with transaction.atomic():
        _head_locked()  # briefly: one archive at a time records its anchor
        _still_next(previous, first, last)
        os.replace(partial, path)
        anchor = AuditAnchor.objects.create(
            first_sequence=first,
            sequence=last,
            chain_hash=chain_hash,
            count=len(ids),
            cutoff=cutoff,
            path=str(path),
            file_sha256=sha256,
            archived_at=now,
            link_version=version,
        )
        # Noted outside the database: verification reports an anchor row that no archive noted.
        transaction.on_commit(
            functools.partial(head_record_append_anchor, first, last, chain_hash, sha256, version, now)
        )
        _delete_archived(ids, first, last)  # after the anchor: on PostgreSQL only what an anchor covers goes
        what = f"audit trail: {len(ids)} entries (seals {first}-{last}) archived to {path.name}"
        audit_access(
            instance=anchor, what=what, reason="retention archive", actor=actor, event=Event.EXPORTED
        )
    return ArchiveResult(path, len(ids), first, last, chain_hash, sha256)


def _still_next(previous: AuditAnchor | None, first: int, last: int) -> None:
    """No other archive was recorded while this one was written (it would hold the same seals)."""
    latest = AuditAnchor.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    if latest != (previous.sequence if previous else None):
        raise ArchiveError(
            f"Another archive (up to seal {latest}) was recorded while this one (seals {first}-{last}) was "
            "written: nothing was deleted and the file was removed. Run archive_audit again if needed."
        )


def _delete_archived(ids: list[int], first: int, last: int) -> None:
    deleted = 0
    for start in range(0, len(ids), DELETE_BATCH):
        deleted += LogEntry.objects.filter(pk__in=ids[start : start + DELETE_BATCH]).delete()[0]
    seals = AuditSeal.objects.filter(sequence__gte=first, sequence__lte=last).delete()[0]
    if deleted != len(ids) or seals != len(ids):
        raise ArchiveError(
            f"Seals {first}-{last} changed while they were archived ({deleted} of {len(ids)} entries and "
            f"{seals} seals found): nothing was deleted. Run verify_audit."
        )
