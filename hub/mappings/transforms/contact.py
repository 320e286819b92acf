"""Transforms for contact data: e-mail addresses and phone numbers."""

import re
from typing import Any

import phonenumbers

from hub.catalog import canonical
from hub.catalog.canonical import describe, show
from hub.mappings.transforms.base import ApplyFn, ArgumentError, Arguments, StepFailed, TransformInfo, parsing

# 'Anna Schmidt <anna@example.com>' and 'mailto:anna@example.com' are common in exports.
_NAMED_ADDRESS = re.compile(r"[^<>]*<(?P<address>[^<>]+)>\s*")
_MAILTO = re.compile(r"mailto:", re.IGNORECASE)


def _build_email(args: Arguments) -> ApplyFn:
    args.none()
    return parsing(_email)


def _email(value: Any) -> str:
    if not isinstance(value, str):
        raise StepFailed(f"expected an e-mail address as text, got {describe(value)}")
    text = value.strip()
    named = _NAMED_ADDRESS.fullmatch(text)
    text = _MAILTO.sub("", named["address"] if named else text, count=1)
    try:
        return canonical.normalize_email(text, lower_local=True)
    except ValueError:
        raise StepFailed(f"{show(value)} does not look like an e-mail address (name@example.com)") from None


def _build_phone(args: Arguments) -> ApplyFn:
    raw = args.positional(required=False)
    region = raw.strip().upper() if raw else None
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        raise ArgumentError(f"unknown country code '{raw}'")
    return parsing(lambda value: _phone(value, region))


def _phone(value: Any, region: str | None) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise StepFailed(f"expected a phone number, got {describe(value)}")
    try:
        number = phonenumbers.parse(str(value), region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        where = f" (numbers without a country code are read as {region})" if region else ""
        raise StepFailed(f"{show(str(value))} does not look like a phone number{where}")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


INFOS = (
    TransformInfo(
        "email",
        "E-mail address",
        "Trims the address, writes it in small letters and checks that it looks like name@example.com. "
        "'Anna <anna@example.com>' and 'mailto:' links are reduced to the address. "
        "Example: ' Anna.Schmidt@Example.COM ' becomes 'anna.schmidt@example.com'.",
        "",
        "the name alone: email",
        _build_email,
    ),
    TransformInfo(
        "phone",
        "Phone number",
        "Writes a phone number in international form (E.164), reading numbers without a country code "
        "as numbers of the given country (two-letter code). Numbers that cannot exist are an error. "
        "Example: 'phone: DE' turns '030/1234567' into '+49301234567'.",
        "phone: <country code>",
        "a two-letter country code such as 'phone: DE'",
        _build_phone,
    ),
)
