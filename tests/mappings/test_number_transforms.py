from decimal import Decimal
from typing import Any

import pytest

from hub.mappings.transforms import TransformError, apply_chain, parse_chain


def run(steps: list[str], value: Any) -> Any:
    return apply_chain(parse_chain(steps), value, record={})


@pytest.mark.parametrize(
    ("locale", "value", "expected"),
    [
        ("de_DE", "1.234,50", "1234.50"),
        ("de_DE", " 1234,5 ", "1234.5"),
        ("de_DE", "1.234", "1234"),
        ("de_DE", "-1.234,50", "-1234.50"),
        ("de_DE", "1.234,50-", "-1234.50"),  # SAP writes the minus behind
        ("de_DE", ",5", "0.5"),
        ("de_DE", "12,", "12"),
        ("de-de", "1.000.000,00", "1000000.00"),
        ("de_AT", "1.234,50", "1234.50"),
        ("nl_NL", "1.234,50", "1234.50"),
        ("es_ES", "1.234,50", "1234.50"),
        ("it_IT", "1.234,50", "1234.50"),
        ("en_US", "1,234.50", "1234.50"),
        ("en_GB", "+1,234,567.5", "1234567.5"),
        ("en_US", "0.10", "0.10"),
        ("en_US", "-0", "0"),
        ("fr_FR", "1 234,50", "1234.50"),
        ("fr_FR", "1\u00a0234,50", "1234.50"),
        ("fr_FR", "1\u202f234,50", "1234.50"),
        ("fr_CH", "1'234,50", "1234.50"),
        ("de_CH", "1'234.50", "1234.50"),
        (",", "1.234,50", "1234.50"),
        (".", "1,234.50", "1234.50"),
        ("de_DE", 1234, "1234"),
        ("de_DE", 12.5, "12.5"),
        ("de_DE", 0.1, "0.1"),
        ("de_DE", Decimal("7.50"), "7.50"),
        ("de_DE", None, None),
        ("de_DE", "  ", None),
    ],
)
def test_decimal_reads_local_formats(locale: str, value: Any, expected: Any) -> None:
    assert run([f"decimal: {locale}"], value) == expected


def test_bare_decimal_reads_english_style() -> None:
    assert run(["decimal"], "1,234.5") == "1234.5"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3,14159", "3.14"), ("2,005", "2.01"), ("7", "7.00"), ("-0,004", "0.00")],
)
def test_decimal_places_round_half_up(value: str, expected: str) -> None:
    assert run(["decimal: de_DE; places=2"], value) == expected


@pytest.mark.parametrize(
    ("locale", "value", "message"),
    [
        ("de_DE", "1,234.50", "'1,234.50' is not a number written as 1.234,50"),
        ("en_US", "1.234,50", "'1.234,50' is not a number written as 1,234.50"),
        ("de_DE", "12.34,5", "is not a number written as"),  # a group of two digits
        ("fr_FR", "12,5 EUR", "'12,5 EUR' is not a number written as 1 234,50"),
        ("de_DE", "abc", "is not a number"),
        ("de_DE", "-", "is not a number"),
        ("de_DE", "NaN", "is not a number"),
        ("de_DE", "١٢", "is not a number"),  # Arabic-Indic digits
        ("de_DE", True, "expected a number, got a yes/no value"),
        ("de_DE", float("inf"), "is not a number that can be stored"),
        ("de_DE", ["1"], "expected a number, got a list"),
    ],
)
def test_decimal_errors(locale: str, value: Any, message: str) -> None:
    with pytest.raises(TransformError, match=message):
        run([f"decimal: {locale}"], value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(" 42 ", 42), ("-7", -7), ("+3", 3), ("12.0", 12), (12, 12), (12.0, 12), ("", None), (None, None)],
)
def test_to_integer(value: Any, expected: Any) -> None:
    assert run(["to_integer"], value) == expected


@pytest.mark.parametrize(
    ("value", "message"), [("12.5", "'12.5'"), (True, "yes/no"), ("1.234", "'1.234'"), ("x", "'x'")]
)
def test_to_integer_refuses_what_is_not_whole(value: Any, message: str) -> None:
    with pytest.raises(TransformError, match=f"expected a whole number.*{message}"):
        run(["to_integer"], value)


@pytest.mark.parametrize(
    ("steps", "value", "expected"),
    [
        (["to_boolean"], "Yes", True),
        (["to_boolean"], " no ", False),
        (["to_boolean"], "1", True),
        (["to_boolean"], 0, False),
        (["to_boolean"], "X", True),
        (["to_boolean"], "nein", False),
        (["to_boolean"], False, False),
        (["to_boolean"], "", None),
        (["to_boolean"], None, None),
        (["to_boolean: active=true; blocked=false"], "Active", True),
        (["to_boolean: active=true; blocked=false"], "BLOCKED", False),
        (["to_boolean: 0=true"], "0", True),  # own words win over the built-in ones
    ],
)
def test_to_boolean(steps: list[str], value: Any, expected: Any) -> None:
    assert run(steps, value) == expected


def test_to_boolean_lists_the_words_it_knows() -> None:
    with pytest.raises(TransformError, match=r"'maybe' is neither yes \(true, yes.*\) nor no \(false, no"):
        run(["to_boolean"], "maybe")
