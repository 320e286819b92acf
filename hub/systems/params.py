"""Turning a connector kind's declared parameters into checked values (admin form and YAML import)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from connectors.base import Param, ParamType
from connectors.registry import connector_class


class ParamError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


def _coerce(param: Param, raw: Any) -> Any:
    if param.type == ParamType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if str(raw).strip().lower() in {"true", "yes", "1", "on"}:
            return True
        if str(raw).strip().lower() in {"false", "no", "0", "off"}:
            return False
        raise ValueError("expected yes or no (true/false)")
    if param.type == ParamType.INTEGER:
        if isinstance(raw, bool) or not str(raw).strip().lstrip("-").isdigit():
            raise ValueError("expected a whole number")
        return _bounded(param, int(raw))
    if param.type == ParamType.DECIMAL:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValueError("expected a number, e.g. 5 or 2.5") from None
        return float(_bounded(param, number))
    text = str(raw).strip()
    if param.type == ParamType.URL:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("expected an address starting with http:// or https://")
    if param.type == ParamType.CHOICE and text not in {value for value, _ in param.choices}:
        allowed = ", ".join(value for value, _ in param.choices)
        raise ValueError(f"{text!r} is not one of: {allowed}")
    return text


def _bounded(param: Param, number: Any) -> Any:
    if param.min_value is not None and number < param.min_value:
        raise ValueError(f"must be at least {param.min_value:g}")
    if param.max_value is not None and number > param.max_value:
        raise ValueError(f"must be at most {param.max_value:g}")
    return number


def clean_params(kind: str, values: Mapping[str, Any], *, secrets_set: set[str]) -> dict[str, Any]:
    """Check non-secret values against the kind's declaration; ``secrets_set`` names secrets present.

    Returns the values to store (defaults filled in, unknown names refused); raises ``ParamError`` with
    one message per wrong parameter.
    """
    cls = connector_class(kind)
    declared = {p.name: p for p in cls.params}
    errors = {name: "not a setting of this kind of system" for name in values if name not in declared}
    cleaned: dict[str, Any] = {}
    for param in cls.params:
        if param.secret:
            if param.name in values:
                errors[param.name] = "is a secret: set it with set_secret or the admin, never in plain text"
            continue
        raw = values.get(param.name)
        if raw is None or raw == "":
            if param.default is not None:
                cleaned[param.name] = param.default
            continue
        try:
            cleaned[param.name] = _coerce(param, raw)
        except ValueError as error:
            errors[param.name] = str(error)
    for param in cls.params:
        present = param.name in secrets_set if param.secret else param.name in cleaned
        if param.is_required(cleaned) and not present and param.name not in errors:
            errors[param.name] = f"'{param.label}' is required" + _when(param)
    if errors:
        raise ParamError(errors)
    return cleaned


def _when(param: Param) -> str:
    if param.required_when is None:
        return ""
    other, accepted = param.required_when
    return f" when {other} is {' or '.join(accepted)}"
