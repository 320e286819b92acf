from datetime import UTC, date, datetime
from typing import Any

import pytest

from hub.mappings.transforms import TransformError, apply_chain, parse_chain


def run(steps: list[str], value: Any) -> Any:
    return apply_chain(parse_chain(steps), value, record={})


@pytest.mark.parametrize(
    ("steps", "value", "expected"),
    [
        (["date: %d.%m.%Y"], "20.11.2026", "2026-11-20"),
        (["date: %d.%m.%Y"], " 1.2.2026 ", "2026-02-01"),
        (["date: %d.%m.%Y | %Y-%m-%d | %d/%m/%y"], "2026-11-20", "2026-11-20"),
        (["date: %d.%m.%Y | %Y-%m-%d | %d/%m/%y"], "20/11/26", "2026-11-20"),
        (["date: %d %b %Y"], "20 Nov 2026", "2026-11-20"),
        (["date: %m/%d/%Y %I:%M %p"], "11/20/2026 10:30 PM", "2026-11-20"),
        (["date"], "2026-11-20", "2026-11-20"),
        (["date"], "2026-11-20T23:30:00+01:00", "2026-11-20"),
        (["date"], date(2026, 11, 20), "2026-11-20"),
        (["date"], datetime(2026, 11, 20, 8, 0), "2026-11-20"),
        (["date: %d.%m.%Y"], "", None),
        (["date: %d.%m.%Y"], None, None),
    ],
)
def test_date(steps: list[str], value: Any, expected: Any) -> None:
    assert run(steps, value) == expected


@pytest.mark.parametrize(
    ("steps", "value", "message"),
    [
        (["date: %d.%m.%Y"], "2026-11-20", "'2026-11-20' does not match %d.%m.%Y"),
        (["date: %d.%m.%Y | %d/%m/%Y"], "20-11-2026", "does not match %d.%m.%Y or %d/%m/%Y"),
        (["date: %d.%m.%Y"], "31.02.2026", "'31.02.2026' does not match"),
        (["date: %d.%m.%Y"], "20.11.26", "'20.11.26' does not match"),  # %Y wants four digits
        (["date"], "20.11.2026", "'20.11.2026' is not an ISO 8601 date"),
        (["date: %d.%m.%Y"], 20112026, "expected a date as text, got a number"),
    ],
)
def test_date_errors(steps: list[str], value: Any, message: str) -> None:
    with pytest.raises(TransformError, match=message):
        run(steps, value)


@pytest.mark.parametrize(
    ("steps", "value", "expected"),
    [
        (["datetime: %d.%m.%Y %H:%M; tz=Europe/Berlin"], "20.11.2026 10:00", "2026-11-20T09:00:00Z"),
        (["datetime: %d.%m.%Y %H:%M; tz=Europe/Berlin"], "20.07.2026 10:00", "2026-07-20T08:00:00Z"),
        (["datetime: %d.%m.%Y %H:%M | %d.%m.%Y; tz=Europe/Berlin"], "20.11.2026", "2026-11-19T23:00:00Z"),
        (["datetime: %Y-%m-%d %H:%M:%S; tz=America/New_York"], "2026-03-08 12:00:00", "2026-03-08T16:00:00Z"),
        (["datetime: %Y-%m-%dT%H:%M:%S%z"], "2026-11-20T10:00:00+0100", "2026-11-20T09:00:00Z"),
        (["datetime: %d.%m.%Y %H:%M %z; tz=Asia/Tokyo"], "20.11.2026 10:00 +0000", "2026-11-20T10:00:00Z"),
        (["datetime"], "2026-11-20T10:00:00+01:00", "2026-11-20T09:00:00Z"),
        (["datetime"], "2026-11-20T09:00:00Z", "2026-11-20T09:00:00Z"),
        (["datetime"], "2026-11-20T09:00:00.250Z", "2026-11-20T09:00:00.250000Z"),
        (["datetime: tz=Europe/Berlin"], "2026-11-20T10:00:00", "2026-11-20T09:00:00Z"),
        (["datetime: tz=Europe/Berlin"], "2026-11-20T10:00:00-05:00", "2026-11-20T15:00:00Z"),
        (["datetime: tz=UTC"], datetime(2026, 11, 20, 9, 0), "2026-11-20T09:00:00Z"),
        (["datetime"], datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "2026-11-20T09:00:00Z"),
        (["datetime: tz=Europe/Berlin"], "  ", None),
    ],
)
def test_datetime_gives_utc(steps: list[str], value: Any, expected: Any) -> None:
    assert run(steps, value) == expected


@pytest.mark.parametrize(
    ("steps", "value", "message"),
    [
        (
            ["datetime"],
            "2026-11-20T10:00:00",
            "'2026-11-20T10:00:00' has no time zone; add tz=... to the step, e.g. tz=Europe/Berlin",
        ),
        (["datetime: %d.%m.%Y %H:%M; tz=Europe/Berlin"], "20.11.2026", "'20.11.2026' does not match"),
        (["datetime"], "next Tuesday", "'next Tuesday' is not an ISO 8601 date"),
        (["datetime"], "0001-01-01T00:00:00+05:00", "the date and time is out of range"),
    ],
)
def test_datetime_errors(steps: list[str], value: Any, message: str) -> None:
    with pytest.raises(TransformError, match=message):
        run(steps, value)


@pytest.mark.parametrize(
    ("steps", "value", "expected"),
    [
        (["format_date: %d/%m/%Y"], "2026-11-20", "20/11/2026"),
        (["format_date: %d.%m.%Y"], "2026-11-20T23:30:00Z", "20.11.2026"),
        (["format_date: %d.%m.%Y; tz=Europe/Berlin"], "2026-11-20T23:30:00Z", "21.11.2026"),
        (["format_date: %d.%m.%Y %H:%M; tz=Europe/Berlin"], "2026-11-20T09:00:00Z", "20.11.2026 10:00"),
        (["format_date: %Y%m%d"], date(2026, 1, 2), "20260102"),
        (["format_date: %d/%m/%Y"], None, None),
    ],
)
def test_format_date_for_outbound(steps: list[str], value: Any, expected: Any) -> None:
    assert run(steps, value) == expected


def test_format_date_refuses_non_iso_input() -> None:
    with pytest.raises(TransformError, match=r"'20\.11\.2026' is not an ISO 8601 date"):
        run(["format_date: %d/%m/%Y"], "20.11.2026")
