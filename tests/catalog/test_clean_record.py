import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from hub.catalog.schema import EntitySchema, FieldSpec, FieldType, clean_record, clean_value

CUSTOMER = EntitySchema(
    "Customer",
    (
        FieldSpec("email", FieldType.EMAIL, required=True, natural_key=True),
        FieldSpec("name", FieldType.TEXT, required=True),
        FieldSpec("status", FieldType.ENUM, enum_values=("active", "inactive")),
        FieldSpec("country", FieldType.TEXT, format_rule="[A-Z]{2}"),
    ),
)


def clean(field_type: FieldType, value: Any, **options: Any) -> Any:
    return clean_value(FieldSpec("f", field_type, **options), value)


@pytest.mark.parametrize(
    ("field_type", "value", "expected"),
    [
        (FieldType.TEXT, " Anna ", " Anna "),
        (FieldType.INTEGER, 12, 12),
        (FieldType.INTEGER, " 12 ", 12),
        (FieldType.INTEGER, "-3", -3),
        (FieldType.INTEGER, 12.0, 12),
        (FieldType.DECIMAL, "1234.50", "1234.50"),
        (FieldType.DECIMAL, " -0.5 ", "-0.5"),
        (FieldType.DECIMAL, ".5", "0.5"),
        (FieldType.DECIMAL, 1234, "1234"),
        (FieldType.DECIMAL, 0.1, "0.1"),
        (FieldType.DECIMAL, Decimal("1E+3"), "1000"),
        (FieldType.DECIMAL, "-0.00", "0.00"),
        (FieldType.BOOLEAN, True, True),
        (FieldType.BOOLEAN, "Yes", True),
        (FieldType.BOOLEAN, "false", False),
        (FieldType.BOOLEAN, "0", False),
        (FieldType.BOOLEAN, 1, True),
        (FieldType.DATE, "2026-11-20", "2026-11-20"),
        (FieldType.DATE, date(2026, 11, 20), "2026-11-20"),
        (FieldType.DATETIME, "2026-11-20T10:00:00+01:00", "2026-11-20T09:00:00Z"),
        (FieldType.DATETIME, "2026-11-20T09:00:00Z", "2026-11-20T09:00:00Z"),
        (FieldType.DATETIME, datetime(2026, 11, 20, 9, tzinfo=UTC), "2026-11-20T09:00:00Z"),
        (FieldType.EMAIL, " Anna.Schmidt@Example.COM ", "Anna.Schmidt@example.com"),
        (FieldType.PHONE, "+49301234567", "+49301234567"),
        (FieldType.REFERENCE, "CUST-1", "CUST-1"),
        (FieldType.REFERENCE, 42, "42"),
    ],
)
def test_values_become_canonical(field_type: FieldType, value: Any, expected: Any) -> None:
    assert clean(field_type, value) == expected


