from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hub.catalog.schema import EntitySchema, FieldSpec, FieldType, clean_record, clean_value

EVERYTHING = EntitySchema(
    "Everything",
    tuple(
        FieldSpec(
            field_type.value,
            field_type,
            required=index % 2 == 0,
            enum_values=("a", "b") if field_type is FieldType.ENUM else (),
            format_rule=r"[^x]*" if field_type is FieldType.TEXT else "",
        )
        for index, field_type in enumerate(FieldType)
    ),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.text(max_size=30),
    st.sampled_from(
        ["12", "12.5", "1e9", "yes", "2026-11-20", "2026-11-20T10:00:00+01:00", "+49301234567", "a@b.de"]
    ),
    st.datetimes(timezones=st.none() | st.just(UTC)),
    st.dates(),
)
json_like = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=6,
)
records = st.dictionaries(st.sampled_from([t.value for t in FieldType]) | st.text(max_size=6), json_like)


@given(records)
def test_clean_record_never_raises_it_reports(record: dict[str, Any]) -> None:
    result = clean_record(EVERYTHING, record)
    assert set(result.values).isdisjoint(result.errors)
    assert all(
        isinstance(message, str) and message for messages in result.errors.values() for message in messages
    )


@given(records)
def test_cleaning_clean_values_changes_nothing(record: dict[str, Any]) -> None:
    first = clean_record(EVERYTHING, record, partial=True)
    assert clean_record(EVERYTHING, first.values, partial=True).values == first.values


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
    st.integers(-14 * 60, 14 * 60),
)
def test_datetimes_with_any_offset_land_in_utc(moment: datetime, minutes: int) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    cleaned = clean_value(FieldSpec("at", FieldType.DATETIME), aware.isoformat())
    assert cleaned.endswith("Z")
    assert datetime.fromisoformat(cleaned) == aware


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15))
def test_decimals_keep_their_value(number: Decimal) -> None:
    assert Decimal(clean_value(FieldSpec("price", FieldType.DECIMAL), format(number, "f"))) == number
