from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hub.audit.services import command_actor
from hub.flows.engine.context import RunSetupError
from hub.flows.models import DeadLetter
from hub.flows.outbox import dead_letter_discard, dead_letter_replay, outbox_deliver


class Command(BaseCommand):
    help = (
        "List, replay or discard dead letters: one (--id), several (--id twice), or all of a flow's (--flow). "
        "Replayed letters are mapped again and delivered once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["list", "replay", "discard"])
        parser.add_argument("--flow", help="The flow's name: all its dead letters.")
        parser.add_argument("--id", type=int, action="append", dest="ids", help="A dead letter's id.")
        parser.add_argument("--reason", default="", help="Why they are discarded (required for discard).")
        parser.add_argument("--now", action="store_true", help="After replaying, deliver at once here.")
        parser.add_argument("--as", dest="actor", help="Your user name, for the audit trail.")

    def handle(self, *args: Any, **options: Any) -> None:
        letters = DeadLetter.objects.select_related("flow__entity", "record", "target").order_by("pk")
        if options["ids"]:
            letters = letters.filter(pk__in=options["ids"])
        if options["flow"]:
            letters = letters.filter(flow__name=options["flow"])
        if not (options["ids"] or options["flow"]) and options["action"] != "list":
            raise CommandError("Name the dead letters: --id N (repeatable) or --flow NAME.")
        if options["action"] == "list":
            for letter in letters:
                self.stdout.write(
                    f"{letter.pk}\t{letter.flow.name}\t{letter.target.name}\t{letter.last_error[:100]}"
                )
            return
        with command_actor(options["actor"]) as actor:
            self._act(list(letters), options, actor)

    def _act(self, letters: list[DeadLetter], options: dict[str, Any], actor: Any) -> None:
        if options["action"] == "discard":
            if not options["reason"].strip():
                raise CommandError("Say why with --reason: it stays in the record's history.")
            for letter in letters:
                dead_letter_discard(delivery=letter, reason=options["reason"], actor=actor)
            self.stdout.write(f"{len(letters)} dead letter(s) discarded.")
            return
        failed = 0
        for letter in letters:
            try:
                dead_letter_replay(delivery=letter, actor=actor)
            except RunSetupError as error:
                failed += 1
                self.stderr.write(f"{letter.pk}: {error}")
        self.stdout.write(f"{len(letters) - failed} dead letter(s) queued for delivery.")
        if options["now"]:
            for flow_id in {letter.flow_id for letter in letters}:
                self.stdout.write(f"{outbox_deliver(flow_id=flow_id)} delivery attempt(s) made.")
