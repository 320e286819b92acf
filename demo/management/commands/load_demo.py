from typing import Any

from django.core.management.base import BaseCommand

from demo.loading import demo_load, demo_login, demo_wanted


class Command(BaseCommand):
    help = (
        "Load the demo configuration and its sample-system secrets into an empty hub, and create the demo "
        "admin. A hub that already has systems is left as it is, unless --force."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Load the demo even over an existing configuration."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        demo_login()
        if not (options["force"] or demo_wanted()):
            self.stdout.write(
                "The hub already has a configuration: the demo was not loaded again, so nothing you changed "
                "is "
                "overwritten (load_demo --force loads it anyway)."
            )
            return
        report = demo_load()
        self.stdout.write(f"Demo loaded: {report.summary()}")
