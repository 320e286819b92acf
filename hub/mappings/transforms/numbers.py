"""Transforms that read numbers and yes/no values: decimal, to_integer, to_boolean."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from hub.catalog import canonical
from hub.catalog.canonical import show
from hub.mappings.transforms.base import ApplyFn, ArgumentError, Arguments, StepFailed, TransformInfo, parsing

_ASCII_DIGITS = re.compile(r"[0-9]*")
_SPACES = " \u00a0\u202f"  # space, no-break space, narrow no-break space (French grouping)


@dataclass(frozen=True)
class NumberStyle:
    decimal: str
    groups: str  # characters that may separate groups of thousands


_DOT_DECIMAL = NumberStyle(".", "," + _SPACES)
_COMMA_DECIMAL = NumberStyle(",", "." + _SPACES)
_SPACE_GROUPS = NumberStyle(",", _SPACES + "'\u2019")
_SWISS = NumberStyle(".", "'\u2019" + _SPACES)

_LOCALES = {
    **dict.fromkeys(
        ["en_us", "en_gb", "en_ie", "en_au", "en_ca", "en_nz", "ja_jp", "zh_cn", "ko_kr"], _DOT_DECIMAL
    ),
    **dict.fromkeys(
        ["de_de", "de_at", "nl_nl", "nl_be", "es_es", "it_it", "pt_br", "da_dk", "id_id", "tr_tr", "el_gr"],
        _COMMA_DECIMAL,
    ),
    **dict.fromkeys(
        [
            "fr_fr",
            "fr_be",
            "fr_ca",
            "fr_ch",
            "fr_lu",
            "pt_pt",
            "sv_se",
            "nb_no",
            "fi_fi",
            "pl_pl",
            "cs_cz",
            "ru_ru",
        ],
        _SPACE_GROUPS,
    ),
    **dict.fromkeys(["de_ch", "it_ch", "de_li"], _SWISS),
    ".": _DOT_DECIMAL,
    ",": _COMMA_DECIMAL,
}

_DECIMAL_EXPECTED = "a locale such as de_DE or en_US, or the decimal separator itself ('.' or ',')"


def parse_localized(text: str, style: NumberStyle) -> Decimal:
    """'1.234,50' in the German style -> Decimal('1234.50'); a minus may lead or trail ('12,50-')."""
    body, negative = _sign(text.strip())
    whole, _, fraction = body.partition(style.decimal)
    digits = _ungroup(whole, style.groups)
    if digits is None or not _ASCII_DIGITS.fullmatch(fraction) or not (digits or fraction):
        raise ValueError(f"{show(text)} is not a number written as {_example(style)}")
    sign = "-" if negative else ""
    return Decimal(f"{sign}{digits or '0'}.{fraction}" if fraction else f"{sign}{digits}")


def _sign(text: str) -> tuple[str, bool]:
    if text.endswith("-"):
        return text[:-1].rstrip(), True
    if text[:1] in "+-":
        return text[1:].lstrip(), text[0] == "-"
    return text, False


def _ungroup(whole: str, groups: str) -> str | None:
    """The digits of the whole part, or None when its thousands grouping is malformed."""
    if whole == "" or (whole.isascii() and whole.isdigit()):
        return whole
    pattern = rf"\d{{1,3}}(?:[{re.escape(groups)}]\d{{3}})+"
    if not re.fullmatch(pattern, whole, flags=re.ASCII):
        return None
    return re.sub(r"\D", "", whole)


def _example(style: NumberStyle) -> str:
    group = style.groups[0] if style.groups[0] not in _SPACES else " "
    return f"1{group}234{style.decimal}50"


def _build_decimal(args: Arguments) -> ApplyFn:
    key = args.positional(required=False, allowed=frozenset({"places"})) or "."
    style = _LOCALES.get(key.replace("-", "_").lower())
    if style is None:
        raise ArgumentError(f"unknown locale '{key}'", expected=_DECIMAL_EXPECTED)
    places = _places(args.options(frozenset({"places"}), after_value=True).get("places"))
    return parsing(lambda value: _to_decimal_text(value, style, places))


def _places(raw: str | None) -> Decimal | None:
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) > 20:
        raise ArgumentError(f"places must be a number of decimal places from 0 to 20, got '{raw}'")
    return Decimal(1).scaleb(-int(raw))


def _to_decimal_text(value: Any, style: NumberStyle, places: Decimal | None) -> str:
    try:
        if isinstance(value, str):
            number = parse_localized(value, style)
        elif isinstance(value, int | float | Decimal):
            number = canonical.decimal_from_number(value)
        else:
            raise ValueError(f"expected a number, got {canonical.describe(value)}")
        if places is not None:
            number = number.quantize(places, rounding=ROUND_HALF_UP)
        return canonical.format_decimal(number)
    except (ValueError, InvalidOperation) as exc:
        raise StepFailed(str(exc) if isinstance(exc, ValueError) else f"{show(value)} is too large") from None


def _build_to_integer(args: Arguments) -> ApplyFn:
    args.none()
    return parsing(_wrap(canonical.parse_integer))


def _wrap(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        try:
            return function(value)
        except ValueError as exc:
            raise StepFailed(str(exc)) from None

    return apply


_TRUE_WORDS = ("true", "yes", "y", "1", "on", "x", "ja", "j")
_FALSE_WORDS = ("false", "no", "n", "0", "off", "nein")


def _build_to_boolean(args: Arguments) -> ApplyFn:
    words = dict.fromkeys(_TRUE_WORDS, True) | dict.fromkeys(_FALSE_WORDS, False)
    for key, meaning in args.pairs():
        words[key.strip().casefold()] = _meaning(key, meaning)
    return parsing(lambda value: _to_boolean(value, words))


def _meaning(key: str, meaning: str) -> bool:
    if meaning.strip().lower() not in ("true", "false"):
        raise ArgumentError(f"'{key}={meaning}': the meaning must be true or false")
    return meaning.strip().lower() == "true"


def _to_boolean(value: Any, words: dict[str, bool]) -> bool:
    if isinstance(value, bool):
        return value
    found = words.get(str(value).strip().casefold()) if isinstance(value, str | int) else None
    if found is None:
        yes = ", ".join(word for word, meaning in words.items() if meaning)
        no = ", ".join(word for word, meaning in words.items() if not meaning)
        raise StepFailed(f"{show(value)} is neither yes ({yes}) nor no ({no})")
    return found


INFOS = (
    TransformInfo(
        "decimal",
        "Read a decimal number",
        "Reads a number written the way a country writes it and gives it with a dot and no thousands "
        "separator. Name the locale (de_DE, en_US, fr_FR, de_CH, ...) or just the decimal separator "
        "('.' or ','); places=2 rounds to two decimals. A minus sign may stand before or after the "
        "number. Example: 'decimal: de_DE' turns '1.234,50' into '1234.50'.",
        "decimal: <locale or separator>; places=<n>",
        _DECIMAL_EXPECTED,
        _build_decimal,
    ),
    TransformInfo(
        "to_integer",
        "Whole number",
        "Turns the value into a whole number; '12' and '12.0' are accepted, '12.5' is an error. "
        "Example: ' 42 ' becomes 42.",
        "",
        "the name alone: to_integer",
        _build_to_integer,
    ),
    TransformInfo(
        "to_boolean",
        "Yes / no",
        "Turns words into yes or no. Understood without setup: true, yes, y, 1, on, x, ja, j and "
        "false, no, n, 0, off, nein (any case). Add your own words as word=true or word=false. "
        "Example: 'to_boolean: active=true; blocked=false'.",
        "to_boolean: <word>=true; <word>=false",
        "pairs such as 'to_boolean: J=true; N=false'",
        _build_to_boolean,
    ),
)
