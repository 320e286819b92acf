"""Prove the audit trail intact: recompute its hash chain and report every break with its position."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hub.audit.archiving import archive_verify
from hub.audit.chain import VerifyReport, audit_verify
from hub.audit.models import AuditAnchor


def report_lines(report: VerifyReport) -> list[str]:
    start = (
        f"from the archive anchor at seal {report.anchor.sequence} ({report.anchor.path})"
        if report.anchor
        else "from the start of the trail"
    )
    if report.ok:
        return [f"The audit trail is intact: {report.checked} entries checked {start}."]
    lines = [f"The audit trail is NOT intact: {report.checked} entries checked {start}."]
    for problem in report.problems:
        where = f"position {problem.position}" if problem.position is not None else "not in the chain"
        entry = f", entry {problem.entry_id}" if problem.entry_id is not None else ""
        lines.append(f"  {where}{entry}: {problem.what}")
    if report.more_problems:
        lines.append(f"  ... and {report.more_problems} more problems.")
    return lines


class Command(BaseCommand):
    help = "Check that no audit entry was edited, deleted, reordered or inserted; exit 1 if one was."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--archive",
            type=Path,
            action="append",
            default=[],
            metavar="FILE",
            help="Also check an archive file written by archive_audit (may be repeated).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        archives = [self._archive_intact(path) for path in options["archive"]]  # each one reported
        if not all(archives):
            raise SystemExit(1)
        report = audit_verify()
        lines = report_lines(report)
        if report.ok:
            self.stdout.write(lines[0])
            return
        self.stderr.write("\n".join(lines))
        raise SystemExit(1)

    def _archive_intact(self, path: Path) -> bool:
        if not path.is_file():
            self.stderr.write(f"{path}: no such archive file.")
            return False
        anchor = AuditAnchor.objects.filter(path__endswith=path.name).first()
        problems = archive_verify(path, anchor.file_sha256 if anchor else None)
        if not problems:
            known = (
                f"matches the anchor of seals {anchor.first_sequence}-{anchor.sequence}"
                if anchor
                else "no anchor in this database names it, so its SHA-256 was not compared"
            )
            self.stdout.write(f"{path}: intact ({known}).")
            return True
        self.stderr.write(f"{path}: NOT intact.")
        for problem in problems:
            where = f"position {problem.position}" if problem.position is not None else "the file"
            self.stderr.write(f"  {where}: {problem.what}")
        return False
