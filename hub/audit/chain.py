"""The audit trail's hash chain: sealing auditlog entries in order, and proving the trail intact.

Each entry is sealed once, in the order the sealer finds it (the seal's ``sequence``; entries can commit
out of id order). A seal stores the hash of the entry's canonical JSON and the chain hash
``sha256(previous chain hash : sequence : entry hash)``. Editing an entry changes its hash; deleting one
leaves a seal without its entry; moving or relinking a seal breaks the chain at that position. The chain
starts from the last archive's anchor (``AuditAnchor``), or from ``GENESIS``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from hub.audit.models import GENESIS, AuditAnchor, AuditSeal, ChainHead
from hub.flows.engine import bulk

logger = logging.getLogger(__name__)

# An entry unsealed for longer than this, or dated this long before the chain was sealed past its time,
# was not written the ordinary way (every commit seals, and the tick seals every few seconds).
GRACE = timedelta(minutes=5)
# How far back in time a sealing scan looks below the highest id already read, on PostgreSQL: a
# transaction that started before that id and committed after it holds lower ids. SQLite has one writer
# at a time (IMMEDIATE transactions), so its ids are in commit order and the id alone is enough.
LOOKBACK = timedelta(minutes=30)
CHUNK = 2000
SEAL_COLUMNS = ("sequence", "entry_id", "entry_hash", "chain_hash", "actor_id", "sealed_at")
PROBLEMS_SHOWN = 100


def entry_fields() -> list[str]:
    return [f.attname for f in LogEntry._meta.concrete_fields]


def canonical_row(row: dict[str, Any]) -> dict[str, Any]:
    """The entry as it is hashed and archived: datetimes in UTC, ISO 8601."""
    return {
        key: value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value
        for key, value in row.items()
    }


def entry_hash(canonical: dict[str, Any]) -> str:
    text = json.dumps(canonical, sort_keys=True, default=str, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def chain_link(previous: str, sequence: int, hashed_entry: str) -> str:
    return hashlib.sha256(f"{previous}:{sequence}:{hashed_entry}".encode()).hexdigest()


# --- sealing ---------------------------------------------------------------------------------------


def _head_locked() -> ChainHead:
    head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
    return head


def _unsealed(*, since_id: int | None = None, now: datetime | None = None) -> QuerySet[LogEntry]:
    entries = LogEntry.objects.filter(~Exists(AuditSeal.objects.filter(entry_id=OuterRef("pk"))))
    if since_id is not None and now is not None:
        recent = Q(pk__gt=since_id)
        if connection.vendor != "sqlite":
            recent |= Q(timestamp__gte=now - LOOKBACK)
        entries = entries.filter(recent)
    return entries.order_by("pk")


def audit_seal_pending() -> int:
    """Seal every entry not sealed yet, in one transaction that holds the chain's head. Returns how many.

    Entries are read in one query and sealed in one multi-row insert; the chain head is one update.
    """
    now = timezone.now()
    with transaction.atomic():
        head = _head_locked()
        rows = list(_unsealed(since_id=head.scanned_to, now=now).values(*entry_fields()))
        if not rows:
            return 0
        seals, previous, sequence = [], head.chain_hash, head.sequence
        for row in rows:
            sequence += 1
            hashed = entry_hash(canonical_row(row))
            previous = chain_link(previous, sequence, hashed)
            seals.append((sequence, row["id"], hashed, previous, row["actor_id"], now))
        # Plain multi-row inserts: Django's bulk_create compiles every value and was most of the cost.
        bulk.insert(AuditSeal, SEAL_COLUMNS, seals)
        ChainHead.objects.filter(pk=head.pk).update(
            sequence=sequence,
            chain_hash=previous,
            scanned_to=max(head.scanned_to, rows[-1]["id"]),
            updated_at=now,
        )
    # The head, written where the database is not: logs kept elsewhere are the check that the chain's end
    # was not cut off together with its head (which the chain alone cannot show).
    logger.info("audit chain sealed to %s: %s", sequence, previous)
    return len(seals)


def audit_seal_or_log() -> None:
    """Seal, and log rather than raise on a database error: for callers that must not fail (commits, the tick)."""
    try:
        audit_seal_pending()
    except DatabaseError:  # the entries stay committed; the tick seals them within seconds
        logger.warning("Sealing the audit trail failed; the next tick will seal it.", exc_info=True)


def seal_on_commit(using: str | None = None) -> None:
    """Seal once the current transaction commits (at once outside one): one sealing per commit.

    A sealing already waiting for this transaction, at this savepoint level or an outer one, covers the
    new entries too (a rollback that drops it drops them as well).
    """
    db = transaction.get_connection(using)
    if db.in_atomic_block:
        current = set(db.savepoint_ids)
        for waiting in db.run_on_commit:  # (savepoint ids, func, robust)
            if waiting[1] is audit_seal_or_log and waiting[0] <= current:
                return
    transaction.on_commit(audit_seal_or_log, using=using)


def entry_saved(sender: type, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """post_save receiver on auditlog's LogEntry (connected in AuditConfig.ready)."""
    if created:
        seal_on_commit(kwargs.get("using"))


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


