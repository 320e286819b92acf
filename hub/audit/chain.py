"""The audit trail's hash chain: sealing auditlog entries in order (verification: ``hub.audit.checking``;
the head record outside the database: ``hub.audit.heads``).

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
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from auditlog.models import LogEntry
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from hub.audit.heads import head_record_append, record_due
from hub.audit.models import LINK_VERSION, AuditSeal, ChainHead, seal_time_text
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


class SealRow(NamedTuple):
    sequence: int
    entry_id: int
    entry_hash: str
    chain_hash: str
    actor_id: int | None
    sealed_at: datetime
    link_version: int


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
        record = record_due(head, sequence, now)
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
