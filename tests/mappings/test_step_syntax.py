import pytest

from hub.mappings.transforms import TRANSFORMS, TransformSyntaxError, parse_chain, parse_step
from hub.mappings.transforms.base import Argument, ArgumentError, split_arguments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("DE", [Argument(None, "DE")]),
        (
            "  %d.%m.%Y %H:%M ; tz=Europe/Berlin ",
            [Argument(None, "%d.%m.%Y %H:%M"), Argument("tz", "Europe/Berlin")],
        ),
        ("A=active; *=unknown;", [Argument("A", "active"), Argument("*", "unknown")]),
        ("sep=' '; index=0", [Argument("sep", " "), Argument("index", "0")]),
        ('"a;b"', [Argument(None, "a;b")]),
        ("'{a}={b}'", [Argument(None, "{a}={b}")]),
        ("Peter's Bakery", [Argument(None, "Peter's Bakery")]),  # a quote inside a word is a letter
        ("x=a=b", [Argument("x", "a=b")]),
        ("''=empty", [Argument("", "empty")]),
        ("X=", [Argument("X", "")]),
    ],
)
def test_split_arguments(text: str, expected: list[Argument]) -> None:
    assert list(split_arguments(text).items) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sep=' ", "the quote ' at position 5 is not closed"),
        ("'a' b", "unexpected text after the closing quote"),
        ("a; =x", "there is nothing before the '=' at position 4"),
    ],
)
def test_split_arguments_errors(text: str, message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        split_arguments(text)


@pytest.mark.parametrize(
    ("steps", "index", "message"),
    [
        (
            ["trim", "date: %q"],
            1,
            "step 2 'date: %q': unknown directive %q; expected a strptime format such as %d.%m.%Y",
        ),
        (["date: dd.mm.yyyy"], 0, "step 1 'date: dd.mm.yyyy': 'dd.mm.yyyy' has no % directives"),
        (["date: %d.%m.%"], 0, "a lone % ends the format"),
        (
            ["datetime: %d.%m.%Y %H:%M"],
            0,
            "the format has no time zone (%z); expected the zone of the values",
        ),
        (["datetime: tz=Mars/Olympus"], 0, "unknown time zone 'Mars/Olympus'; expected a time zone name"),
        (
            ["phone: XX"],
            0,
            "step 1 'phone: XX': unknown country code 'XX'; expected a two-letter country code",
        ),
        (["decimal: tlh_QO"], 0, "unknown locale 'tlh_QO'; expected a locale such as de_DE"),
        (["decimal: de_DE; places=two"], 0, "places must be a number of decimal places"),
        (["decimal: de_DE; digits=2"], 0, "unknown option 'digits' (known options: places"),
        (["value_map: A=active; A=aktiv"], 0, "'A' is mapped twice"),
        (["value_map: A=active; inactive"], 0, "'inactive' is not a pair; write it as key=value"),
        (["value_map"], 0, "the value map is empty"),
        (["to_boolean: J=ja"], 0, "'J=ja': the meaning must be true or false"),
        (["split: sep=','; index=first"], 0, "index must be a whole number"),
        (["split: sep=''"], 0, "the separator is empty"),
        (["split: ,"], 0, "',' is not an option; write it as name=value; expected options such as"),
        (
            ["template: {first_name:>10}"],
            0,
            "'{first_name:>10}' uses a format; write the field path alone, e.g. {city}",
        ),
        (["template: {address..city}"], 0, "{address..city}: path 'address..city' has an empty part"),
        (["template: no fields"], 0, "the template names no field"),
        (["template: {first_name"], 0, "expected '}' before end of string"),
        (["template: {a}={b}"], 0, "put text containing ';' or '=' in quotes"),
        (["constant"], 0, "step 1 'constant': a value is missing after the ':'"),
        (["default: a; b"], 0, "expected one value, got 2"),
        (
            ["trim: both"],
            0,
            "step 1 'trim: both': this transform takes no arguments; expected the name alone",
        ),
        (["uper"], 0, "unknown transform 'uper'; did you mean 'upper'? expected one of: trim, upper"),
        (["date %d.%m.%Y"], 0, "step 1 'date %d.%m.%Y': put a ':' after 'date'"),
        (["trim", "  "], 1, "step 2 is empty"),
    ],
)
def test_syntax_errors_say_which_step_what_is_wrong_and_what_is_expected(
    steps: list[str], index: int, message: str
) -> None:
    with pytest.raises(TransformSyntaxError) as caught:
        parse_chain(steps)
    assert message in caught.value.message
    assert caught.value.index == index


def test_names_are_case_insensitive_and_spaces_are_ignored() -> None:
    step = parse_step("  Phone :  de ")
    assert step.name == "phone"
    assert step.apply("030 1234567", {}) == "+49301234567"


def test_every_transform_has_a_label_and_help_with_an_example() -> None:
    for name, info in TRANSFORMS.items():
        assert info.name == name
        assert info.label
        assert "Example" in info.help, name
        assert info.expected


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_argument_hints_name_the_transform(name: str) -> None:
    hint = TRANSFORMS[name].argument_hint
    assert hint == "" or hint.startswith(f"{name}: ")
