"""Find values in a JSON answer by a dotted path (``data`` or ``result.items``)."""

from __future__ import annotations

from typing import Any

from connectors.base import ConnectorError

from .errors import describe


class Missing(LookupError):
    def __init__(self, step: str, container: Any):
        super().__init__(step)
        self.step = step
        self.container = container


def dig(body: Any, path: str) -> Any:
    """The value at a dotted path; an empty path is the body itself. Raises ``Missing``."""
    value = body
    for step in path.split(".") if path else []:
        if not isinstance(value, dict) or step not in value:
            raise Missing(step, value)
        value = value[step]
    return value


def dig_or_none(body: Any, path: str) -> Any:
    try:
        return dig(body, path)
    except Missing:
        return None


def records_at(body: Any, path: str, place: str) -> list[dict[str, Any]]:
    """The list of records at ``path``; a permanent error naming the path and the type found."""
    try:
        value = dig(body, path)
    except Missing as missing:
        raise ConnectorError(
            f"{place}: looked for the records at “{path}” but found {describe(missing.container)} "
            f"without “{missing.step}”. Check “Where the records sit in an answer”.",
            permanent=True,
        ) from None
    if not isinstance(value, list):
        spot = f"at “{path}”" if path else "as the whole answer"
        raise ConnectorError(
            f"{place}: expected a list of records {spot} but found {describe(value)}. "
            f"Check “Where the records sit in an answer”.",
            permanent=True,
        )
    return [_record(item, index, place) for index, item in enumerate(value)]


def _record(item: Any, index: int, place: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ConnectorError(
            f"{place}: record {index + 1} of the list is {describe(item)}, expected an object.",
            permanent=True,
        )
    return item
