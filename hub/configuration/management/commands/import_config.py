from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hub.audit.services import command_actor
from hub.configuration.importer import ConfigImportError, config_import


class Command(BaseCommand):
    help = (
        "Apply a configuration written by export_config: creates and changes what differs, leaves "
        "everything the file does not list alone, and changes nothing at all if the file has an error."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="The YAML file to apply ('-' reads standard input).")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change, save nothing.")
        parser.add_argument(
            "--as", dest="as_user", metavar="USERNAME", help="Record the changes in this name."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        text = _read(options["file"])
        with command_actor(options["as_user"]) as actor:
            try:
                report = config_import(text=text, dry_run=options["dry_run"], actor=actor)
            except ConfigImportError as error:
                for message in error.errors:
                    self.stderr.write(message)
                raise CommandError(
                    f"{len(error.errors)} error(s) in {options['file']}: nothing was changed."
                ) from None
        for line in report.lines():
            self.stdout.write(line)


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"Cannot read {name}: {error}") from None
