"""Tampering a reviewer showed verification did not see: an archive anchor inserted by hand (which opens what
it covers to deletion), a seal inserted beyond the chain's head (which kept an entry out of the chain), a
seal relinked to the old format right after an archive, and a false alarm when an archive commits while a
check runs. Runs on SQLite and, with ``python -m tests.on_postgres``, on PostgreSQL (whose tables accept
the inserts below but refuse the updates: tests that need an update run on SQLite only)."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from hub.audit.archiving import ArchiveResult, audit_archive
from hub.audit.chain import chain_link, chain_link_v2
from hub.audit.checking import audit_verify
from hub.audit.models import AuditAnchor, AuditSeal, ChainHead, seal_time_text
from hub.catalog.models import Entity

pytestmark = pytest.mark.django_db(transaction=True)

ON_POSTGRES = "postgresql" in django_settings.DATABASES["default"]["ENGINE"]


def sqlite_only() -> None:
    if ON_POSTGRES:
        pytest.skip("updates seals or anchors, which PostgreSQL refuses")


@pytest.fixture(autouse=True)
def every_sealing_recorded(settings: Any) -> None:
    settings.HUB_AUDIT_HEAD_INTERVAL_SECONDS = 0


def make_entities(count: int, prefix: str = "Thing") -> None:
    for n in range(count):
        Entity.objects.create(name=f"{prefix}{n}")  # a commit, a sealing each


def backdate(entry_ids: list[int], when: timedelta) -> None:
    """Entries dated earlier, as only the tables' owner can on PostgreSQL (its trigger stands in the hub's
    way, not the owner's)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if ON_POSTGRES:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE auditlog_logentry DISABLE TRIGGER hub_audit_entry_guard")
        LogEntry.objects.filter(pk__in=entry_ids).update(timestamp=timezone.now() - when)
        if ON_POSTGRES:
            cursor.execute("ALTER TABLE auditlog_logentry ENABLE TRIGGER hub_audit_entry_guard")


def old_entities(count: int) -> None:
    """``count`` entries 40 days old (dated so before their sealing, which runs on commit)."""
    with transaction.atomic():
        make_entities(count, "Old")
        backdate(list(LogEntry.objects.values_list("pk", flat=True)), timedelta(days=40))


def archived(directory: Path, count: int = 4) -> ArchiveResult:
    """``count`` entries 40 days old, archived."""
    old_entities(count)
    result = audit_archive(older_than_days=30, directory=directory)
    assert result is not None
    return result


