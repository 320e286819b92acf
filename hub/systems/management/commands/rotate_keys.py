from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hub.audit.services import command_actor
from hub.systems.services import keys_rotate


def _prepend_key(path: Path, key: str) -> None:
    """Put the new key first in the key file, replacing the file atomically and keeping it private."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join([key, *settings.HUB_ENCRYPTION_KEYS]) + "\n")
    os.replace(tmp, path)


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret under the newest encryption key. With --new-key, first make a new "
        "key: written to the local key file, or printed for you to add to HUB_ENCRYPTION_KEYS."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--new-key", action="store_true", help="Make a new key and put it first.")
        parser.add_argument("--as", dest="actor", help="Your user name, for the audit trail.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            key = Fernet.generate_key().decode()
            if not settings.HUB_ENCRYPTION_KEYS_FROM_FILE:
                self.stdout.write(
                    "The keys come from HUB_ENCRYPTION_KEYS. Put this new key first in it on every machine, "
                    f"restart, then run rotate_keys again without --new-key:\n{key}"
                )
                return
            _prepend_key(Path(settings.HUB_ENCRYPTION_KEY_FILE), key)
            settings.HUB_ENCRYPTION_KEYS = [key, *settings.HUB_ENCRYPTION_KEYS]
            self.stdout.write(f"A new key was put first in {settings.HUB_ENCRYPTION_KEY_FILE}.")
        with command_actor(options.get("actor")):
            try:
                count = keys_rotate()
            except Exception as error:
                raise CommandError(str(error)) from error
        self.stdout.write(f"{count} secret(s) re-encrypted under the newest key.")
