from typing import Any

from django.core.management.base import BaseCommand

from demo.loading import demo_load, demo_login


class Command(BaseCommand):
    help = "Load the demo configuration and its sample-system secrets, and create the demo admin. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        report = demo_load()
        demo_login()
        self.stdout.write(f"Demo loaded: {report.summary()}")
