"""The audit chain on PostgreSQL (``python -m tests.on_postgres``): the tables refuse changes, archiving
does not hold up sealing, two archives at once record one, and a transaction that commits late is sealed
rather than reported. Skipped on SQLite."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from hub.audit.archiving import ArchiveError, ArchiveResult, audit_archive
from hub.audit.checking import audit_verify
from hub.audit.models import AuditAnchor, AuditSeal, ChainHead
from hub.audit.services import audit_access
from hub.catalog.models import Entity

if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
    pytest.skip("PostgreSQL only: python -m tests.on_postgres", allow_module_level=True)

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(target: Callable[[], object], results: list[object]) -> threading.Thread:
    def run() -> None:
        try:
            results.append(target())
        except BaseException as error:
            results.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def waiting_on_locks(count: int) -> None:
    """Until ``count`` other sessions of this database wait for a lock (bounded: 10 seconds)."""
    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"{count} session(s) never waited for a lock")


def old_entries_with_an_actor() -> None:
    """Entries old enough to archive, one of them with an actor."""
    with transaction.atomic(), connection.cursor() as cursor:  # sealed once this commits, with old dates
        user = get_user_model().objects.create_user("archie", password="not-used-here-1")
        audit_access(instance=user, what="profile", reason="support", actor=user)
        for n in range(3):
            Entity.objects.create(name=f"Old{n}")
        # Backdated as only the tables' owner can: the trigger stands in the hub's way, not the owner's.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending: ALTER TABLE needs that
        cursor.execute("ALTER TABLE auditlog_logentry DISABLE TRIGGER hub_audit_entry_guard")
        LogEntry.objects.update(timestamp=timezone.now() - timedelta(days=40))
        cursor.execute("ALTER TABLE auditlog_logentry ENABLE TRIGGER hub_audit_entry_guard")


# --- append-only ------------------------------------------------------------------------------------


def test_the_database_refuses_to_change_or_delete_entries_and_seals():
    entity = Entity.objects.create(name="Customer")
    entry = LogEntry.objects.get(object_pk=str(entity.pk))
    seal = AuditSeal.objects.get(entry_id=entry.pk)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(object_repr="Nothing to see")
    with pytest.raises(DatabaseError, match="only archive_audit removes entries"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditSeal.objects.filter(pk=seal.pk).update(sealed_at=timezone.now())
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditSeal.objects.filter(pk=seal.pk).delete()
    entry.refresh_from_db()
    assert entry.object_repr == "Customer"
    assert audit_verify().ok


def test_deleting_a_user_still_clears_their_entries_actor():
    user = get_user_model().objects.create_user("ursula", password="not-used-here-1")
    audit_access(instance=user, what="profile", reason="support", actor=user)
    with pytest.raises(DatabaseError), transaction.atomic():  # but nothing else may change with it
        LogEntry.objects.filter(actor_id=user.pk).update(actor_id=None, object_repr="Someone else")
    user_id = user.pk
    user.delete()
    assert not LogEntry.objects.filter(actor_id=user_id).exists()
    assert audit_verify().ok


def test_archiving_deletes_what_its_anchor_covers_and_anchors_stay(tmp_path: Path):
    old_entries_with_an_actor()
    result = audit_archive(older_than_days=30, directory=tmp_path)
    assert result is not None
    assert not AuditSeal.objects.filter(sequence__lte=result.sequence).exists()
    with pytest.raises(DatabaseError, match="cannot be changed or deleted"), transaction.atomic():
        AuditAnchor.objects.all().delete()
    assert audit_verify().ok


# --- archiving beside sealing -----------------------------------------------------------------------


def test_sealing_goes_on_while_an_archive_writes_its_file(tmp_path: Path):
    old_entries_with_an_actor()
    locked, release = threading.Event(), threading.Event()

    def hold_the_anchors() -> None:  # the archive starts by reading the last one: it waits there
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("LOCK TABLE audit_auditanchor IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(timeout=30)

    results: list[object] = []
    holder = in_thread(hold_the_anchors, results)
    assert locked.wait(timeout=10)
    archiver = in_thread(lambda: audit_archive(older_than_days=30, directory=tmp_path), results)
    try:
        waiting_on_locks(1)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # a sealing held up fails (and logs) instead of waiting
        during = Entity.objects.create(name="During")  # a commit, and its sealing
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
        assert AuditSeal.objects.filter(entry_id=LogEntry.objects.get(object_pk=str(during.pk)).pk).exists()
    finally:
        release.set()
        holder.join(timeout=30)
        archiver.join(timeout=30)
    (archived,) = [r for r in results if r is not None]
    assert isinstance(archived, ArchiveResult), archived
    assert audit_verify().ok


def test_two_archives_at_once_record_one(tmp_path: Path):
    old_entries_with_an_actor()
    locked, release = threading.Event(), threading.Event()

    def hold_the_anchors() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("LOCK TABLE audit_auditanchor IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(timeout=30)

    results: list[object] = []
    holder = in_thread(hold_the_anchors, results)
    assert locked.wait(timeout=10)
    archivers = [
        in_thread(functools.partial(audit_archive, older_than_days=30, directory=d), results)
        for d in (tmp_path / "one", tmp_path / "two")
    ]
    try:
        waiting_on_locks(2)  # both have started, neither has recorded its anchor
    finally:
        release.set()
        holder.join(timeout=30)
        for archiver in archivers:
            archiver.join(timeout=30)
    outcomes = [r for r in results if r is not None]
    assert sorted(type(r).__name__ for r in outcomes) == ["ArchiveError", "ArchiveResult"], outcomes
    (refused,) = [r for r in outcomes if isinstance(r, ArchiveError)]
    assert "Another archive" in str(refused)
    assert AuditAnchor.objects.count() == 1
    assert len(list(tmp_path.glob("*/*.jsonl"))) == 1  # the refused one left no file
    assert list(tmp_path.glob("*/*.partial")) == []
    assert audit_verify().ok


# --- a late commit ----------------------------------------------------------------------------------


def test_a_transaction_that_commits_late_is_sealed_and_not_reported():
    started, release = threading.Event(), threading.Event()
    entity = Entity.objects.create(name="Order")

    def slow_transaction() -> int:
        with transaction.atomic():
            # Written, as far as its time says, ten minutes before it commits.
            entry = LogEntry.objects.create(
                content_type=ContentType.objects.get_for_model(Entity),
                object_pk=str(entity.pk),
                object_repr="Order",
                action=LogEntry.Action.ACCESS,
                timestamp=timezone.now() - timedelta(minutes=10),
            )
            started.set()
            release.wait(timeout=30)
        return entry.pk

    results: list[object] = []
    slow = in_thread(slow_transaction, results)
    assert started.wait(timeout=10)
    for n in range(3):  # others commit and seal meanwhile, past its id
        Entity.objects.create(name=f"Meanwhile{n}")
    release.set()
    slow.join(timeout=30)
    (late_id,) = results
    assert isinstance(late_id, int), late_id

    seal = AuditSeal.objects.get(entry_id=late_id)
    assert seal.sequence == AuditSeal.objects.count()  # sealed last, when it committed
    report = audit_verify()
    assert report.ok, report.problems


# --- anchors and TRUNCATE -----------------------------------------------------------------------------


def insert_anchor(first: int, last: int, chain_hash: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditanchor (first_sequence, sequence, chain_hash, count, cutoff, path, "
            "file_sha256, archived_at, link_version) VALUES (%s, %s, %s, 1, now(), '/nowhere', 'x', now(), 2)",
            [first, last, chain_hash],
        )


def test_the_database_refuses_anchors_that_do_not_continue_the_chain(tmp_path: Path):
    old_entries_with_an_actor()
    result = audit_archive(older_than_days=30, directory=tmp_path)
    assert result is not None
    for n in range(3):
        Entity.objects.create(name=f"New{n}")
    head = ChainHead.objects.get(pk=1)
    after, at_head = result.sequence + 1, head.chain_hash

    with pytest.raises(DatabaseError, match=f"it must start at seal {after}"), transaction.atomic():
        insert_anchor(1, head.sequence, at_head)  # over the archive already made
    with pytest.raises(DatabaseError, match=f"it must start at seal {after}"), transaction.atomic():
        insert_anchor(after + 1, head.sequence, at_head)  # a gap
    with pytest.raises(DatabaseError, match="must end at a seal of the chain"), transaction.atomic():
        insert_anchor(after, head.sequence + 1, at_head)  # beyond the head
    with pytest.raises(DatabaseError, match="chain hash is not the one of seal"), transaction.atomic():
        insert_anchor(after, head.sequence, "f" * 64)
    assert AuditAnchor.objects.count() == 1
    assert audit_verify().ok


def test_the_database_refuses_to_truncate_the_audit_tables():
    Entity.objects.create(name="Customer")
    for table in ("auditlog_logentry", "audit_auditseal", "audit_auditanchor", "audit_chainhead"):
        with transaction.atomic(), connection.cursor() as cursor:
            # The test run allows TRUNCATE for its connections (tests/on_postgres.py); the hub does not.
            cursor.execute("SET LOCAL hub.audit_truncate = 'off'")
            with pytest.raises(DatabaseError, match="cannot be truncated"), transaction.atomic():
                cursor.execute(f"TRUNCATE {table} CASCADE")
    assert LogEntry.objects.exists()
    assert audit_verify().ok
