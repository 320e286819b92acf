"""The audit trail is tamper-evident (a hash chain over auditlog's entries) and archived, never deleted."""

from __future__ import annotations

import io
import json
import threading
import time
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from hub.audit.archiving import archive_verify, audit_archive
from hub.audit.chain import audit_seal_or_log, audit_seal_pending
from hub.audit.checking import Problem, audit_verify
from hub.audit.models import AuditAnchor, AuditSeal, ChainHead
from hub.audit.services import audit_access, audit_access_many
from hub.catalog.models import Entity

# Real commits: sealing happens when a transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


def make_entities(count: int, prefix: str = "Thing") -> list[Entity]:
    return [Entity.objects.create(name=f"{prefix}{n}") for n in range(count)]


def seal_of(position: int) -> AuditSeal:
    return AuditSeal.objects.get(sequence=position)


def unsealed() -> list[int]:
    sealed = AuditSeal.objects.values_list("entry_id", flat=True)
    return list(LogEntry.objects.exclude(pk__in=sealed).values_list("pk", flat=True))


def run_command(name: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def verify_lines() -> tuple[int, str]:
    """verify_audit's exit code and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), err.getvalue()
    return 0, out.getvalue()


# --- sealing ----------------------------------------------------------------------------------------


def test_created_changed_and_accessed_entries_are_all_sealed_in_order():
    customer = Entity.objects.create(name="Customer")  # created
    customer.description = "People who buy"
    customer.save()  # changed
    audit_access(instance=customer, what="schema", reason="a reviewer looked")  # accessed
    audit_access_many(instances=make_entities(3, "Read"), what="record", reason="API page")  # bulk

    assert unsealed() == []
    entries = LogEntry.objects.count()
    assert entries == 2 + 1 + 3 + 3
    assert list(AuditSeal.objects.values_list("sequence", flat=True)) == list(range(1, entries + 1))
    head = ChainHead.objects.get()
    assert (head.sequence, head.chain_hash) == (entries, seal_of(entries).chain_hash)
    report = audit_verify()
    assert (report.ok, report.checked, report.problems) == (True, entries, [])


def test_one_commit_seals_once_and_a_rollback_seals_nothing():
    with transaction.atomic():
        make_entities(5)
        ours = [w for w in connection.run_on_commit if w[1] is audit_seal_or_log]
        assert len(ours) == 1  # five entries, one sealing
        assert unsealed() != []  # not before the commit
    assert unsealed() == []
    assert AuditSeal.objects.values("sealed_at").distinct().count() == 1

    def rolled_back() -> None:
        with transaction.atomic():
            make_entities(2, "Gone")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        rolled_back()
    assert AuditSeal.objects.count() == LogEntry.objects.count() == 5


def test_sealing_reads_and_writes_in_a_fixed_number_of_statements(django_assert_max_num_queries):
    entity = Entity.objects.create(name="Order")
    with transaction.atomic():
        LogEntry.objects.bulk_create(
            LogEntry(
                content_type=ContentType.objects.get_for_model(Entity),
                object_pk=str(entity.pk),
                object_repr="Order",
                action=LogEntry.Action.ACCESS,
                changes={},
            )
            for _ in range(300)
        )
        with django_assert_max_num_queries(8):  # savepoint, head, read, insert, head update, release
            assert audit_seal_pending() == 300


def test_the_tick_seals_what_a_commit_did_not():
    from hub.flows.scheduling import tick

    entity = Entity.objects.create(name="Invoice")
    LogEntry.objects.bulk_create(  # straight to the table: no signal, no sealing
        [LogEntry(content_type=ContentType.objects.get_for_model(Entity), object_pk=str(entity.pk), action=3)]
    )
    assert len(unsealed()) == 1
    tick()
    assert unsealed() == []
    assert audit_verify().ok


def test_concurrent_writers_leave_one_valid_chain():
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def writer(prefix: str) -> None:
        try:
            start.wait()
            for n in range(15):
                with transaction.atomic():
                    Entity.objects.create(name=f"{prefix}{n}")
                audit_access_many(instances=[Entity.objects.get(name=f"{prefix}{n}")], what="x", reason="y")
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(p,)) for p in ("Alpha", "Beta", "Gamma")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert unsealed() == []
    total = LogEntry.objects.count()
    assert total == 3 * 15 * 2
    assert list(AuditSeal.objects.values_list("sequence", flat=True)) == list(range(1, total + 1))
    report = audit_verify()
    assert (report.ok, report.checked) == (True, total)


# --- tampering --------------------------------------------------------------------------------------


def test_an_edited_entry_is_reported_at_its_position():
    make_entities(5)
    victim = seal_of(3).entry_id
    LogEntry.objects.filter(pk=victim).update(object_repr="Nothing to see")

    report = audit_verify()
    assert not report.ok
    assert report.problems == [Problem(3, victim, "the entry was edited after it was sealed.")]


def test_a_deleted_entry_is_reported_at_its_position():
    make_entities(5)
    victim = seal_of(2).entry_id
    LogEntry.objects.filter(pk=victim).delete()

    assert audit_verify().problems == [Problem(2, victim, "the entry was deleted; its seal remains.")]


def test_a_deleted_entry_and_its_seal_are_reported_as_a_gap():
    make_entities(5)
    victim = seal_of(4)
    LogEntry.objects.filter(pk=victim.entry_id).delete()
    victim.delete()

    problems = audit_verify().problems
    assert [p.position for p in problems] == [4, 5]
    assert "seals 4 to 4 are missing" in problems[0].what
    assert "the chain breaks here" in problems[1].what


def test_reordered_seals_are_reported_where_the_order_changed():
    make_entities(5)
    second, third = seal_of(2), seal_of(3)
    AuditSeal.objects.filter(pk=second.pk).update(sequence=-2)
    AuditSeal.objects.filter(pk=third.pk).update(sequence=2)
    AuditSeal.objects.filter(pk=second.pk).update(sequence=3)

    problems = audit_verify().problems
    # Each moved seal breaks the chain where it now stands, and so does the link into the next one.
    assert [(p.position, p.entry_id) for p in problems] == [
        (2, third.entry_id),
        (3, second.entry_id),
        (4, seal_of(4).entry_id),
    ]
    assert all("the chain breaks here" in p.what for p in problems)


def test_entries_swapped_under_their_seals_are_reported():
    make_entities(4)
    first, second = seal_of(1), seal_of(2)
    AuditSeal.objects.filter(pk=first.pk).update(entry_id=-1)
    AuditSeal.objects.filter(pk=second.pk).update(entry_id=first.entry_id)
    AuditSeal.objects.filter(pk=first.pk).update(entry_id=second.entry_id)

    problems = audit_verify().problems
    assert [(p.position, p.what) for p in problems] == [
        (1, "the entry was edited after it was sealed."),
        (2, "the entry was edited after it was sealed."),
    ]


def test_the_end_of_the_chain_cut_off_is_reported():
    make_entities(3)
    seal_of(3).delete()
    LogEntry.objects.filter(pk__in=unsealed()).delete()  # its entry too

    problems = audit_verify().problems
    assert len(problems) == 1
    assert "the chain ends at seal 2, but its head records seal 3" in problems[0].what


def test_an_entry_inserted_behind_the_chains_back_is_reported():
    make_entities(2)
    entity = Entity.objects.get(name="Thing0")
    backdated = timezone.now() - timedelta(hours=2)
    (forged,) = LogEntry.objects.bulk_create(
        [LogEntry(content_type=ContentType.objects.get_for_model(Entity), object_pk=str(entity.pk), action=2)]
    )
    LogEntry.objects.filter(pk=forged.pk).update(timestamp=backdated)

    (problem,) = audit_verify(seal_first=False).problems
    assert (problem.position, problem.entry_id) == (None, forged.pk)
    assert "was never sealed" in problem.what

    # Sealing it later (verification seals what is pending first) does not launder it: it is dated longer
    # before the chain's seals than any transaction may take.
    (problem,) = audit_verify().problems
    assert (problem.position, problem.entry_id) == (3, forged.pk)
    assert "inserted behind the chain's back" in problem.what


def test_entries_older_than_the_chain_are_sealed_as_its_start(head_record):
    """On an existing installation the first sealing takes in months of entries at once: not suspicious."""
    entity = Entity.objects.create(name="Legacy")
    long_ago = [timezone.now() - timedelta(days=days) for days in (300, 200, 100)]
    LogEntry.objects.bulk_create(
        LogEntry(content_type=ContentType.objects.get_for_model(Entity), object_pk="1", action=3, timestamp=t)
        for t in long_ago
    )
    AuditSeal.objects.all().delete()  # as before this feature: nothing sealed yet
    ChainHead.objects.all().delete()
    head_record.unlink()  # nor recorded
    assert entity.pk
    assert audit_seal_pending() == 4

    report = audit_verify()
    assert (report.ok, report.checked) == (True, 4)


def test_deleting_a_user_is_not_tampering():
    user = get_user_model().objects.create_user("ursula", password="not-used-here-1")
    user_pk = user.pk
    audit_access(instance=user, what="profile", reason="support", actor=user)
    access = LogEntry.objects.get(action=LogEntry.Action.ACCESS)  # making ursula is an entry too
    assert access.actor_id == user_pk
    user.delete()  # auditlog sets the entry's actor to null

    access.refresh_from_db()
    assert access.actor_id is None
    assert LogEntry.objects.filter(action=LogEntry.Action.DELETE, object_pk=str(user_pk)).count() == 1
    assert audit_verify().ok


def test_verify_audit_says_intact_or_exits_1_with_positions():
    make_entities(4)
    code, text = verify_lines()
    assert code == 0
    assert "The audit trail is intact: 4 entries checked from the start of the trail." in text

    LogEntry.objects.filter(pk=seal_of(3).entry_id).update(changes={"name": ["A", "B"]})
    code, text = verify_lines()
    assert code == 1
    assert "The audit trail is NOT intact: 4 entries checked" in text
    assert f"position 3, entry {seal_of(3).entry_id}: the entry was edited after it was sealed." in text


# --- retention --------------------------------------------------------------------------------------


def old_and_new_entries(old: int, new: int, age_days: int = 40) -> None:
    with transaction.atomic():  # sealed on commit, with the old dates
        entities = make_entities(old, "Old")
        ids = LogEntry.objects.values_list("pk", flat=True)
        LogEntry.objects.filter(pk__in=list(ids)).update(timestamp=timezone.now() - timedelta(days=age_days))
    assert len(entities) == old
    make_entities(new, "New")


def test_archiving_keeps_the_chain_verifiable_and_the_file_verifies(tmp_path):
    old_and_new_entries(6, 3)

    out, _ = run_command("archive_audit", "--older-than", "30", "--dir", str(tmp_path))

    assert "Archived 6 entries (seals 1-6)" in out
    anchor = AuditAnchor.objects.get()
    assert (anchor.first_sequence, anchor.sequence, anchor.count) == (1, 6, 6)
    assert not LogEntry.objects.filter(object_repr__startswith="Old").exists()
    assert not AuditSeal.objects.filter(sequence__lte=6).exists()
    exported = LogEntry.objects.get(additional_data__event="exported")
    assert exported.additional_data["reason"] == "retention archive"

    report = audit_verify()
    assert report.ok, report.problems
    assert report.checked == 3 + 1  # the new entries and the archive's own entry
    assert report.anchor is not None
    assert report.anchor.sequence == 6

    (path,) = tmp_path.glob("*.jsonl")
    assert archive_verify(path, anchor.file_sha256) == []
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["kind"] for line in lines] == ["header"] + ["entry"] * 6 + ["anchor"]
    assert lines[-1]["chain_hash"] == anchor.chain_hash
    assert verify_lines() == (
        0,
        f"The audit trail is intact: 4 entries checked from the archive anchor at seal 6 ({anchor.path}).\n",
    )

    out, _ = run_command("verify_audit", "--archive", str(path))
    assert f"{path}: intact, seals 1-6 (matches the anchor of seals 1-6)." in out

    lines[3]["entry"]["object_repr"] = "Edited in the file"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    problems = archive_verify(path, anchor.file_sha256)
    assert problems[0].what == "the file's SHA-256 is not the one recorded with its anchor."
    assert Problem(3, lines[3]["entry"]["id"], "the entry was edited.") in problems
    with pytest.raises(SystemExit):
        run_command("verify_audit", "--archive", str(path))
    (tmp_path / "notes.txt").write_text("not json\n")
    (problem,) = archive_verify(tmp_path / "notes.txt")
    assert problem.what == "the file is not an audit archive (unreadable lines)."


def test_a_second_archive_continues_from_the_first_anchor(tmp_path):
    with transaction.atomic():
        make_entities(6, "Old")
        oldest = list(LogEntry.objects.order_by("pk").values_list("pk", flat=True)[:4])
        LogEntry.objects.filter(pk__in=oldest).update(timestamp=timezone.now() - timedelta(days=60))
        LogEntry.objects.exclude(pk__in=oldest).update(timestamp=timezone.now() - timedelta(days=45))
    make_entities(2, "Later")

    first = audit_archive(older_than_days=50, directory=tmp_path)
    second = audit_archive(older_than_days=30, directory=tmp_path)

    assert first is not None
    assert second is not None
    assert (first.first_sequence, first.sequence, first.count) == (1, 4, 4)
    assert (second.first_sequence, second.sequence, second.count) == (5, 6, 2)
    assert second.path != first.path
    report = audit_verify()
    assert report.ok, report.problems
    assert report.anchor is not None
    assert report.anchor.sequence == 6
    assert AuditAnchor.objects.count() == 2

    AuditAnchor.objects.filter(sequence=4).delete()  # the record of the first archive, removed
    (problem,) = audit_verify().problems
    assert (problem.position, problem.what) == (1, "archives skip seals 1 to 4: an archive is missing.")


def test_a_broken_trail_is_not_archived(tmp_path):
    old_and_new_entries(4, 1)
    LogEntry.objects.filter(pk=seal_of(2).entry_id).update(object_repr="Rewritten")
    count = LogEntry.objects.count()

    with pytest.raises(CommandError, match="not intact at position 2"):
        run_command("archive_audit", "--older-than", "30", "--dir", str(tmp_path))

    assert LogEntry.objects.count() == count
    assert list(tmp_path.iterdir()) == []
    assert not AuditAnchor.objects.exists()


def test_without_retention_nothing_is_archived(tmp_path, settings):
    settings.HUB_AUDIT_RETENTION_DAYS = 0
    old_and_new_entries(2, 0)
    assert "no retention is set" in run_command("archive_audit", "--dir", str(tmp_path))[0]
    assert "no audit entry is older than 90 days" in run_command("archive_audit", "--older-than", "90")[0]
    assert LogEntry.objects.count() == 2


# --- cost -------------------------------------------------------------------------------------------


def bench_seal(n: int) -> float:
    """Seconds to seal n entries written in one bulk insert (for `make bench`)."""
    entity = Entity.objects.first() or Entity.objects.create(name="Bench")
    content_type = ContentType.objects.get_for_model(Entity)
    with transaction.atomic():
        LogEntry.objects.bulk_create(
            LogEntry(content_type=content_type, object_pk=str(entity.pk), action=3, changes={})
            for _ in range(n)
        )
        started = time.perf_counter()
        audit_seal_pending()
        return time.perf_counter() - started


def test_sealing_a_large_batch_is_cheap():
    assert bench_seal(5000) < 5.0
    assert audit_verify().checked == 5000 + 1  # and the entity's own creation
