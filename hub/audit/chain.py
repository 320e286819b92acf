"""The audit trail's hash chain: sealing auditlog entries in order, and proving the trail intact.

Each entry is sealed once, in the order the sealer finds it (the seal's ``sequence``; entries can commit
out of id order). A seal stores the hash of the entry's canonical JSON and the chain hash, which links it
to the seal before it (``seal_link``): version 2 covers the previous chain hash, the sequence, the entry's
hash, the seal's actor and its time; seals made before version 2 keep version 1 (no actor, no time).
Editing an entry changes its hash; deleting one leaves a seal without its entry; moving, relinking or
re-dating a seal breaks the chain at that position. The chain starts from the last archive's anchor
(``AuditAnchor``), or from ``GENESIS``.

What the chain alone cannot show is its end cut off together with its head. So each sealing also appends
the head (sequence, chain hash, time) to a file outside the database (HUB_AUDIT_HEAD_FILE, at most one
line every HUB_AUDIT_HEAD_INTERVAL_SECONDS), and verification compares the chain with every line of it.

An entry may reach the table late (a PostgreSQL transaction that took its id early and committed later):
sealers look back HUB_AUDIT_LATE_COMMIT_MINUTES, look through the whole table every FULL_SCAN_EVERY, and
verification seals what is pending before it checks. An entry dated more than that window before the chain
had been sealed past it is reported as inserted behind the chain's back.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from hub.audit.models import GENESIS, LINK_VERSION, AuditAnchor, AuditSeal, ChainHead
from hub.flows.engine import bulk

logger = logging.getLogger(__name__)

# An entry still unsealed this long after its time, once verification has sealed what was pending, was not
# written the ordinary way (every commit seals, and the tick seals every few seconds).
GRACE = timedelta(minutes=5)
# How often a sealer also looks through the whole table for unsealed entries, beyond the look-back (one
# cheap anti-join on the seal's unique entry index, run after the sealing's commit, outside the lock).
FULL_SCAN_EVERY = timedelta(minutes=10)
CHUNK = 2000
SEAL_COLUMNS = ("sequence", "entry_id", "entry_hash", "chain_hash", "actor_id", "sealed_at", "link_version")
PROBLEMS_SHOWN = 100


def late_window() -> timedelta:
    """How long a transaction may take between writing an audit entry and committing it.

    Sealing scans look back this far in time below the highest id already read (on PostgreSQL, a
    transaction that took its id early commits later; SQLite has one writer at a time, so its ids are in
    commit order), and verification accepts an entry sealed up to this long after its time.
    """
    return timedelta(minutes=getattr(settings, "HUB_AUDIT_LATE_COMMIT_MINUTES", 30))


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
    """Version 1 of the link (seals made before version 2): the entry's hash and position only."""
    return hashlib.sha256(f"{previous}:{sequence}:{hashed_entry}".encode()).hexdigest()


def seal_time_text(moment: datetime) -> str:
    """A seal's time as its link (and an archive file) holds it: UTC, ISO 8601, to the microsecond."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def chain_link_v2(
    previous: str, sequence: int, hashed_entry: str, actor_id: int | None, sealed_at: str
) -> str:
    """Version 2: also the seal's actor (which deleting a user clears from the entry) and its time (which
    verification relies on to spot entries inserted behind the chain's back)."""
    actor = "" if actor_id is None else str(actor_id)
    text = f"v2:{previous}:{sequence}:{hashed_entry}:{actor}:{sealed_at}"
    return hashlib.sha256(text.encode()).hexdigest()


def link_of(
    previous: str, version: int, sequence: int, hashed: str, actor_id: int | None, sealed_at: str
) -> str:
    """The chain hash a seal must carry; "" for an unknown version (which then breaks the chain)."""
    if version == 1:
        return chain_link(previous, sequence, hashed)
    if version == 2:
        return chain_link_v2(previous, sequence, hashed, actor_id, sealed_at)
    return ""


def seal_link(previous: str, seal: SealRow) -> str:
    return link_of(
        previous,
        seal.link_version,
        seal.sequence,
        seal.entry_hash,
        seal.actor_id,
        seal_time_text(seal.sealed_at),
    )


# --- sealing ---------------------------------------------------------------------------------------


def _head_locked() -> ChainHead:
    head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
    return head


