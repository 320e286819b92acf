"""The changed-at position a run keeps for connectors that do not resume from their own position."""

from __future__ import annotations

import pytest

from hub.flows.engine.pipeline import later_cursor


@pytest.mark.parametrize(
    ("current", "value", "expected"),
    [
        ("", "2026-11-24T10:00:00Z", "2026-11-24T10:00:00Z"),
        ("2026-11-24T10:00:00Z", "2026-11-23T09:00:00Z", "2026-11-24T10:00:00Z"),
        ("2026-11-24T10:00:00Z", "2026-11-25T00:00:00Z", "2026-11-25T00:00:00Z"),
        ("9", 10, "10"),  # as numbers: text would keep "9"
        ("10", 9, "10"),
        ("", 3.5, "3.5"),
        ("7", None, "7"),
        ("7", "", "7"),
        ("7", True, "7"),  # a flag is not a position
        ("2026-11-24", 5, "5"),  # the field now holds numbers: the number starts again
    ],
)
def test_the_later_position_wins(current, value, expected):
    assert later_cursor(current, value) == expected
