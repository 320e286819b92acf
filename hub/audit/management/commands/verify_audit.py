"""Prove the audit trail intact: recompute its hash chain and report every break with its position.

With ``--archive`` it also checks archive files (or every ``*.jsonl`` in a folder): each on its own, then in
order, each continuing from the one before it, and the last one continuing into the chain in the database.
``--files-only`` checks the files without the database at all (when its anchors are gone, or elsewhere).
Without ``--archive`` it still compares the newest archive anchor with its file, if the file is where the
archive wrote it (a missing file is a warning: archives may be moved off the machine), and every anchor
with the line the archive noted in the head record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hub.audit.archiving import ArchiveFile, archive_joins_live_chain, archive_read, archives_in_order
from hub.audit.checking import VerifyReport, audit_verify
from hub.audit.models import AuditAnchor


def report_lines(report: VerifyReport) -> list[str]:
    start = (
        f"from the archive anchor at seal {report.anchor.sequence} ({report.anchor.path})"
        if report.anchor
        else "from the start of the trail"
    )
    warnings = [f"  Warning: {warning}" for warning in report.warnings]
    if report.ok:
        return [f"The audit trail is intact: {report.checked} entries checked {start}.", *warnings]
    lines = [f"The audit trail is NOT intact: {report.checked} entries checked {start}."]
    for problem in report.problems:
        where = f"position {problem.position}" if problem.position is not None else "not in the chain"
        entry = f", entry {problem.entry_id}" if problem.entry_id is not None else ""
        lines.append(f"  {where}{entry}: {problem.what}")
    if report.more_problems:
        lines.append(f"  ... and {report.more_problems} more problems.")
    return lines + warnings


def archive_paths(given: list[Path]) -> list[Path]:
    """Files as given; a folder stands for the archive files in it."""
    found: list[Path] = []
    for path in given:
        found.extend(sorted(path.glob("*.jsonl")) if path.is_dir() else [path])
    return found


class Command(BaseCommand):
    help = (
        "Check that no audit entry was edited, deleted, reordered or inserted, that the chain's end and its "
        "archives match the head record kept outside the database, and that the newest archive file (if "
        "still there) matches its anchor; exit 1 if not."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--archive",
            type=Path,
            action="append",
            default=[],
            metavar="FILE_OR_FOLDER",
            help="Also check archive files written by archive_audit, in order and joined to each other and "
            "to the chain in the database (may be repeated; a folder means every .jsonl file in it).",
        )
        parser.add_argument(
            "--files-only",
            action="store_true",
            help="Check only the archive files, against their own hashes, without the database.",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Also fail when something could not be checked (such as a missing head record file).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = not options["files_only"]
        archives_ok = self._archives_intact(archive_paths(options["archive"]), database=database)
        if not database:
            if not archives_ok:
                raise SystemExit(1)
            return
        report = audit_verify()
        lines = report_lines(report)
        failed = not report.ok or not archives_ok or (options["strict"] and bool(report.warnings))
        (self.stderr if failed else self.stdout).write("\n".join(lines))
        if failed:
            raise SystemExit(1)

    def _archives_intact(self, paths: list[Path], *, database: bool) -> bool:
        files, intact = [], True
        for path in paths:
            if not path.is_file():
                self.stderr.write(f"{path}: no such archive file.")
                intact = False
                continue
            found = self._one_file(path, database=database)
            files.append(found)
            intact = intact and not found.problems
        for found, what in archives_in_order(files):
            self.stderr.write(f"{found.path}: {what}")
            intact = False
        readable = sorted((f for f in files if f.readable), key=lambda f: f.after_sequence)
        if database and readable:
            trouble = archive_joins_live_chain(readable[-1])
            if trouble:
                self.stderr.write(f"{readable[-1].path}: {trouble}")
                intact = False
            elif intact:
                self.stdout.write(f"{readable[-1].path.name}: the chain in the database continues from it.")
        return intact

    def _one_file(self, path: Path, *, database: bool) -> ArchiveFile:
        found = archive_read(path)
        anchor = (
            AuditAnchor.objects.filter(sequence=found.sequence).first()
            if database and found.readable
            else None
        )
        if anchor is not None:
            found = archive_read(path, anchor.file_sha256)
        if found.problems:
            self.stderr.write(f"{path}: NOT intact.")
            for problem in found.problems:
                where = f"position {problem.position}" if problem.position is not None else "the file"
                self.stderr.write(f"  {where}: {problem.what}")
            return found
        if anchor is not None:
            known = f"matches the anchor of seals {anchor.first_sequence}-{anchor.sequence}"
        elif database:
            known = "no anchor in this database records it, so it was checked against its own hashes only"
        else:
            known = "checked against its own hashes"
        self.stdout.write(
            f"{path}: intact, seals {found.sequence - found.count + 1}-{found.sequence} ({known})."
        )
        return found