def _unsealed(
    *, since_id: int | None = None, now: datetime | None = None, in_chain_after: int | None = None
) -> QuerySet[LogEntry]:
    """Entries without a seal. ``in_chain_after`` (an anchor's sequence) counts only seals after it and at or
    below the chain's head (read in the same statement): a seal elsewhere was not made by a sealer and seals
    nothing (verification)."""
    seals = AuditSeal.objects.filter(entry_id=OuterRef("pk"))
    if in_chain_after is not None:
        head = Subquery(ChainHead.objects.filter(pk=1).values("sequence")[:1])
        seals = seals.filter(sequence__gt=in_chain_after, sequence__lte=head)
    entries = LogEntry.objects.filter(~Exists(seals))
    if since_id is not None and now is not None:
        recent = Q(pk__gt=since_id)
        if connection.vendor != "sqlite":
            recent |= Q(timestamp__gte=now - late_window())
        entries = entries.filter(recent)
    return entries.order_by("pk")


def audit_seal_pending(*, full: bool = False) -> int:
    """Seal every entry not sealed yet, in one transaction that holds the chain's head. Returns how many.

    Entries are read in one query and sealed in one multi-row insert; the chain head is one update. The
    scan starts at the highest id already read, less the late-commit look-back; ``full`` reads the whole
    table instead (verification does, and a sealing does after its commit every FULL_SCAN_EVERY).
    After the commit, the new head is appended to the head record (throttled: see ``_record_due``).
    """
    now = timezone.now()
    with transaction.atomic():
        head = _head_locked()
        _log_strays(head.sequence)
        found = _unsealed() if full else _unsealed(since_id=head.scanned_to, now=now)
        rows = list(found.values(*entry_fields()))
        seals, previous, sequence = [], head.chain_hash, head.sequence
        stamp = seal_time_text(now)
        for row in rows:
            sequence += 1
            hashed = entry_hash(canonical_row(row))
            previous = chain_link_v2(previous, sequence, hashed, row["actor_id"], stamp)
            seals.append((sequence, row["id"], hashed, previous, row["actor_id"], now, LINK_VERSION))
        scan_due = not full and (head.full_scan_at is None or head.full_scan_at <= now - FULL_SCAN_EVERY)
        record = _record_due(head, sequence, now)
        if not (seals or scan_due or record):
            return 0
        changes: dict[str, Any] = {
            "sequence": sequence,
            "chain_hash": previous,
            "scanned_to": max([head.scanned_to, *(row["id"] for row in rows[-1:])]),
            "updated_at": now if seals else head.updated_at,
        }
        if scan_due or full:
            changes["full_scan_at"] = now
        if record:
            changes.update(recorded_sequence=sequence, recorded_at=now)
            transaction.on_commit(functools.partial(head_record_append, sequence, previous, now))
        # The head first, then the seals: on PostgreSQL the seal table accepts only seals between the last
        # archive and the head (migration 0006), so that none can be inserted beyond it by hand.
        ChainHead.objects.filter(pk=head.pk).update(**changes)
        if (
            seals
        ):  # plain multi-row inserts: Django's bulk_create compiles every value and was most of the cost
            bulk.insert(AuditSeal, SEAL_COLUMNS, seals)
        if scan_due:
            transaction.on_commit(_seal_late_entries)
    return len(seals)


def _log_strays(head: int) -> None:
    """Seals beyond the chain's head were not made by a sealer (it moves the head in the same transaction).

    Their entries stay out of the chain: a second seal for the same entry cannot be made (one seal per
    entry), and the stray seal may not be deleted (on PostgreSQL the table refuses it, and it is evidence).
    Verification reports both the stray seal and its entry as never sealed. One indexed look per sealing.
    """
    strays = list(AuditSeal.objects.filter(sequence__gt=head).values_list("sequence", "entry_id")[:10])
    if strays:
        logger.error(
            "The audit chain ends at seal %s, but seals beyond it exist (sequence, entry id: %s): they were "
            "inserted behind the sealer's back, and their entries cannot be sealed. Run verify_audit.",
            head,
            ", ".join(f"{sequence}/{entry_id}" for sequence, entry_id in strays),
        )


def _seal_late_entries() -> None:
    """Entries the look-back missed (a transaction that committed after it): seal them if there are any.

    The look costs one anti-join over the table, outside the lock; the sealing only runs when it finds one.
    """
    try:
        if _unsealed().exists():
            audit_seal_pending(full=True)
    except DatabaseError:
        logger.warning("Looking for late audit entries failed; the next full scan will.", exc_info=True)


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


# --- the head record, outside the database ---------------------------------------------------------


def head_record_path() -> Path | None:
    """The head record file (HUB_AUDIT_HEAD_FILE); None when it is turned off (an empty setting)."""
    configured = getattr(settings, "HUB_AUDIT_HEAD_FILE", settings.VAR_DIR / "audit-chain-heads.jsonl")
    return Path(configured) if str(configured) else None


def _record_due(head: ChainHead, sequence: int, now: datetime) -> bool:
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


class SealRow(NamedTuple):
    sequence: int
    entry_id: int
    entry_hash: str
    chain_hash: str
    actor_id: int | None
    sealed_at: datetime
    link_version: int


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
