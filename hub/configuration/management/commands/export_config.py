from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hub.audit.events import Event
from hub.audit.services import audit_event, command_actor
from hub.configuration.export import config_dump, config_export
from hub.systems.models import System


class Command(BaseCommand):
    help = "Write the whole configuration (systems, entities, mappings, flows; never secret values) as YAML."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", metavar="FILE", help="Write to this file instead of the screen.")
        parser.add_argument("--as", dest="as_user", metavar="USER", help="Who exports (for the audit trail).")

    def handle(self, *args: Any, **options: Any) -> None:
        with command_actor(options["as_user"]) as actor:
            text = config_dump(config_export())
            audit_event(
                event=Event.EXPORTED, what="configuration (YAML)", actor=actor, about=System,
                reason=f"export_config to {options['output'] or 'the screen'}",
            )  # fmt: skip
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Configuration written to {options['output']}.")
        else:
            self.stdout.write(text, ending="")