class _Walk:
    """The state of one verification pass over the seals, in chain order."""

    def __init__(self, anchor: AuditAnchor | None) -> None:
        self.previous = anchor.chain_hash if anchor else GENESIS
        self.expected = (anchor.sequence if anchor else 0) + 1
        self.sealed_at: datetime | None = None  # when the seal before this one was made
        self.sealed_before: datetime | None = None  # when the sealing before this seal's own batch ran
        self.checked = 0
        self.problems: list[Problem] = []
        self.more = 0
        self.deleted_actors: set[int] = set()

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
        if chain_link(self.previous, seal.sequence, seal.entry_hash) != seal.chain_hash:
            self.report(
                seal.sequence,
                seal.entry_id,
                "the chain breaks here: this seal does not follow from the one before it "
                "(seals reordered, inserted or relinked).",
            )
        self.previous, self.expected, self.sealed_at = seal.chain_hash, seal.sequence + 1, seal.sealed_at

    def _check_entry(self, seal: SealRow, row: dict[str, Any]) -> None:
        hashed = entry_hash(canonical_row(row))
        if hashed != seal.entry_hash and not self._actor_deleted(seal, row):
            self.report(seal.sequence, seal.entry_id, "the entry was edited after it was sealed.")
        stamp = row["timestamp"]
        # Entries sealed together are in no order; an entry dated well before an earlier sealing was not
        # in the table when that sealing ran.
        if self.sealed_before is not None and stamp < self.sealed_before - GRACE:
            self.report(
                seal.sequence,
                seal.entry_id,
                f"the entry is dated {stamp:%Y-%m-%d %H:%M:%S}, but the chain had been sealed up to "
                f"{self.sealed_before:%Y-%m-%d %H:%M:%S}: it was inserted behind the chain's back.",
            )

    def _actor_deleted(self, seal: SealRow, row: dict[str, Any]) -> bool:
        """Deleting a user nulls the actor of their entries (auditlog's SET_NULL): not tampering."""
        if row["actor_id"] is not None or seal.actor_id is None or seal.actor_id not in self.deleted_actors:
            return False
        return entry_hash(canonical_row({**row, "actor_id": seal.actor_id})) == seal.entry_hash


class SealRow(NamedTuple):
    sequence: int
    entry_id: int
    entry_hash: str
    chain_hash: str
    actor_id: int | None
    sealed_at: datetime


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
    actors = AuditSeal.objects.filter(actor_id__isnull=False).values_list("actor_id", flat=True).distinct()
    sealed = {actor for actor in actors if actor is not None}
    existing = set(get_user_model().objects.filter(pk__in=sealed).values_list("pk", flat=True))
    return sealed - existing


def audit_verify() -> VerifyReport:
    """Recompute the chain from the last archive's anchor and report every break with its position."""
    # The head first: the check covers the chain as it stood then, so that entries sealed while it reads
    # (a busy hub seals all the time) are not taken for seals added behind the sealer's back.
    head = ChainHead.objects.filter(pk=1).first()
    anchor = AuditAnchor.objects.order_by("-sequence").first()
    walk = _Walk(anchor)
    walk.deleted_actors = _deleted_actors()
    upto = head.sequence if head is not None else None
    for seal, row in _seals_with_entries(anchor.sequence if anchor else 0, upto):
        walk.check(seal, row)
    _check_head(walk, head)
    _check_anchors(walk)
    for entry_id, stamp in (
        _unsealed().filter(timestamp__lt=timezone.now() - GRACE).values_list("pk", "timestamp")
    ):
        walk.report(None, entry_id, f"the entry dated {stamp:%Y-%m-%d %H:%M:%S} was never sealed.")
    return VerifyReport(
        ok=not walk.problems,
        checked=walk.checked,
        problems=walk.problems,
        anchor=_anchor(anchor),
        more_problems=walk.more,
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
    for first, last in AuditAnchor.objects.order_by("sequence").values_list("first_sequence", "sequence"):
        if first != expected:
            walk.report(
                expected, None, f"archives skip seals {expected} to {first - 1}: an archive is missing."
            )
        expected = last + 1


def _anchor(anchor: AuditAnchor | None) -> Anchor | None:
    if anchor is None:
        return None
    return Anchor(anchor.sequence, anchor.chain_hash, anchor.count, anchor.archived_at, anchor.path)
