"""The three timestamp dialects the sample systems speak, so that the hub has to translate between them.

- CRM: ISO-8601 in UTC with a ``Z`` suffix (``2026-11-20T09:15:00Z``);
- ERP: German local wall-clock time without a zone (``20.11.2026 10:00``, meaning Europe/Berlin);
- Billing: ISO-8601 with the Berlin offset (``2026-11-19T08:00:00+01:00``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
_ERP_FORMAT = "%d.%m.%Y %H:%M"


def parse_iso(value: str) -> datetime:
    """Parse ISO-8601; a value without an offset is taken as UTC so that comparisons never fail."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def format_utc_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_erp(value: str) -> datetime:
    return datetime.strptime(value, _ERP_FORMAT).replace(tzinfo=BERLIN)


def format_erp(moment: datetime) -> str:
    return moment.astimezone(BERLIN).strftime(_ERP_FORMAT)


def format_iso_berlin(moment: datetime) -> str:
    return moment.astimezone(BERLIN).isoformat(timespec="seconds")
