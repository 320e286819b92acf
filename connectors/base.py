"""The contract every connector kind follows.

A connector kind declares its parameters (``params``); the hub builds the admin form, the validation and
the masking of secrets from that declaration. An instance receives the non-secret values and the
decrypted secrets in one ``ConnectorConfig`` and offers three operations:

- ``probe()``: is the system reachable, does it accept our credentials, how long did it take;
- ``fetch(since=cursor)``: the source records, one ``Page`` at a time;
- ``push(batch)``: deliver canonical-mapped records, each with an idempotency key.

Connectors never retry or sleep: they raise ``ConnectorError`` (``permanent`` says whether a retry can
help) and the engine decides what to do.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from connectors.outbound import OutboundHosts


class ParamType(enum.StrEnum):
    TEXT = "text"
    URL = "url"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    CHOICE = "choice"


@dataclass(frozen=True)
class Param:
    """One connection parameter of a connector kind, as a business admin sees it."""

    name: str
    label: str
    type: ParamType = ParamType.TEXT
    help: str = ""
    required: bool = False
    default: Any = None
    choices: Sequence[tuple[str, str]] = ()
    secret: bool = False
    # Required only when another parameter has one of these values, e.g. ("auth_style", ("bearer",)).
    required_when: tuple[str, tuple[str, ...]] | None = None
    min_value: float | None = None
    max_value: float | None = None
    # Shown only when another parameter has one of these values (defaults to ``required_when``), so that
    # a form asks for a password only when the sign-in style needs one.
    shown_when: tuple[str, tuple[str, ...]] | None = None

    @property
    def visible_when(self) -> tuple[str, tuple[str, ...]] | None:
        return self.shown_when or self.required_when

    def is_required(self, values: Mapping[str, Any]) -> bool:
        if self.required_when is None:
            return self.required
        other, accepted = self.required_when
        return values.get(other) in accepted


@dataclass(frozen=True)
class ConnectorConfig:
    """What a connector instance works with: plain values and already-decrypted secrets."""

    system_name: str
    values: Mapping[str, Any]
    # Never shown by repr(): a config printed in a log line or a traceback must not carry the secrets.
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    # The hosts the connector may connect to (see ``connectors.outbound``); by default none at all.
    allowed_hosts: OutboundHosts = field(default_factory=lambda: _no_hosts())

    def get(self, name: str, default: Any = None) -> Any:
        if name in self.secrets:
            return self.secrets[name]
        value = self.values.get(name)
        return default if value in (None, "") else value


def _no_hosts() -> OutboundHosts:
    from connectors.outbound import NOTHING

    return NOTHING


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of a connection test, in words a business admin understands."""

    reachable: bool
    authenticated: bool
    elapsed_ms: float
    message: str
    status_code: int | None = None

    @property
    def ok(self) -> bool:
        return self.reachable and self.authenticated


# A record the connector found but could not read (a CSV line with too many values, say) carries the reason
# under this key; the engine quarantines it with that reason, never drops it.
UNREADABLE = "_error"


@dataclass(frozen=True)
class Page:
    """One page of raw source records and the cursor to resume after it.

    For a connector whose ``resumes`` is true, ``cursor`` is its own position (opaque to the engine), which
    the next run passes back as ``fetch(since=...)`` once every record up to it is stored. Otherwise it is
    only the paging position within this fetch, and ``since`` is a changed-at value the engine takes from
    the records (the flow's "changed-at field")."""

    records: list[dict[str, Any]]
    cursor: str | None
    has_more: bool


@dataclass(frozen=True)
class OutgoingRecord:
    idempotency_key: str
    payload: dict[str, Any]
    external_id: str | None = None


@dataclass(frozen=True)
class PushOutcome:
    idempotency_key: str
    ok: bool
    external_id: str | None = None
    error: ConnectorError | None = None


class ConnectorError(Exception):
    """Anything that went wrong talking to a system. ``permanent`` tells the engine not to retry."""

    permanent: bool = False

    def __init__(self, message: str, *, permanent: bool | None = None, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        if permanent is not None:
            self.permanent = permanent
        self.status_code = status_code


class ConfigurationError(ConnectorError):
    """The connection parameters are wrong; retrying cannot help."""

    permanent = True


class UnreachableError(ConnectorError):
    """Connection refused, DNS failure, TLS failure or timeout."""


class AuthenticationError(ConnectorError):
    """The system refused our credentials."""

    permanent = True


class RateLimitedError(ConnectorError):
    def __init__(self, message: str, *, retry_after: float | None = None, status_code: int | None = 429):
        super().__init__(message, permanent=False, status_code=status_code)
        self.retry_after = retry_after


class RemoteError(ConnectorError):
    """The system answered with an error (a 5xx is transient, most 4xx are permanent)."""


class Connector:
    """Base class of every connector kind. Subclasses set ``kind``, ``label`` and ``params``."""

    kind: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str] = ""
    params: ClassVar[Sequence[Param]] = ()
    # True when each page's cursor is where the next run resumes (see ``Page``).
    resumes: ClassVar[bool] = False

    def __init__(self, config: ConnectorConfig):
        self.config = config

    @classmethod
    def secret_names(cls) -> list[str]:
        return [p.name for p in cls.params if p.secret]

    @classmethod
    def param(cls, name: str) -> Param:
        for p in cls.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def probe(self) -> ProbeResult:
        raise NotImplementedError

    def fetch(self, *, since: str | None = None, resource: str | None = None) -> Iterator[Page]:
        """Yield the records changed since ``since``, a page at a time.

        ``resource`` names where one entity's records live in the system (an API path, a table, a file
        pattern); None means the system's default from its settings.
        """
        raise NotImplementedError

    def push(self, batch: Sequence[OutgoingRecord], *, resource: str | None = None) -> list[PushOutcome]:
        raise NotImplementedError

    def close(self) -> None:
        """Release pooled connections; a connector may be used for one run and then closed."""
