"""Transforms for dates and times: date, datetime (inbound) and format_date (outbound)."""

import re
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.catalog import canonical
from hub.catalog.canonical import describe, show
from hub.mappings.transforms.base import ApplyFn, ArgumentError, Arguments, StepFailed, TransformInfo, parsing

_DIRECTIVES = frozenset("aAwdbBmyYHIpMSfzZjUWcxXGuV%")
_FORMAT_EXPECTED = "a strptime format such as %d.%m.%Y"
_TZ = frozenset({"tz"})


def check_format(fmt: str) -> str:
    """Return ``fmt`` when every % directive in it is one Python understands."""
    if "%" not in fmt:
        raise ArgumentError(f"'{fmt}' has no % directives (write %d.%m.%Y rather than dd.mm.yyyy)")
    for match in re.finditer(r"%(.?)", fmt):
        directive = match[1]
        if directive == "":
            raise ArgumentError("a lone % ends the format")
        if directive not in _DIRECTIVES:
            raise ArgumentError(f"unknown directive %{directive}")
    return fmt


def _formats(raw: str | None) -> tuple[str, ...]:
    """The formats of 'a | b', checked; empty when no format is given (ISO 8601 then)."""
    if raw is None:
        return ()
    return tuple(check_format(part.strip()) for part in raw.split("|"))


def _zone(raw: str | None) -> tzinfo | None:
    if raw is None:
        return None
    try:
        return ZoneInfo(raw.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ArgumentError(
            f"unknown time zone '{raw}'", expected="a time zone name such as tz=Europe/Berlin or tz=UTC"
        ) from None


def _parse(text: str, formats: tuple[str, ...]) -> datetime:
    text = text.strip()
    if not formats:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise StepFailed(f"{show(text)} is not an ISO 8601 date such as 2026-11-20T10:00:00") from None
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise StepFailed(f"{show(text)} does not match {' or '.join(formats)}")


def _moment(value: Any, formats: tuple[str, ...]) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    if not isinstance(value, str):
        raise StepFailed(f"expected a date as text, got {describe(value)}")
    return _parse(value, formats)


def _build_date(args: Arguments) -> ApplyFn:
    formats = _formats(args.positional(required=False))
    return parsing(lambda value: _moment(value, formats).date().isoformat())


def _build_datetime(args: Arguments) -> ApplyFn:
    formats = _formats(args.positional(required=False, allowed=_TZ))
    zone = _zone(args.options(_TZ, after_value=True).get("tz"))
    if formats and zone is None and not all("%z" in fmt for fmt in formats):
        raise ArgumentError(
            "the format has no time zone (%z)", expected="the zone of the values, e.g. tz=Europe/Berlin"
        )
    return parsing(lambda value: _to_utc(_moment(value, formats), zone))


def _to_utc(moment: datetime, zone: tzinfo | None) -> str:
    if moment.utcoffset() is None:
        if zone is None:
            raise StepFailed(
                f"'{moment.isoformat()}' has no time zone; add tz=... to the step, e.g. tz=Europe/Berlin"
            )
        moment = moment.replace(tzinfo=zone)
    try:
        return canonical.format_utc(moment)
    except ValueError as exc:
        raise StepFailed(str(exc)) from None


def _build_format_date(args: Arguments) -> ApplyFn:
    fmt = check_format(args.positional(required=True, allowed=_TZ) or "")
    zone = _zone(args.options(_TZ, after_value=True).get("tz"))
    return parsing(lambda value: _format(_moment(value, ()), fmt, zone))


def _format(moment: datetime, fmt: str, zone: tzinfo | None) -> str:
    if zone is not None and moment.utcoffset() is not None:
        moment = moment.astimezone(zone)
    return moment.strftime(fmt)


INFOS = (
    TransformInfo(
        "date",
        "Read a date",
        "Reads a date written in the given format and gives it as YYYY-MM-DD. List several formats "
        "separated by ' | ' when the source mixes them; without a format the value must be ISO "
        "(2026-11-20). Format codes: %d day, %m month, %Y four-digit year, %y two-digit year, "
        "%b short month name. Example: 'date: %d.%m.%Y' turns '20.11.2026' into '2026-11-20'.",
        "date: <format> | <other format>",
        _FORMAT_EXPECTED,
        _build_date,
    ),
    TransformInfo(
        "datetime",
        "Read a date and time",
        "Reads a date and time written in the given format, in the time zone tz when the value does "
        "not say its own, and gives it in UTC as 2026-11-20T09:00:00Z. Without a format the value "
        "must be ISO 8601. Codes as for 'date', plus %H hour, %M minute, %S second, %z offset. "
        "Example: 'datetime: %d.%m.%Y %H:%M; tz=Europe/Berlin' turns '20.11.2026 10:00' into "
        "'2026-11-20T09:00:00Z'.",
        "datetime: <format> | <other format>; tz=<time zone>",
        _FORMAT_EXPECTED + ", and a time zone such as tz=Europe/Berlin",
        _build_datetime,
    ),
    TransformInfo(
        "format_date",
        "Write a date",
        "For sending: writes an ISO date or date and time in the given format, converted to the time "
        "zone tz when given. Example: 'format_date: %d/%m/%Y' turns '2026-11-20' into '20/11/2026'; "
        "'format_date: %d.%m.%Y %H:%M; tz=Europe/Berlin' turns '2026-11-20T09:00:00Z' into "
        "'20.11.2026 10:00'.",
        "format_date: <format>; tz=<time zone>",
        "a strftime format such as %d/%m/%Y",
        _build_format_date,
    ),
)