def insert_anchor(first: int, last: int, chain_hash: str) -> None:
    """A plain INSERT, as the hub's own database role may make one (no trigger disabled)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditanchor (first_sequence, sequence, chain_hash, count, cutoff, path, "
            "file_sha256, archived_at, link_version) VALUES (%s, %s, %s, %s, %s, '/nowhere.jsonl', 'x', %s, 2)",
            [first, last, chain_hash, last - first + 1, timezone.now(), timezone.now()],
        )


def verify_command(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def whats(report: Any) -> list[str]:
    return [problem.what for problem in report.problems]


# --- 1. an anchor inserted by hand ------------------------------------------------------------------


def test_an_anchor_inserted_by_hand_to_wipe_the_trail_is_reported(tmp_path):
    make_entities(5)
    assert audit_verify().ok
    head = ChainHead.objects.get(pk=1)
    insert_anchor(1, head.sequence, head.chain_hash)  # the real head's hash: the chain "continues" from it
    with connection.cursor() as cursor:  # on PostgreSQL the anchor opens both tables to deletion
        cursor.execute("DELETE FROM auditlog_logentry")
        cursor.execute("DELETE FROM audit_auditseal")

    report = audit_verify()
    assert not report.ok
    (problem,) = report.problems
    assert problem.position == head.sequence
    assert "has no line for it: archive_audit did not make it" in problem.what
    code, output = verify_command("--archive", str(tmp_path))  # an empty folder of archives changes nothing
    assert code == 1
    assert "NOT intact" in output
    assert "/nowhere.jsonl" in output  # its file: a warning, not the break
    assert "moved off this machine" in output


def test_an_anchor_inserted_by_hand_to_delete_one_entry_is_reported():
    make_entities(6)
    insert_anchor(1, 4, AuditSeal.objects.get(sequence=4).chain_hash)
    victim = AuditSeal.objects.get(sequence=3).entry_id
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM auditlog_logentry WHERE id = %s", [victim])

    report = audit_verify()
    assert not report.ok
    assert any("seals 1-4" in what and "has no line for it" in what for what in whats(report))


def test_an_anchor_inserted_by_hand_after_a_real_archive_is_reported(tmp_path):
    real = archived(tmp_path)
    make_entities(4, "New")
    assert audit_verify().ok  # the real archive's anchor is in the head record, and its file matches
    head = ChainHead.objects.get(pk=1)
    insert_anchor(real.sequence + 1, head.sequence, head.chain_hash)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM auditlog_logentry")
        cursor.execute("DELETE FROM audit_auditseal")

    report = audit_verify()
    (problem,) = report.problems
    assert f"seals {real.sequence + 1}-{head.sequence}" in problem.what
    assert "has no line for it" in problem.what
    assert any("moved off this machine" in warning for warning in report.warnings)


def test_the_archive_notes_its_anchor_in_the_head_record(tmp_path, head_record):
    result = archived(tmp_path)
    (line,) = [
        json.loads(text) for text in head_record.read_text().splitlines() if '"kind": "anchor"' in text
    ]
    assert (line["first_sequence"], line["sequence"]) == (result.first_sequence, result.sequence)
    assert (line["chain_hash"], line["file_sha256"]) == (result.chain_hash, result.file_sha256)
    assert line["link_version"] == 2
    report = audit_verify()
    assert report.ok, report.problems
    assert report.warnings == []


def test_an_anchor_older_than_the_head_record_is_a_warning(tmp_path, head_record):
    archived(tmp_path)
    head_record.unlink()  # the record started after this archive (the setting was turned on later, say)
    make_entities(1, "New")

    report = audit_verify()
    assert report.ok, report.problems
    (warning,) = report.warnings
    assert "was made before the head record" in warning


def test_the_newest_archive_file_is_compared_with_its_anchor(tmp_path):
    result = archived(tmp_path)
    make_entities(1, "New")
    report = audit_verify()
    assert (report.ok, report.warnings) == (True, []), report.problems

    moved = result.path.with_name("moved.jsonl.bak")
    result.path.rename(moved)
    report = audit_verify()
    assert report.ok  # archives may be moved off the machine: a warning, not a break
    (warning,) = report.warnings
    assert str(result.path) in warning
    assert "moved off this machine" in warning

    moved.rename(result.path)
    with result.path.open("a", encoding="utf-8") as out:
        out.write("\n")  # one byte more
    (problem,) = audit_verify().problems
    assert str(result.path) in problem.what
    assert "SHA-256 is not the one recorded" in problem.what


def test_an_archive_file_that_ends_elsewhere_than_its_anchor_is_reported(tmp_path):
    sqlite_only()
    result = archived(tmp_path)
    lines = result.path.read_text().splitlines()
    closing = json.loads(lines[-1])
    closing["chain_hash"] = "e" * 64
    result.path.write_text("\n".join([*lines[:-1], json.dumps(closing)]) + "\n")
    from hub.audit.archiving import file_sha256

    AuditAnchor.objects.update(file_sha256=file_sha256(result.path))  # the SHA-256 made to match

    problems = whats(audit_verify())
    assert any("closing line does not end at the anchor's seal and chain hash" in what for what in problems)
    assert any("is not the one the head record" in what for what in problems)  # and its noted SHA-256


# --- 2. a seal beyond the chain's head ---------------------------------------------------------------


def test_a_seal_inserted_beyond_the_head_is_reported_and_its_entry_never_sealed(caplog):
    make_entities(1, "Before")
    assert audit_verify().ok
    next_id = LogEntry.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1
    stray = AuditSeal(
        sequence=10**12,
        entry_id=next_id,
        entry_hash="0" * 64,
        chain_hash="0" * 64,
        actor_id=None,
        sealed_at=timezone.now(),
        link_version=2,
    )
    if ON_POSTGRES:  # its table refuses a seal beyond the head; its owner can still disable that
        with pytest.raises(DatabaseError, match="before it adds seals up to it"), transaction.atomic():
            stray.save()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditseal DISABLE TRIGGER hub_audit_seal_insert_guard")
            stray.save()
            cursor.execute("ALTER TABLE audit_auditseal ENABLE TRIGGER hub_audit_seal_insert_guard")
    else:
        stray.save()
    with caplog.at_level(logging.ERROR, logger="hub.audit.chain"):
        make_entities(1, "Secret")  # its entry takes next_id; its sealing skips it and says so
    assert LogEntry.objects.filter(pk=next_id).exists()
    assert any(
        "seals beyond it exist" in r.getMessage() and f"/{next_id}" in r.getMessage() for r in caplog.records
    )
    make_entities(1, "After")  # the chain goes on
    assert ChainHead.objects.get(pk=1).sequence == 2

    report = audit_verify()
    beyond = [p for p in report.problems if p.position == 10**12]
    assert [p.entry_id for p in beyond] == [next_id]
    assert "a seal beyond the chain's end (seal 2) was inserted behind the sealer's back" in beyond[0].what

    backdate([next_id], timedelta(minutes=10))  # once the grace time has passed
    never = [p for p in audit_verify().problems if p.position is None]
    assert [(p.entry_id, "was never sealed" in p.what) for p in never] == [(next_id, True)]


# --- the link format after an anchor ------------------------------------------------------------------


def test_a_seal_relinked_to_the_old_format_right_after_an_archive_is_reported(settings, tmp_path):
    sqlite_only()
    result = archived(tmp_path)
    assert AuditAnchor.objects.get().link_version == 2
    make_entities(2, "New")
    first, *rest = AuditSeal.objects.filter(sequence__gt=result.sequence).order_by("sequence")
    previous = chain_link(result.chain_hash, first.sequence, first.entry_hash)  # format 1: no time, no actor
    AuditSeal.objects.filter(pk=first.pk).update(link_version=1, chain_hash=previous)
    for seal in rest:  # and the chain after it recomputed, as a forger would
        stamp = seal_time_text(seal.sealed_at)
        previous = chain_link_v2(previous, seal.sequence, seal.entry_hash, seal.actor_id, stamp)
        AuditSeal.objects.filter(pk=seal.pk).update(chain_hash=previous)
    ChainHead.objects.update(chain_hash=previous)
    settings.HUB_AUDIT_HEAD_FILE = ""  # the record would (rightly) call this a rewrite anyway

    (problem,) = audit_verify().problems
    assert problem.position == first.sequence
    assert "links in format 1 after seals in format 2: it was relinked" in problem.what


# --- 4. an archive committing during a check ----------------------------------------------------------


def after_first_query_on(table: str, action: Callable[[], None]) -> Callable[..., Any]:
    """A database hook (Django's execute_wrapper) that runs ``action`` once, right after this connection's
    first query of ``table``: the moment a check has read the newest anchor."""
    fired: list[bool] = []

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if not fired and f'FROM "{table}"' in sql:
            fired.append(True)
            action()
        return result

    return wrapper


def test_an_archive_committing_during_a_check_is_no_false_alarm(tmp_path):
    old_entities(4)
    make_entities(2, "New")
    assert audit_verify().ok
    results: list[object] = []

    def archive_now() -> None:  # in its own thread and connection: it commits before the check reads on
        def run() -> None:
            try:
                results.append(audit_archive(older_than_days=30, directory=tmp_path))
            except BaseException as error:
                results.append(error)
            finally:
                connections.close_all()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=30)

    with connection.execute_wrapper(after_first_query_on("audit_auditanchor", archive_now)):
        report = audit_verify(seal_first=False)
    (result,) = results
    assert isinstance(result, ArchiveResult), result
    assert report.ok, report.problems
    assert AuditAnchor.objects.count() == 1
    assert audit_verify().ok


def test_a_seal_inserted_in_the_archived_part_is_reported_and_its_entry_never_sealed(tmp_path):
    result = archived(tmp_path)
    next_id = LogEntry.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1
    AuditSeal.objects.create(  # where the archive deleted seal 1: a free place below the head
        sequence=1,
        entry_id=next_id,
        entry_hash="0" * 64,
        chain_hash="0" * 64,
        actor_id=None,
        sealed_at=timezone.now(),
        link_version=2,
    )
    make_entities(1, "Secret")  # its entry takes next_id
    assert LogEntry.objects.filter(pk=next_id).exists()
    backdate([next_id], timedelta(minutes=10))

    problems = audit_verify().problems
    assert [(p.position, p.entry_id) for p in problems] == [(1, next_id), (None, next_id)]
    assert f"a seal in the archived part of the chain (up to seal {result.sequence})" in problems[0].what
    assert "was never sealed" in problems[1].what