@pytest.mark.parametrize(
    ("field_type", "value", "message"),
    [
        (FieldType.TEXT, 42, "expected text, got a number"),
        (FieldType.TEXT, True, "expected text, got a yes/no value"),
        (FieldType.TEXT, ["a"], "expected text, got a list"),
        (FieldType.INTEGER, "12.5", "expected a whole number such as 12, got '12.5'"),
        (FieldType.INTEGER, 12.5, "expected a whole number such as 12, got '12.5'"),
        (FieldType.INTEGER, True, "expected a whole number, got a yes/no value"),
        (FieldType.INTEGER, "twelve", "got 'twelve'"),
        (FieldType.DECIMAL, "NaN", "expected a number such as 1234.50"),
        (FieldType.DECIMAL, Decimal("NaN"), "'NaN' is not a number that can be stored"),
        (FieldType.DECIMAL, float("inf"), "'Infinity' is not a number that can be stored"),
        (FieldType.DECIMAL, "1.234,50", "add a 'decimal' step to the mapping"),
        (FieldType.DECIMAL, "1e3", "expected a number such as 1234.50"),
        (FieldType.DECIMAL, False, "expected a number, got a yes/no value"),
        (FieldType.BOOLEAN, "maybe", "expected yes or no (true/false, yes/no, 1/0), got 'maybe'"),
        (FieldType.BOOLEAN, 2, "got '2'"),
        (
            FieldType.DATE,
            "20.11.2026",
            "expected a date such as 2026-11-20, got '20.11.2026'; add a 'date' step",
        ),
        (FieldType.DATE, "2026-02-30", "'2026-02-30' is not a real date"),
        (FieldType.DATE, "2026-11-20T10:00:00Z", "expected a date such as 2026-11-20"),
        (FieldType.DATETIME, "2026-11-20T10:00:00", "has no time zone; add Z or an offset"),
        (FieldType.DATETIME, "2026-11-20", "has no time zone"),
        (FieldType.DATETIME, "20.11.2026 10:00", "add a 'datetime' step to the mapping"),
        (FieldType.DATETIME, datetime(2026, 11, 20, 9), "has no time zone"),
        (FieldType.EMAIL, "anna(at)example.com", "does not look like an e-mail address"),
        (FieldType.EMAIL, "anna @example.com", "does not look like an e-mail address"),
        (
            FieldType.PHONE,
            "030 1234567",
            "is not in international format (such as +49301234567); add a 'phone' step",
        ),
        (FieldType.PHONE, "+49 30 1234567", "is not in international format"),
        (FieldType.PHONE, "+4930", "is not in international format"),
        (FieldType.PHONE, 49301234567, "expected a phone number such as +49301234567, got a number"),
        (FieldType.REFERENCE, {"id": 1}, "expected an id, got an object"),
    ],
)
def test_bad_values_are_explained(field_type: FieldType, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        clean(field_type, value)


def test_enum_lists_the_allowed_values_and_suggests_the_right_case() -> None:
    spec = {"enum_values": ("active", "inactive")}
    assert clean(FieldType.ENUM, "active", **spec) == "active"
    with pytest.raises(
        ValueError, match="'Active' is not one of the allowed values: active, inactive \\(did you"
    ):
        clean(FieldType.ENUM, "Active", **spec)
    with pytest.raises(ValueError, match=r"'gone' is not one of the allowed values: active, inactive$"):
        clean(FieldType.ENUM, "gone", **spec)


def test_reference_error_names_the_entity() -> None:
    with pytest.raises(ValueError, match="expected the id of a Customer, got a list"):
        clean(FieldType.REFERENCE, [1], reference_entity="Customer")


def test_format_rule_must_match_the_whole_value() -> None:
    assert clean(FieldType.TEXT, "DE", format_rule="[A-Z]{2}") == "DE"
    with pytest.raises(ValueError, match="'DEU' does not match the required format \\[A-Z\\]\\{2\\}"):
        clean(FieldType.TEXT, "DEU", format_rule="[A-Z]{2}")
    assert clean(FieldType.INTEGER, "10115", format_rule=r"\d{5}") == 10115


def test_a_broken_format_rule_is_an_error_on_the_field_not_a_crash() -> None:
    with pytest.raises(ValueError, match="the field's format rule \\[A-Z is broken"):
        clean(FieldType.TEXT, "DE", format_rule="[A-Z")


def test_clean_record_collects_errors_by_field() -> None:
    result = clean_record(
        CUSTOMER,
        {"email": "anna@", "name": "", "status": "gone", "country": "de", "shoe_size": 42},
    )
    assert result.values == {}
    assert result.errors == {
        "shoe_size": ["not a field of entity Customer"],
        "email": ["'anna@' does not look like an e-mail address (name@example.com)"],
        "name": ["This field is required."],
        "status": ["'gone' is not one of the allowed values: active, inactive"],
        "country": ["'de' does not match the required format [A-Z]{2}"],
    }


def test_clean_record_reports_missing_required_fields() -> None:
    result = clean_record(CUSTOMER, {"name": "Anna"})
    assert result.errors == {"email": ["This field is required."]}
    assert result.values == {"name": "Anna"}


def test_absent_optional_fields_stay_absent_and_empty_ones_become_none() -> None:
    result = clean_record(CUSTOMER, {"email": "a@b.de", "name": "Anna", "status": "  "})
    assert result.ok
    assert result.values == {"email": "a@b.de", "name": "Anna", "status": None}


def test_partial_records_skip_absent_required_fields() -> None:
    result = clean_record(CUSTOMER, {"status": "active"}, partial=True)
    assert result.ok
    assert result.values == {"status": "active"}
    assert clean_record(CUSTOMER, {"name": None}, partial=True).errors == {
        "name": ["This field is required."]
    }


def test_field_types_may_be_given_as_plain_text() -> None:
    schema = EntitySchema("Product", (FieldSpec("price", "decimal"),))  # type: ignore[arg-type]
    assert clean_record(schema, {"price": "9.90"}).values == {"price": "9.90"}


def test_an_unknown_field_type_is_an_error_not_a_crash() -> None:
    schema = EntitySchema("Product", (FieldSpec("price", "money"),))  # type: ignore[arg-type]
    assert clean_record(schema, {"price": "9.90"}).errors == {
        "price": ["the field has an unknown type 'money'; fix the field"]
    }
