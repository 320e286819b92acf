from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hub.audit.services import command_actor
from hub.flows.models import Flow, Run, RunState
from hub.flows.runs import run_execute, run_request


class Command(BaseCommand):
    help = "Start a run of a flow now. With --wait, wait for it to finish and print its counts."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="The flow's name.")
        parser.add_argument("--wait", action="store_true", help="Wait until the run has finished.")
        parser.add_argument(
            "--here", action="store_true", help="Run it in this process instead of a worker (implies --wait)."
        )
        parser.add_argument("--timeout", type=float, default=1800, help="Seconds to wait at most.")
        parser.add_argument("--as", dest="actor", help="Your user name, for the audit trail.")

    def handle(self, *args: Any, **options: Any) -> None:
        flow = Flow.objects.filter(name=options["name"]).first()
        if flow is None:
            names = ", ".join(Flow.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"There is no flow named {options['name']!r}. Flows: {names}.")
        with command_actor(options["actor"]) as actor:
            run, created = run_request(flow=flow, trigger="manual", actor=actor)
        if not created:
            self.stdout.write(f"Run {run.pk} of this flow is already {run.state}; following it.")
        if options["here"]:
            run_execute(run.pk)
        if options["wait"] or options["here"]:
            run = self._wait(run, options["timeout"])
        self.stdout.write(_summary(run))
        if run.state in (RunState.FAILED, RunState.UNBALANCED):
            raise CommandError(run.error or run.state)

    def _wait(self, run: Run, timeout: float) -> Run:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.state not in (RunState.QUEUED, RunState.RUNNING):
                return run
            time.sleep(0.5)
        raise CommandError(f"Run {run.pk} has not finished after {timeout:g} s (it is {run.state}).")


def _summary(run: Run) -> str:
    counts = (
        f"fetched {run.fetched}: created {run.created}, updated {run.updated}, unchanged {run.unchanged}, "
        f"quarantined {run.quarantined}, conflicts {run.conflicts}, failed {run.failed}, "
        f"dead-lettered {run.dead_lettered}"
    )
    return f"Run {run.pk} of {run.flow.name}: {run.state}. {counts}."
