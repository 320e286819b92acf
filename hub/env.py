"""Typed readers for settings taken from the environment.

Each reader names the variable and what it expects when a value is malformed, so that a wrong deployment
stops at start-up with a sentence an operator can act on.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, *, environ: Mapping[str, str] = os.environ) -> str:
    value = environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"{name} is not set: it is required here.")
        return default
    return value.strip()


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] = os.environ) -> bool:
    value = environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use true or false (or 1/0, yes/no).")


def env_int(name: str, default: int, *, minimum: int = 0, environ: Mapping[str, str] = os.environ) -> int:
    value = environ.get(name)
    if value is None:
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is too small: the minimum is {minimum}.")
    return number


def env_list(name: str, default: list[str], *, environ: Mapping[str, str] = os.environ) -> list[str]:
    value = environ.get(name)
    if value is None:
        return default
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name} is empty: give a comma-separated list.")
    return items


def env_url(
    name: str, default: str, *, schemes: tuple[str, ...], environ: Mapping[str, str] = os.environ
) -> str:
    value = env_str(name, default, environ=environ)
    scheme, sep, rest = value.partition("://")
    expected = " or ".join(f"{s}://..." for s in schemes)
    if not sep or scheme not in schemes or not rest:
        raise ImproperlyConfigured(f"{name} is not a valid URL: expected {expected}.")
    try:
        urlsplit(value).port  # noqa: B018 - reading it checks it
    except ValueError:
        raise ImproperlyConfigured(f"{name} has a port that is not a number between 0 and 65535.") from None
    return value


def local_secret_file(path: Path, make: str | None = None) -> str:
    """Read a secret kept in a local, ignored file; create it with mode 600 on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write a private temporary file, then link it into place: two processes starting at once (web
        # server and worker) agree on one value, and nobody reads a half-written file.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write((make or secrets.token_urlsafe(50)) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
