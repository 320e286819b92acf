from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.catalog.canonical import format_decimal
from hub.mappings.paths import get_path, parse_path, set_path
from hub.mappings.transforms import TransformError, apply_chain, parse_chain, parse_step
from hub.mappings.transforms.base import split_arguments

keys = st.text(st.characters(codec="utf-8", exclude_characters=".[]"), min_size=1, max_size=8).filter(
    lambda key: key == key.strip() and not (key.isascii() and key.isdigit())
)
parts = st.lists(st.one_of(keys, st.integers(min_value=0, max_value=5)), min_size=1, max_size=5).filter(
    lambda found: isinstance(found[0], str)
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


def as_path(found: list[str | int], brackets: bool) -> str:
    text = str(found[0])
    for part in found[1:]:
        text += f"[{part}]" if brackets and isinstance(part, int) else f".{part}"
    return text


@given(parts, st.booleans(), json_values)
def test_get_path_returns_what_set_path_put(found: list[str | int], brackets: bool, value: Any) -> None:
    record: dict[str, Any] = {}
    path = as_path(found, brackets)
    set_path(record, path, value)
    assert get_path(record, path) is value
    assert parse_path(path) == tuple(found)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12))
def test_decimal_reads_what_english_and_german_formatting_writes(number: Decimal) -> None:
    english = f"{number:,}"
    german = english.replace(",", "_").replace(".", ",").replace("_", ".")
    assert apply_chain(parse_chain(["decimal: en_US"]), english) == format_decimal(number)
    assert apply_chain(parse_chain(["decimal: de_DE"]), german) == format_decimal(number)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="'"), max_size=20))
def test_a_quoted_value_comes_back_unchanged(text: str) -> None:
    assert [item.value for item in split_arguments(f"'{text}'").items] == [text]


map_texts = st.text(st.characters(codec="utf-8", exclude_characters="'"), max_size=6)


@given(
    st.dictionaries(
        map_texts.map(str.strip).filter(lambda key: key != "*"), map_texts, min_size=1, max_size=4
    )
)
def test_value_map_maps_every_listed_value(table: dict[str, str]) -> None:
    step = parse_step("value_map: " + "; ".join(f"'{key}'='{value}'" for key, value in table.items()))
    for key, value in table.items():
        assert step.apply(f" {key} ", {}) == value


EXAMPLE_STEPS = [
    *("trim", "upper", "lower", "title", "default: x", "constant: EUR", "value_map: A=a; *=b"),
    *("split: sep=','; index=1", "join: sep=', '", "template: {a} {b.c}"),
    *("decimal: de_DE; places=2", "decimal: fr_FR", "to_integer", "to_boolean"),
    *("date: %d.%m.%Y | %Y-%m-%d", "date", "datetime: %d.%m.%Y %H:%M; tz=Europe/Berlin", "datetime: tz=UTC"),
    *("format_date: %d/%m/%Y; tz=Europe/Berlin", "email", "phone: DE", "phone"),
]


@pytest.mark.parametrize("text", EXAMPLE_STEPS)
@given(value=json_values, record=st.dictionaries(st.text(max_size=3), json_values, max_size=3))
def test_steps_only_ever_raise_transform_error(text: str, value: Any, record: dict[str, Any]) -> None:
    steps = parse_chain([text])
    try:
        apply_chain(steps, value, record=record)
    except TransformError as exc:
        message = exc.message
    else:
        return
    assert message.startswith(f"step 1 '{text}': ")
