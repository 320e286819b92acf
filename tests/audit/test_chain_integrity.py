"""What the chain alone could not show: its end cut off (the head record outside the database), a seal
re-dated or re-attributed (link version 2), an entry committed late (sealed, not reported), and archive
files that do not follow one another."""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connections, transaction
from django.utils import timezone

from hub.audit.archiving import ArchiveError, audit_archive
from hub.audit.chain import audit_seal_or_log, audit_seal_pending, chain_link
from hub.audit.checking import audit_verify
from hub.audit.models import AuditAnchor, AuditSeal, ChainHead
from hub.audit.services import audit_access
from hub.catalog.models import Entity

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def every_sealing_recorded(settings):
    settings.HUB_AUDIT_HEAD_INTERVAL_SECONDS = 0


def make_entities(count: int, prefix: str = "Thing") -> list[Entity]:
    return [Entity.objects.create(name=f"{prefix}{n}") for n in range(count)]  # a commit, a sealing each


def seal_of(position: int) -> AuditSeal:
    return AuditSeal.objects.get(sequence=position)


def recorded(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def verify_command(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def cut_the_end_off(keep: int) -> None:
    """What someone with write access to the database can do: remove the last seals and their entries, and
    rewrite the chain's head to match, so that the chain in the database is consistent again."""
    gone = AuditSeal.objects.filter(sequence__gt=keep)
    LogEntry.objects.filter(pk__in=list(gone.values_list("entry_id", flat=True))).delete()
    gone.delete()
    last = seal_of(keep)
    ChainHead.objects.update(sequence=keep, chain_hash=last.chain_hash, recorded_sequence=keep)


# --- the head record --------------------------------------------------------------------------------


def test_each_sealing_appends_the_head_outside_the_database(every_sealing_recorded, head_record):
    make_entities(3)
    lines = recorded(head_record)
    assert [line["sequence"] for line in lines] == [1, 2, 3]
    assert [line["chain_hash"] for line in lines] == [seal_of(n).chain_hash for n in (1, 2, 3)]


def test_the_record_is_throttled_and_a_quiet_hub_catches_up(settings, head_record):
    settings.HUB_AUDIT_HEAD_INTERVAL_SECONDS = 3600
    make_entities(4)
    assert [line["sequence"] for line in recorded(head_record)] == [1]  # the first; the rest within the hour

    ChainHead.objects.update(recorded_at=timezone.now() - timedelta(hours=2))  # an hour later, nothing new
    audit_seal_or_log()  # as the tick does
    assert [line["sequence"] for line in recorded(head_record)] == [1, 4]


def test_many_workers_append_whole_lines(every_sealing_recorded, head_record):
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        try:
            start.wait()
            make_entities(10, prefix)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(p,)) for p in ("Alpha", "Beta", "Gamma")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    lines = recorded(head_record)  # every line parses: no two writes mixed
    sealed = dict(AuditSeal.objects.values_list("sequence", "chain_hash"))
    assert max(line["sequence"] for line in lines) == len(sealed) == 30
    assert all(sealed[line["sequence"]] == line["chain_hash"] for line in lines)
    assert audit_verify().ok


def test_the_end_cut_off_with_its_head_is_reported(every_sealing_recorded, head_record):
    make_entities(5)
    cut_the_end_off(keep=3)

    report = audit_verify()
    (problem,) = report.problems
    assert problem.position == 4
    assert "the chain ends at seal 3, but the head record" in problem.what
    assert "shows it reached seal 5" in problem.what
    assert "seals 4 to 5 were cut off the end" in problem.what
    code, _, err = verify_command()
    assert code == 1
    assert "position 4: the chain ends at seal 3" in err


def test_a_chain_rebuilt_after_an_edit_is_reported_where_it_differs(every_sealing_recorded):
    make_entities(4)
    LogEntry.objects.filter(pk=seal_of(2).entry_id).update(object_repr="Rewritten")
    # ... then every seal from there on removed and the entries sealed again: a consistent chain.
    AuditSeal.objects.filter(sequence__gte=2).delete()
    ChainHead.objects.update(sequence=1, chain_hash=seal_of(1).chain_hash, recorded_sequence=1)
    audit_seal_pending(full=True)

    problems = audit_verify().problems
    assert [p.position for p in problems] == [2, 3, 4]
    assert all("not the one the head record" in p.what for p in problems)


def test_a_missing_head_record_is_a_warning_not_a_failure(head_record):
    make_entities(2)
    head_record.unlink()

    report = audit_verify()
    assert report.ok
    assert report.warnings == [
        f"The head record {head_record} does not exist: the end of the chain was not compared with it."
    ]
    code, out, _ = verify_command()
    assert code == 0
    assert f"Warning: The head record {head_record} does not exist" in out
    assert verify_command("--strict")[0] == 1


def test_a_record_that_cannot_be_read_is_a_warning(head_record):
    make_entities(1)
    with head_record.open("a") as out:
        out.write("not a head\n")
    report = audit_verify()
    assert report.ok
    assert report.warnings == [f"The head record {head_record} has 1 unreadable line(s), first line 2."]


# --- the link covers the seal's time and actor -------------------------------------------------------


def test_a_redated_or_reattributed_seal_breaks_the_chain():
    make_entities(4)
    AuditSeal.objects.filter(sequence=2).update(sealed_at=timezone.now() - timedelta(days=3))
    AuditSeal.objects.filter(sequence=3).update(actor_id=999)

    problems = audit_verify().problems
    assert [(p.position, p.entry_id) for p in problems] == [
        (2, seal_of(2).entry_id),
        (3, seal_of(3).entry_id),
    ]
    assert all("the chain breaks here" in p.what for p in problems)


def relink_as_version_1(upto: int) -> None:
    """Seals as they were made before link version 2 (an existing installation's chain)."""
    previous = "0" * 64
    for seal in AuditSeal.objects.filter(sequence__lte=upto).order_by("sequence"):
        previous = chain_link(previous, seal.sequence, seal.entry_hash)
        AuditSeal.objects.filter(pk=seal.pk).update(chain_hash=previous, link_version=1)
    ChainHead.objects.update(chain_hash=previous)


def test_a_chain_sealed_before_version_2_still_verifies_and_continues(settings):
    settings.HUB_AUDIT_HEAD_FILE = ""  # the record would rightly call the relinking below a rewrite
    make_entities(3)
    relink_as_version_1(3)
    make_entities(2, "After")

    assert list(AuditSeal.objects.values_list("link_version", flat=True)) == [1, 1, 1, 2, 2]
    report = audit_verify()
    assert report.ok, report.problems
    (warning,) = report.warnings
    assert "HUB_AUDIT_HEAD_FILE is empty" in warning

    # Relinking a new seal in the old format (to free its time and actor) is reported.
    AuditSeal.objects.filter(sequence=5).update(
        link_version=1, chain_hash=chain_link(seal_of(4).chain_hash, 5, seal_of(5).entry_hash)
    )
    ChainHead.objects.update(chain_hash=seal_of(5).chain_hash)
    (problem,) = audit_verify().problems
    assert problem.position == 5
    assert "links in format 1 after seals in format 2: it was relinked" in problem.what


# --- late commits ------------------------------------------------------------------------------------


def late_entry(minutes_ago: int) -> LogEntry:
    """What an entry whose transaction took its id early and committed late looks like to the sealer: an
    id below the highest one it has read, dated before its look-back."""
    entity = Entity.objects.create(name="Late")
    (entry,) = LogEntry.objects.bulk_create(  # straight to the table: no on-commit sealing of its own
        [LogEntry(content_type=ContentType.objects.get_for_model(Entity), object_pk=str(entity.pk), action=3)]
    )
    LogEntry.objects.filter(pk=entry.pk).update(timestamp=timezone.now() - timedelta(minutes=minutes_ago))
    ChainHead.objects.update(scanned_to=entry.pk + 100, full_scan_at=timezone.now())
    return entry


def test_a_late_commit_is_sealed_by_verification_and_not_reported(settings):
    settings.HUB_AUDIT_LATE_COMMIT_MINUTES = 60
    make_entities(2)
    entry = late_entry(minutes_ago=45)
    audit_seal_or_log()
    assert not AuditSeal.objects.filter(entry_id=entry.pk).exists()  # beyond the look-back (and, on SQLite,
    # below the ids read)

    report = audit_verify()
    assert report.ok, report.problems
    assert AuditSeal.objects.filter(entry_id=entry.pk).exists()


def test_sealers_look_through_the_whole_table_now_and_then(settings):
    settings.HUB_AUDIT_LATE_COMMIT_MINUTES = 60
    make_entities(1)
    entry = late_entry(minutes_ago=45)
    audit_seal_or_log()
    assert not AuditSeal.objects.filter(entry_id=entry.pk).exists()

    ChainHead.objects.update(full_scan_at=timezone.now() - timedelta(minutes=11))
    audit_seal_or_log()  # the tick, ten minutes on
    assert AuditSeal.objects.filter(entry_id=entry.pk).exists()
    assert audit_verify().ok


def test_an_entry_later_than_any_transaction_may_take_is_reported(settings):
    settings.HUB_AUDIT_LATE_COMMIT_MINUTES = 30
    make_entities(2)
    entry = late_entry(minutes_ago=45)

    (problem,) = audit_verify().problems
    assert problem.entry_id == entry.pk
    assert "inserted behind the chain's back" in problem.what


# --- archives, one after another ---------------------------------------------------------------------


def two_archives(directory: Path) -> None:
    with transaction.atomic():
        make_entities(6, "Old")
        oldest = list(LogEntry.objects.order_by("pk").values_list("pk", flat=True)[:4])
        LogEntry.objects.filter(pk__in=oldest).update(timestamp=timezone.now() - timedelta(days=60))
        LogEntry.objects.exclude(pk__in=oldest).update(timestamp=timezone.now() - timedelta(days=45))
    make_entities(2, "Later")
    assert audit_archive(older_than_days=50, directory=directory) is not None
    assert audit_archive(older_than_days=30, directory=directory) is not None


def archive_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def test_archive_files_are_checked_in_order_and_into_the_live_chain(tmp_path):
    two_archives(tmp_path)
    first, second = archive_files(tmp_path)

    code, out, err = verify_command("--archive", str(tmp_path))
    assert (code, err) == (0, "")
    assert f"{first}: intact, seals 1-4 (matches the anchor of seals 1-4)." in out
    assert f"{second}: intact, seals 5-6 (matches the anchor of seals 5-6)." in out
    assert f"{second.name}: the chain in the database continues from it." in out


def test_a_file_that_does_not_follow_the_one_before_is_reported(tmp_path):
    two_archives(tmp_path)
    first, second = archive_files(tmp_path)
    lines = [json.loads(line) for line in second.read_text().splitlines()]
    lines[0]["after_hash"] = "f" * 64  # and its first entry relinked to it: a file intact on its own
    # (re-linking means recomputing the file's chain, which is what a forger would do)
    from hub.audit.chain import link_of

    previous = lines[0]["after_hash"]
    for line in lines[1:-1]:
        line["chain_hash"] = previous = link_of(
            previous,
            line["link_version"],
            line["sequence"],
            line["entry_hash"],
            line["actor_id"],
            line["sealed_at"],
        )
    lines[-1]["chain_hash"] = previous
    second.write_text("".join(json.dumps(line) + "\n" for line in lines))
    AuditAnchor.objects.all().delete()  # the database's record of them gone too

    code, out, err = verify_command("--archive", str(first), "--archive", str(second), "--files-only")
    assert code == 1
    assert f"{second}: intact, seals 5-6 (checked against its own hashes)." in out
    assert (
        f"{second}: it continues from seal 4, but not from the chain hash {first.name} ends with: "
        "one of them was rewritten." in err
    )


def test_files_alone_are_checked_without_the_database(tmp_path, django_assert_num_queries):
    two_archives(tmp_path)
    first, second = archive_files(tmp_path)
    with django_assert_num_queries(0):
        code, out, err = verify_command("--archive", str(tmp_path), "--files-only")
    assert (code, err) == (0, "")
    assert f"{first}: intact, seals 1-4 (checked against its own hashes)." in out

    second.unlink()  # a file missing between two others shows as a gap
    code, _, err = verify_command("--archive", str(first), "--archive", str(second), "--files-only")
    assert code == 1
    assert f"{second}: no such archive file." in err


def test_without_its_anchor_row_a_file_is_joined_to_the_live_chain_by_its_next_seal(tmp_path):
    two_archives(tmp_path)
    AuditAnchor.objects.all().delete()
    code, out, err = verify_command("--archive", str(tmp_path))
    second = archive_files(tmp_path)[1]
    assert "no anchor in this database records it" in out
    assert f"{second.name}: the chain in the database continues from it." in out
    assert code == 1  # the live chain itself is missing its anchors: verify_audit says so
    assert "archives skip seals" in err or "the chain breaks here" in err

    first = archive_files(tmp_path)[0]
    code, _, err = verify_command("--archive", str(first), "--files-only")
    assert code == 0


def test_a_gap_between_files_is_reported(tmp_path):
    with transaction.atomic():
        make_entities(6, "Old")
        ids = list(LogEntry.objects.order_by("pk").values_list("pk", flat=True))
        for days, chunk in ((90, ids[:2]), (70, ids[2:4]), (50, ids[4:])):
            LogEntry.objects.filter(pk__in=chunk).update(timestamp=timezone.now() - timedelta(days=days))
    for days in (80, 60, 40):
        assert audit_archive(older_than_days=days, directory=tmp_path) is not None
    first, middle, last = archive_files(tmp_path)
    middle.unlink()
    code, _, err = verify_command("--archive", str(first), "--archive", str(last))
    assert code == 1
    assert (
        f"{last}: it continues from seal 4, but {first.name} ends at seal 2: seals 3 to 4 are in no file"
        in err
    )


def test_an_archive_inside_a_transaction_is_refused(tmp_path):
    with pytest.raises(ArchiveError, match="must not run inside a transaction"), transaction.atomic():
        audit_archive(older_than_days=1, directory=tmp_path)


def test_archiving_writes_its_own_entry_and_leaves_user_entries_verifiable(tmp_path):
    with transaction.atomic():
        user = get_user_model().objects.create_user("archie", password="not-used-here-1")
        audit_access(instance=user, what="profile", reason="support", actor=user)
        LogEntry.objects.update(timestamp=timezone.now() - timedelta(days=40))
    result = audit_archive(older_than_days=30, directory=tmp_path)
    assert result is not None
    assert audit_verify().ok


def test_the_background_check_compares_with_the_head_record_too(every_sealing_recorded, head_record):
    from hub.audit.models import AuditVerification
    from hub.audit.verifying import verification_run

    make_entities(3)
    cut_the_end_off(keep=2)
    check = AuditVerification.objects.create()
    assert verification_run(check.pk) == "1 problem(s)"
    check.refresh_from_db()
    assert "seals 3 to 3 were cut off the end" in check.problems[0]["what"]

    head_record.unlink()
    check = AuditVerification.objects.create()
    verification_run(check.pk)
    check.refresh_from_db()
    assert check.warnings == [
        f"The head record {head_record} does not exist: the end of the chain was not compared with it."
    ]
