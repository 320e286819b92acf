"""Move audit entries past their retention to a verified archive file; the chain continues from its anchor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hub.audit.archiving import ArchiveError, archive_directory, audit_archive
from hub.audit.services import command_actor


class Command(BaseCommand):
    help = (
        "Archive audit entries older than DAYS (default HUB_AUDIT_RETENTION_DAYS) to a JSON-lines file "
        "with the chain's anchor, verify the file, then remove those entries from the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, dest="days", metavar="DAYS", help="Age in days.")
        parser.add_argument(
            "--dir", type=Path, help=f"Where to write the file (default {archive_directory()})."
        )
        parser.add_argument("--as", dest="actor", help="Your user name, for the audit trail.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.HUB_AUDIT_RETENTION_DAYS
        if days <= 0:
            self.stdout.write(
                "Nothing archived: no retention is set (HUB_AUDIT_RETENTION_DAYS=0 keeps every entry). "
                "Pass --older-than DAYS to archive once."
            )
            return
        with command_actor(options["actor"]) as actor:
            try:
                result = audit_archive(older_than_days=days, directory=options["dir"], actor=actor)
            except ArchiveError as error:
                raise CommandError(str(error)) from None
        if result is None:
            self.stdout.write(f"Nothing archived: no audit entry is older than {days} days.")
            return
        self.stdout.write(
            f"Archived {result.count} entries (seals {result.first_sequence}-{result.sequence}) to "
            f"{result.path}\nSHA-256 {result.file_sha256}; the chain continues from {result.chain_hash}."
        )
