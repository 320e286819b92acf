"""Turn what SQLAlchemy and the database drivers report into the connector errors, in plain words.

Messages name the database (host, port, database name or file), never the address as typed nor the
password. Engines are created with ``hide_parameters=True`` so that no exception carries the values
sent. The few words quoted from a database's own message (its first line) pass through ``quote``, which
masks our secrets before anything is shown.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exc as sa_exc

from connectors.base import (
    AuthenticationError,
    ConfigurationError,
    ConnectorError,
    UnreachableError,
)

from .options import SqlOptions

_MASK = "•••"
_DETAIL_CHARS = 200
_AUTH_WORDS = ("authentication failed", "no password supplied", "pg_hba.conf", 'role "')
_DNS_WORDS = ("resolve host", "translate host name", "name or service not known", "nodename nor servname")
_NO_PRIVILEGE = "42501"
_READ_ONLY_TRANSACTION = "25006"


def quote(text: str, secrets: Iterable[str]) -> str:
    """The first line of a database's message, secrets masked, at most 200 characters."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, _MASK)
    lines = text.strip().splitlines()
    return " ".join(lines[0].split())[:_DETAIL_CHARS] if lines else ""


def driver_text(error: BaseException) -> str:
    """The driver's own message, without SQLAlchemy's statement and background link."""
    original = getattr(error, "orig", None)
    return str(original if original is not None else error)


def sqlstate(error: BaseException) -> str | None:
    state = getattr(getattr(error, "orig", None), "sqlstate", None)
    return state if isinstance(state, str) else None


def database_error(error: sa_exc.SQLAlchemyError, options: SqlOptions) -> ConnectorError:
    """The connector error for a failure that is not one record's fault."""
    text = driver_text(error).lower()
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
        return _connection_error(text, options)
    if sqlstate(error) == _NO_PRIVILEGE:
        return ConnectorError(
            f"{capital(options.place)} refused: the hub's database user lacks the permission "
            f"({quote(driver_text(error), [options.password])}).",
            permanent=True,
        )
    if sqlstate(error) == _READ_ONLY_TRANSACTION:
        return ConnectorError(f"{capital(options.place)} may only be read, not written.", permanent=True)
    detail = quote(driver_text(error), [options.password])
    return ConnectorError(f"{capital(options.place)} answered with an error: {detail}", permanent=True)


def _connection_error(text: str, options: SqlOptions) -> ConnectorError:
    place, url = options.place, options.url
    if any(word in text for word in _AUTH_WORDS):
        return AuthenticationError(
            f"{capital(place)} refused the user “{url.username or ''}” or its password: check the user "
            f"in the database address and the password."
        )
    if "database" in text and "does not exist" in text:
        return ConfigurationError(f"There is no {place}: check the database name at the end of the address.")
    if "connection refused" in text:
        return UnreachableError(f"Connection refused by {_host(options)} — is the database running?")
    if any(word in text for word in _DNS_WORDS):
        return UnreachableError(f"The name {url.host} could not be found (DNS) — check the address.")
    if "timeout" in text or "timed out" in text:
        return UnreachableError(f"No connection to {place} within {options.connect_timeout} s.")
    return _other_connection_error(text, options)


def _other_connection_error(text: str, options: SqlOptions) -> ConnectorError:
    place = options.place
    if "unable to open database file" in text:
        return UnreachableError(
            f"Could not open {place}: check that the file exists and that the hub may read it."
        )
    if "locked" in text or "busy" in text:
        return UnreachableError(f"{capital(place)} is locked by another program; the hub will try again.")
    if "readonly database" in text:
        return ConnectorError(f"{capital(place)} may only be read, not written.", permanent=True)
    return UnreachableError(f"Could not talk to {place}: the connection failed.")


def _host(options: SqlOptions) -> str:
    return f"{options.url.host or 'localhost'}:{options.url.port or 5432}"


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def is_record_fault(error: sa_exc.SQLAlchemyError) -> bool:
    """True when the values of a record, not the connection or the configuration, were refused."""
    if isinstance(error, sa_exc.IntegrityError | sa_exc.DataError):
        return True
    if isinstance(error, sa_exc.ProgrammingError):
        return sqlstate(error) is None  # a value the driver could not send, not a missing privilege
    return isinstance(error, sa_exc.StatementError) and not isinstance(error, sa_exc.DBAPIError)


def record_error(error: sa_exc.SQLAlchemyError, options: SqlOptions) -> ConnectorError:
    detail = quote(driver_text(error), [options.password])
    return ConnectorError(f"{capital(options.place)} refused this record: {detail}", permanent=True)
