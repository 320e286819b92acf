from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.registry import connector_class
from hub.audit.services import command_actor
from hub.systems.models import System
from hub.systems.services import secret_set


class Command(BaseCommand):
    help = (
        "Store one secret of a system (a token, a password), read from standard input so that it never "
        "appears in the shell history: echo -n ... | manage.py set_secret CRM bearer_token"
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("system", metavar="SYSTEM", help="The system's name, as in the admin.")
        parser.add_argument("param", metavar="PARAM", help="The secret parameter, e.g. bearer_token.")
        parser.add_argument(
            "--as", dest="as_user", metavar="USERNAME", help="Record the change in this name."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        system = _system(options["system"])
        name = options["param"]
        secrets = _secret_names(system)
        if name not in secrets:
            known = ", ".join(secrets) or "none"
            raise CommandError(
                f"'{name}' is not a secret of {system.name} ({system.kind}); its secrets are: {known}."
            )
        value = _value(options.get("stdin") or sys.stdin)
        with command_actor(options["as_user"]) as actor:
            secret_set(system=system, name=name, value=value, actor=actor)
        self.stdout.write(f"Secret {name} of {system.name} saved.")


def _system(name: str) -> System:
    try:
        return System.objects.get(name=name)
    except System.DoesNotExist:
        raise CommandError(f"There is no system named '{name}'.") from None


def _secret_names(system: System) -> list[str]:
    try:
        return connector_class(system.kind).secret_names()
    except KeyError as error:
        raise CommandError(f"{system.name}: {error.args[0]}") from None


def _value(stream: Any) -> str:
    value = getpass.getpass("Value (not shown): ") if stream.isatty() else stream.read()
    for ending in ("\r\n", "\n"):
        if value.endswith(ending):
            value = value.removesuffix(ending)
            break
    if not value:
        raise CommandError("The value is empty: nothing was saved. Pass the secret on standard input.")
    return value
