import pytest

from hub.catalog.schema import EntitySchema, FieldSpec, FieldType, natural_key, validate_format_rule

ORDER_LINE = EntitySchema(
    "OrderLine",
    (
        FieldSpec("order", FieldType.REFERENCE, natural_key=True, reference_entity="Order"),
        FieldSpec("qty", FieldType.INTEGER),
        FieldSpec("position", FieldType.INTEGER, natural_key=True),
    ),
)


def test_natural_key_in_field_order() -> None:
    assert natural_key(ORDER_LINE, {"position": 2, "qty": 5, "order": "SO-1"}) == ("SO-1", 2)


@pytest.mark.parametrize(
    "values", [{"order": "SO-1"}, {"order": "", "position": 1}, {"order": None, "position": 1}]
)
def test_natural_key_is_none_when_a_part_is_empty(values: dict[str, object]) -> None:
    assert natural_key(ORDER_LINE, values) is None


def test_natural_key_keeps_zero_and_false() -> None:
    assert natural_key(ORDER_LINE, {"order": "SO-1", "position": 0}) == ("SO-1", 0)


def test_no_natural_key_fields_means_no_key() -> None:
    assert natural_key(EntitySchema("Note", (FieldSpec("text", FieldType.TEXT),)), {"text": "x"}) is None


@pytest.mark.parametrize("rule", ["", "[A-Z]{2}", r"^\d{5}$", r"(?i)[a-z]+-\d+"])
def test_validate_format_rule_accepts_regular_expressions(rule: str) -> None:
    validate_format_rule(rule)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("[A-Z", "unterminated character set at position 1"),
        ("(ab", "missing \\), unterminated subpattern at position 1"),
        ("*x", "nothing to repeat at position 1"),
    ],
)
def test_validate_format_rule_says_what_is_wrong(rule: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"the format rule is not a valid regular expression: {message}"):
        validate_format_rule(rule)
