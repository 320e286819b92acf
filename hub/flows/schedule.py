"""Cron expressions: checked when saved, described in words, and the next time they fire."""

from __future__ import annotations

from datetime import datetime

from cron_descriptor import get_description
from croniter import CroniterBadDateError, croniter


class ScheduleError(ValueError):
    pass


def cron_check(expression: str) -> None:
    fields = expression.split()
    if len(fields) != 5:
        raise ScheduleError(
            f"'{expression}' has {len(fields)} parts; a cron expression has five: "
            "minute hour day-of-month month day-of-week, e.g. '*/15 8-18 * * 1-5'."
        )
    if not croniter.is_valid(expression):
        raise ScheduleError(
            f"'{expression}' is not a valid cron expression: check each of the five parts "
            "(minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-6)."
        )
    try:
        croniter(expression, datetime(2026, 1, 1)).get_next(datetime)
    except CroniterBadDateError:
        raise ScheduleError(
            f"'{expression}' never happens (e.g. the 31st of February): it would never run."
        ) from None


def cron_describe(expression: str) -> str:
    try:
        return str(get_description(expression))
    except Exception:
        return expression


def cron_next(expression: str, after: datetime) -> datetime:
    cron_check(expression)
    result: datetime = croniter(expression, after).get_next(datetime)
    return result
