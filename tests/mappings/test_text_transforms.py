from typing import Any

import pytest

from hub.mappings.transforms import TransformError, apply_chain, parse_chain

CONTACT = {
    "first_name": "  Anna ",
    "last_name": "Schmidt",
    "address": {"street": "Hauptstr. 5", "city": "Berlin"},
}


def run(steps: list[str], value: Any, record: dict[str, Any] | None = None) -> Any:
    return apply_chain(parse_chain(steps), value, record=record or CONTACT)


@pytest.mark.parametrize(
    ("steps", "value", "expected"),
    [
        (["trim"], "  anna SCHMIDT ", "anna SCHMIDT"),
        (["trim"], "\u00a0Berlin\t\n", "Berlin"),
        (["trim"], 42, 42),
        (["trim"], None, None),
        (["upper"], " de ", " DE "),
        (["lower"], "Anna@Example.COM", "anna@example.com"),
        (["trim", "title"], "  anna SCHMIDT ", "Anna Schmidt"),
        (["title"], "anna-lena o'brien", "Anna-Lena O'Brien"),
        (["title"], "peter's bakery, 3rd floor", "Peter's Bakery, 3rd Floor"),
        (["title"], "MÜLLER-LÜDENSCHEIDT", "Müller-Lüdenscheidt"),
        (["title"], None, None),
        (["default: Unknown"], None, "Unknown"),
        (["default: Unknown"], "", "Unknown"),
        (["default: Unknown"], "   ", "Unknown"),
        (["default: Unknown"], "Hamburg", "Hamburg"),
        (["default: 0"], 0, 0),
        (["constant: EUR"], "USD", "EUR"),
        (["constant: EUR"], None, "EUR"),
        (["constant: ' padded '"], None, " padded "),
        (["trim", "default: n/a"], "   ", "n/a"),
    ],
)
def test_text_steps(steps: list[str], value: Any, expected: Any) -> None:
    assert run(steps, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("A", "active"),
        (" I ", "inactive"),
        ("a", "active"),  # case is ignored when that is unambiguous
        ("X", "unknown"),
        ("", "unknown"),
        (None, None),
        (1, "one"),
        (True, "yes"),
    ],
)
def test_value_map(value: Any, expected: Any) -> None:
    steps = ["value_map: A=active; I=inactive; 1=one; true=yes; *=unknown"]
    assert run(steps, value) == expected


def test_value_map_without_fallback_names_the_unmapped_value() -> None:
    with pytest.raises(TransformError) as caught:
        run(["trim", "value_map: A=active; I=inactive"], " X ")
    assert caught.value.step_index == 1
    assert caught.value.message == (
        "step 2 'value_map: A=active; I=inactive': 'X' is not in the value map (known: A, I); "
        "add it or a fallback *=..."
    )


def test_value_map_keys_that_differ_only_in_case_match_exactly() -> None:
    steps = ["value_map: ss=lower; SS=upper"]
    assert run(steps, "SS") == "upper"
    with pytest.raises(TransformError, match="'Ss' is not in the value map"):
        run(steps, "Ss")


def test_value_map_with_quoted_keys_and_empty_values() -> None:
    steps = ["value_map: 'a;b'=both; ''=empty; x="]
    assert run(steps, "a;b") == "both"
    assert run(steps, "") == "empty"
    assert run(steps, "x") == ""


@pytest.mark.parametrize(
    ("steps", "value", "expected"),
    [
        (["split: sep=' '; index=0"], "Anna Maria  Schmidt", "Anna"),
        (["split: sep=' '; index=-1"], "Anna Maria  Schmidt", "Schmidt"),
        (["split: index=1"], " Anna\tSchmidt ", "Schmidt"),
        (["split: sep=' '; index=1"], "Anna", None),
        (["split: sep=','"], "red, green,,blue", ["red", "green", "", "blue"]),
        (["split: sep=';'; index=2"], "a;b;c", "c"),
        (["split: sep=' - '; index=1"], "DE - Berlin", "Berlin"),
        (["split"], None, None),
        (["join"], ["Anna", " Schmidt"], "Anna Schmidt"),
        (["join: sep=', '"], ["Hauptstr. 5", None, "", "Berlin"], "Hauptstr. 5, Berlin"),
        (["join: sep='\n'"], ["a", 1], "a\n1"),
        (["join: sep='-'"], [], None),
        (["join"], "already text", "already text"),
        (["split: sep=','", "join: sep=' / '"], "a,b", "a / b"),
    ],
)
def test_split_and_join(steps: list[str], value: Any, expected: Any) -> None:
    assert run(steps, value) == expected


@pytest.mark.parametrize(
    ("template", "record", "expected"),
    [
        ("{first_name} {last_name}", CONTACT, "Anna Schmidt"),
        ("{address.street}, {address.city}", CONTACT, "Hauptstr. 5, Berlin"),
        ("{last_name}, {first_name}", {"last_name": "Schmidt"}, "Schmidt,"),
        ("{first_name} {last_name}", {"first_name": None}, None),
        ("'{street}; {city}'", {"street": "Main St", "city": "Leeds"}, "Main St; Leeds"),
        ("{{{code}}}", {"code": "X1"}, "{X1}"),
        ("{lines[0].sku}", {"lines": [{"sku": 42}]}, "42"),
    ],
)
def test_template_reads_the_whole_source_record(template: str, record: dict[str, Any], expected: Any) -> None:
    assert run([f"template: {template}"], "ignored", record) == expected
