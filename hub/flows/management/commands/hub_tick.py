from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand

from hub.flows.scheduling import tick


class Command(BaseCommand):
    help = (
        "The engine's clock: every few seconds, start due scheduled runs, requeue abandoned or lost runs "
        "and wake the outbox. Safe to run on several machines at once: the database decides."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--every", type=float, default=10.0, help="Seconds between ticks (default 10).")
        parser.add_argument("--once", action="store_true", help="Tick once and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            done = tick()
            if any(done.values()):
                self.stdout.write(" ".join(f"{k}={v}" for k, v in done.items()))
            if options["once"]:
                return
            deadline = time.monotonic() + options["every"]
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
