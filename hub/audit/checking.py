"""Proving the audit trail intact: the chain recomputed from the last archive's anchor, compared with the
head record outside the database and the newest archive file; every break reported with its position."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from hub.audit.chain import (
    CHUNK,
    GRACE,
    PROBLEMS_SHOWN,
    SEAL_COLUMNS,
    SealRow,
    _unsealed,
    audit_seal_pending,
    canonical_row,
    entry_fields,
    entry_hash,
    late_window,
    seal_link,
)
from hub.audit.heads import HeadRecord, RecordedHead, head_record_path, head_record_read
from hub.audit.models import GENESIS, AuditAnchor, AuditSeal, ChainHead

logger = logging.getLogger(__name__)

# --- verification ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    position: int | None  # the seal's sequence in the chain; None for an entry that was never sealed
    entry_id: int | None
    what: str


@dataclass(frozen=True)
class Anchor:
    sequence: int
    chain_hash: str
    count: int
    archived_at: datetime
    path: str


@dataclass
class VerifyReport:
    ok: bool
    checked: int
    problems: list[Problem] = field(default_factory=list)
    anchor: Anchor | None = None
    more_problems: int = 0  # problems found beyond the ones listed
    warnings: list[str] = field(default_factory=list)  # what could not be checked (not a break in itself)


class _Walk:
    """The state of one verification pass over the seals, in chain order."""

    def __init__(self, anchor: AuditAnchor | None) -> None:
        self.previous = anchor.chain_hash if anchor else GENESIS
        self.expected = (anchor.sequence if anchor else 0) + 1
        self.sealed_at: datetime | None = None  # when the seal before this one was made
        self.sealed_before: datetime | None = None  # when the sealing before this seal's own batch ran
        # The newest link format met so far (from the anchor's last seal on): a later seal in an older one
        # was relinked.
        self.version = anchor.link_version if anchor else 1
        self.window = late_window()
        self.checked = 0
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.anchors: list[tuple[int, int, str, str, datetime]] = []  # every anchor, in order
        self.more = 0
        self.deleted_actors: set[int] = set()
        self.heads: dict[int, RecordedHead] = {}  # the head record, to compare the seals with
        self.head_record = ""  # where it was read from, for the messages

    def report(self, position: int | None, entry_id: int | None, what: str) -> None:
        if len(self.problems) < PROBLEMS_SHOWN:
            self.problems.append(Problem(position, entry_id, what))
        else:
            self.more += 1

    def check(self, seal: SealRow, row: dict[str, Any] | None) -> None:
        self.checked += 1
        if seal.sequence != self.expected:
            self.report(
                self.expected,
                None,
                f"seals {self.expected} to {seal.sequence - 1} are missing: removed from the chain."
                if seal.sequence > self.expected
                else f"seal {seal.sequence} is out of place.",
            )
        if seal.sealed_at != self.sealed_at:  # the first seal of a batch: the chain was sealed up to here
            self.sealed_before = self.sealed_at
        if row is None:
            self.report(seal.sequence, seal.entry_id, "the entry was deleted; its seal remains.")
        else:
            self._check_entry(seal, row)
        self._check_link(seal)
        recorded = self.heads.get(seal.sequence)
        if recorded is not None and recorded.chain_hash != seal.chain_hash:
            self.report(
                seal.sequence,
                seal.entry_id,
                f"the chain hash here is not the one the head record ({self.head_record}, line "
                f"{recorded.line}) noted at {recorded.at}: the chain was rewritten up to here.",
            )
        self.previous, self.expected, self.sealed_at = seal.chain_hash, seal.sequence + 1, seal.sealed_at

    def _check_link(self, seal: SealRow) -> None:
        if seal.link_version < self.version:
            self.report(
                seal.sequence,
                seal.entry_id,
                f"this seal links in format {seal.link_version} after seals in format {self.version}: "
                "it was relinked.",
            )
        self.version = max(self.version, seal.link_version)
        if seal_link(self.previous, seal) != seal.chain_hash:
            self.report(
                seal.sequence,
                seal.entry_id,
                "the chain breaks here: this seal does not follow from the one before it "
                "(seals reordered, inserted, re-dated or relinked).",
            )

    def _check_entry(self, seal: SealRow, row: dict[str, Any]) -> None:
        hashed = entry_hash(canonical_row(row))
        if hashed != seal.entry_hash and not self._actor_deleted(seal, row):
            self.report(seal.sequence, seal.entry_id, "the entry was edited after it was sealed.")
        stamp = row["timestamp"]
        # Entries sealed together are in no order; an entry dated well before an earlier sealing was not
        # in the table when that sealing ran.
        # A transaction may commit up to the late-commit window after it wrote its entry.
        if self.sealed_before is not None and stamp < self.sealed_before - self.window:
            self.report(
                seal.sequence,
                seal.entry_id,
                f"the entry is dated {stamp:%Y-%m-%d %H:%M:%S}, but the chain had been sealed up to "
                f"{self.sealed_before:%Y-%m-%d %H:%M:%S}, longer ago than any transaction may take "
                "(HUB_AUDIT_LATE_COMMIT_MINUTES): it was inserted behind the chain's back.",
            )

    def _actor_deleted(self, seal: SealRow, row: dict[str, Any]) -> bool:
        """Deleting a user nulls the actor of their entries (auditlog's SET_NULL): not tampering."""
        if row["actor_id"] is not None or seal.actor_id is None or seal.actor_id not in self.deleted_actors:
            return False
        return entry_hash(canonical_row({**row, "actor_id": seal.actor_id})) == seal.entry_hash


def _seals_with_entries(
    after: int, upto: int | None = None
) -> Iterator[tuple[SealRow, dict[str, Any] | None]]:
    """The seals after ``after`` (up to ``upto``) in chain order, each with its entry's row (None when it
    is gone)."""
    found = AuditSeal.objects.filter(sequence__gt=after)
    if upto is not None:
        found = found.filter(sequence__lte=upto)
    seals = found.order_by("sequence").values_list(*SEAL_COLUMNS)
    fields = entry_fields()
    chunk: list[SealRow] = []
    for values in seals.iterator(chunk_size=CHUNK):
        chunk.append(SealRow(*values))
        if len(chunk) == CHUNK:
            yield from _with_entries(chunk, fields)
            chunk = []
    yield from _with_entries(chunk, fields)


def _with_entries(
    seals: Sequence[SealRow], fields: list[str]
) -> Iterator[tuple[SealRow, dict[str, Any] | None]]:
    ids = [seal.entry_id for seal in seals]
    rows = {row["id"]: row for row in LogEntry.objects.filter(pk__in=ids).order_by().values(*fields)}
    for seal in seals:
        yield seal, rows.get(seal.entry_id)


def _deleted_actors() -> set[int]:
    actors = (
        AuditSeal.objects.filter(actor_id__isnull=False)
        .order_by()
        .values_list("actor_id", flat=True)
        .distinct()
    )
    sealed = {actor for actor in actors if actor is not None}
    existing = set(get_user_model().objects.filter(pk__in=sealed).values_list("pk", flat=True))
    return sealed - existing


def audit_verify(*, seal_first: bool = True) -> VerifyReport:
    """Recompute the chain from the last archive's anchor and report every break with its position.

    It first seals what is pending (the whole table, so that an entry whose transaction committed late is
    sealed rather than reported), then reads the head record, then the chain's head, so that every line of
    the record is at or below the head it compares with. The walk reads one consistent state of the tables:
    on PostgreSQL one REPEATABLE READ transaction; elsewhere (SQLite's transactions take the write lock
    here), it walks again once if an archive recorded its anchor meanwhile. Last, it compares the newest
    anchor with its archive file.
    """
    if seal_first:
        try:
            audit_seal_pending(full=True)
        except DatabaseError:  # a read-only replica, say: what stays unsealed is reported below
            logger.warning("Sealing before verifying failed.", exc_info=True)
    record, warnings = head_record_read()
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    for _attempt in range(2):
        with _snapshot() if snapshot else nullcontext():
            walk, anchor = _verify_walk(record)
            newest = AuditAnchor.objects.order_by("-sequence").values_list("sequence", flat=True).first()
        if snapshot or newest == (anchor.sequence if anchor else None):
            break
    # Read again for the anchors: an archive notes its anchor once it has committed it, which may be after
    # the first read.
    _check_anchors_noted(walk, head_record_read(anchors_only=True)[0])
    _check_anchor_file(walk, anchor)
    return VerifyReport(
        ok=not walk.problems,
        checked=walk.checked,
        problems=walk.problems,
        anchor=_anchor(anchor),
        more_problems=walk.more,
        # an empty chain has no end to compare with the record
        warnings=(warnings if walk.expected > 1 else []) + walk.warnings,
    )


@contextmanager
def _snapshot() -> Iterator[None]:
    """One read-only transaction that sees the tables as they stood at its first read (PostgreSQL)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _verify_walk(record: HeadRecord) -> tuple[_Walk, AuditAnchor | None]:
    # The head first: the check covers the chain as it stood then, so that entries sealed while it reads
    # (a busy hub seals all the time) are not taken for seals added behind the sealer's back.
    head = ChainHead.objects.filter(pk=1).first()
    anchor = AuditAnchor.objects.order_by("-sequence").first()
    walk = _Walk(anchor)
    walk.deleted_actors = _deleted_actors()
    walk.heads, walk.head_record = record.heads, str(head_record_path())
    upto = head.sequence if head is not None else None
    for seal, row in _seals_with_entries(anchor.sequence if anchor else 0, upto):
        walk.check(seal, row)
    _check_head(walk, head)
    _check_recorded_end(walk, anchor)
    _check_anchors(walk)
    if upto is not None:
        _check_beyond_head(walk, upto)
    _check_below_anchor(walk, anchor)
    for entry_id, stamp in (
        _unsealed(in_chain_after=anchor.sequence if anchor else 0)
        .filter(timestamp__lt=timezone.now() - GRACE)
        .values_list("pk", "timestamp")
    ):
        walk.report(None, entry_id, f"the entry dated {stamp:%Y-%m-%d %H:%M:%S} was never sealed.")
    return walk, anchor


def _check_below_anchor(walk: _Walk, anchor: AuditAnchor | None) -> None:
    """Seals in the archived part of the chain: the archive deleted its seals, so these were inserted by
    hand (where no trigger looks), and keep their entries out of the chain."""
    if anchor is None:
        return
    found = AuditSeal.objects.filter(sequence__lte=anchor.sequence).order_by("sequence")
    for sequence, entry_id in found.values_list("sequence", "entry_id")[: PROBLEMS_SHOWN + 1]:
        walk.report(
            sequence,
            entry_id,
            f"a seal in the archived part of the chain (up to seal {anchor.sequence}) was inserted behind "
            "the sealer's back: it keeps its entry out of the chain.",
        )


def _check_beyond_head(walk: _Walk, upto: int) -> None:
    """Seals above the chain's head: a sealer moves the head in the transaction that adds its seals, so
    these were inserted by hand, and keep their entries out of the chain."""
    found = list(
        AuditSeal.objects.filter(sequence__gt=upto)
        .order_by("sequence")
        .values_list("sequence", "entry_id")[: PROBLEMS_SHOWN + 1]
    )
    if not found:
        return
    # Read after the seals: sealings that committed since only raise the head (never a false alarm).
    head = ChainHead.objects.filter(pk=1).values_list("sequence", flat=True).first() or 0
    for sequence, entry_id in found:
        if sequence > head:
            walk.report(
                sequence,
                entry_id,
                f"a seal beyond the chain's end (seal {head}) was inserted behind the sealer's back: it "
                "keeps its entry out of the chain.",
            )


def _check_recorded_end(walk: _Walk, anchor: AuditAnchor | None) -> None:
    """The head record reaching beyond the chain's end: seals cut off together with the chain's head."""
    end = walk.expected - 1
    beyond = [sequence for sequence in walk.heads if sequence > end]
    if beyond:
        furthest = walk.heads[max(beyond)]
        walk.report(
            end + 1,
            None,
            f"the chain ends at seal {end}, but the head record ({walk.head_record}, line {furthest.line}) "
            f"shows it reached seal {max(beyond)} at {furthest.at}: seals {end + 1} to {max(beyond)} were "
            "cut off the end.",
        )
    recorded = walk.heads.get(anchor.sequence) if anchor else None
    if anchor and recorded and recorded.chain_hash != anchor.chain_hash:
        walk.report(
            anchor.sequence,
            None,
            f"the archive anchor's chain hash is not the one the head record ({walk.head_record}, line "
            f"{recorded.line}) noted at {recorded.at}: the chain was rewritten before it was archived.",
        )


def _check_head(walk: _Walk, head: ChainHead | None) -> None:
    if head is None:
        if walk.checked:
            walk.report(walk.expected - 1, None, "the chain's head is missing.")
        return
    if head.sequence != walk.expected - 1 or head.chain_hash != walk.previous:
        walk.report(
            head.sequence,
            None,
            f"the chain ends at seal {walk.expected - 1}, but its head records seal {head.sequence}: "
            "seals at the end were removed or added behind the sealer's back.",
        )


def _check_anchors(walk: _Walk) -> None:
    """Archives follow one another: each starts where the previous one ended."""
    expected = 1
    walk.anchors = list(
        AuditAnchor.objects.order_by("sequence").values_list(
            "first_sequence", "sequence", "chain_hash", "file_sha256", "archived_at"
        )
    )
    for first, last, *_ in walk.anchors:
        if first != expected:
            walk.report(
                expected, None, f"archives skip seals {expected} to {first - 1}: an archive is missing."
            )
        expected = last + 1


def _check_anchors_noted(walk: _Walk, record: HeadRecord) -> None:
    """Each anchor was made by archive_audit, which notes it in the head record: an anchor opens the seals
    and entries it covers to deletion, so one inserted by hand could hide any of them."""
    if record.read:
        for anchor in walk.anchors:
            _check_anchor_noted(walk, record, anchor)


def _check_anchor_noted(walk: _Walk, record: HeadRecord, anchor: tuple[int, int, str, str, datetime]) -> None:
    first, last, chain_hash, sha256, archived_at = anchor
    noted = record.anchors.get(last)
    if noted is not None:
        if (noted.first_sequence, noted.chain_hash, noted.file_sha256) != (first, chain_hash, sha256):
            walk.report(
                last,
                None,
                f"the anchor of the archive of seals {first}-{last} is not the one the head record "
                f"({walk.head_record}, line {noted.line}) noted: it was changed or replaced.",
            )
        return
    start = record.start
    if start is not None and last <= start[0] and archived_at < start[1]:
        walk.warnings.append(
            f"The anchor of the archive of seals {first}-{last} was made before the head record "
            f"{walk.head_record} was started: it was not compared with it."
        )
        return
    walk.report(
        last,
        None,
        f"there is an anchor for an archive of seals {first}-{last}, but the head record ({walk.head_record}) "
        "has no line for it: archive_audit did not make it. An anchor inserted by hand lets the seals and "
        "entries it covers be deleted unnoticed.",
    )


def _check_anchor_file(walk: _Walk, anchor: AuditAnchor | None) -> None:
    """The newest anchor's archive file, if it is still where the archive wrote it: its SHA-256 and its
    closing line must be the ones the anchor recorded."""
    if anchor is None:
        return
    path = Path(anchor.path)
    what = f"the archive file {path} of seals {anchor.first_sequence}-{anchor.sequence}"
    digest = hashlib.sha256()
    last = b""
    try:
        with path.open("rb") as source:
            for line in source:
                digest.update(line)
                last = line if line.strip() else last
    except FileNotFoundError:
        walk.warnings.append(
            f"{what[0].upper()}{what[1:]} is not there (archives may have been moved off this machine): "
            "it was not compared with its anchor. Check it with verify_audit --archive FILE."
        )
        return
    except OSError as error:
        walk.warnings.append(f"{what[0].upper()}{what[1:]} could not be read ({error.strerror}).")
        return
    if digest.hexdigest() != anchor.file_sha256:
        walk.report(anchor.sequence, None, f"{what}: its SHA-256 is not the one recorded with its anchor.")
        return
    try:
        closing = json.loads(last)
        ends = (closing.get("kind"), closing.get("sequence"), closing.get("chain_hash"))
        matches = ends == ("anchor", anchor.sequence, anchor.chain_hash)
    except (ValueError, AttributeError):
        matches = False
    if not matches:
        walk.report(
            anchor.sequence,
            None,
            f"{what}: its closing line does not end at the anchor's seal and chain hash.",
        )


def _anchor(anchor: AuditAnchor | None) -> Anchor | None:
    if anchor is None:
        return None
    return Anchor(anchor.sequence, anchor.chain_hash, anchor.count, anchor.archived_at, anchor.path)
