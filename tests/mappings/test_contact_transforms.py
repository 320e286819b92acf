from typing import Any

import pytest

from hub.mappings.transforms import TransformError, apply_chain, parse_chain


def run(steps: list[str], value: Any) -> Any:
    return apply_chain(parse_chain(steps), value, record={})


@pytest.mark.parametrize(
    ("steps", "value", "expected"),
    [
        (["phone: DE"], "030/1234567", "+49301234567"),
        (["phone: DE"], "(030) 1234567", "+49301234567"),
        (["phone: DE"], "0049301234567", "+49301234567"),
        (["phone: DE"], "+49 (0)30 123 45 67", "+49301234567"),
        (["phone: DE"], "0176 12345678", "+4917612345678"),
        (["phone: DE"], "+44 20 7946 0958", "+442079460958"),
        (["phone: de"], "030-1234567", "+49301234567"),
        (["phone: GB"], "020 7946 0958", "+442079460958"),
        (["phone: US"], "(212) 555-0123", "+12125550123"),
        (["phone"], "+49 30 1234567", "+49301234567"),
        (["phone: DE"], 301234567, "+49301234567"),  # a spreadsheet ate the leading 0
        (["phone: DE"], "", None),
        (["phone: DE"], None, None),
    ],
)
def test_phone_gives_e164(steps: list[str], value: Any, expected: Any) -> None:
    assert run(steps, value) == expected


@pytest.mark.parametrize(
    ("steps", "value", "message"),
    [
        (
            ["phone: DE"],
            "12",
            "'12' does not look like a phone number \\(numbers without a country code are read as DE\\)",
        ),
        (["phone: DE"], "call me", "'call me' does not look like a phone number"),
        (["phone"], "030 1234567", "'030 1234567' does not look like a phone number$"),
        (["phone: DE"], True, "expected a phone number, got a yes/no value"),
    ],
)
def test_phone_errors_show_the_value(steps: list[str], value: Any, message: str) -> None:
    with pytest.raises(TransformError, match=message):
        run(steps, value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" Anna.Schmidt@Example.COM ", "anna.schmidt@example.com"),
        ("Anna Schmidt <Anna.Schmidt@Example.com>", "anna.schmidt@example.com"),
        ("mailto:info@Firma.de", "info@firma.de"),
        ("o'brien+crm@mail.example.co.uk", "o'brien+crm@mail.example.co.uk"),
        ("jörg@müller.de", "jörg@müller.de"),
        ("", None),
        (None, None),
    ],
)
def test_email(value: Any, expected: Any) -> None:
    assert run(["email"], value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "anna",
        "anna@",
        "@example.com",
        "anna@example",
        "anna schmidt@example.com",
        "a@@b.de",
        "a..b@x.de",
        "a@-x.de",
    ],
)
def test_email_refuses_what_is_not_an_address(value: str) -> None:
    with pytest.raises(TransformError, match=f"'{value}' does not look like an e-mail address"):
        run(["email"], value)
