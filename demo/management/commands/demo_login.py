from typing import Any

from django.core.management.base import BaseCommand

from demo.loading import demo_login


class Command(BaseCommand):
    help = "Print the demo's admin address and login (creating the demo admin if needed)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/admin/")

    def handle(self, *args: Any, **options: Any) -> None:
        login = demo_login()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Integration Hub is running: {options['url']}"))
        self.stdout.write(f"Demo login: {login.username} / {login.password}")
