from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hub.configuration.export import config_dump, config_export


class Command(BaseCommand):
    help = "Write the whole configuration (systems, entities, mappings, flows; never secret values) as YAML."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", metavar="FILE", help="Write to this file instead of the screen.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = config_dump(config_export())
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Configuration written to {options['output']}.")
        else:
            self.stdout.write(text, ending="")
