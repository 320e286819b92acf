"""Check a ``ConnectorConfig`` against the declared parameters and turn it into typed options."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from connectors.base import ConfigurationError, ConnectorConfig, Param, ParamType

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class HttpJsonOptions:
    base_url: str
    verify_tls: bool
    connect_timeout: float
    read_timeout: float
    probe_path: str
    auth_style: str
    username: str
    api_key_header: str
    oauth2_token_url: str
    oauth2_client_id: str
    oauth2_scope: str
    read_path: str
    records_path: str
    since_param: str
    pagination: str
    page_param: str
    offset_param: str
    page_size_param: str
    page_size: int
    cursor_path: str
    cursor_param: str
    push_path: str
    push_method: str
    push_mode: str
    push_id_path: str
    idempotency_header: str

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


def read_values(params: Sequence[Param], config: ConnectorConfig) -> dict[str, Any]:
    """Every declared value, converted to its type and checked; secrets are included."""
    raw = {p.name: config.get(p.name, p.default) for p in params}
    values = {p.name: _convert(p, raw[p.name]) for p in params}
    for p in params:
        if p.is_required(values) and values[p.name] in (None, ""):
            raise ConfigurationError(f"“{p.label}” is required.")
    return values


def build_options(params: Sequence[Param], config: ConnectorConfig) -> HttpJsonOptions:
    values = read_values(params, config)
    _check_url(values["base_url"], "Base address")
    if values["auth_style"] == "oauth2":
        _check_url(values["oauth2_token_url"], "OAuth2 token address")
    for name in ("probe_path", "read_path", "push_path"):
        _check_path(values[name] or "", _label(params, name))
    fields = HttpJsonOptions.__dataclass_fields__
    return HttpJsonOptions(**{name: _text_or(values[name]) for name in fields})


def _text_or(value: Any) -> Any:
    return "" if value is None else value


def _label(params: Sequence[Param], name: str) -> str:
    return next(p.label for p in params if p.name == name)


def _convert(param: Param, value: Any) -> Any:
    if value in (None, ""):
        return value
    converted = _CONVERTERS.get(param.type, _to_text)(param, value)
    _check_bounds(param, converted)
    return converted


def _to_text(param: Param, value: Any) -> str:
    text = str(value).strip()
    if param.type is ParamType.CHOICE and text not in {key for key, _ in param.choices}:
        allowed = ", ".join(key for key, _ in param.choices)
        raise ConfigurationError(f"“{param.label}” must be one of: {allowed}.")
    return text


def _to_number(param: Param, value: Any) -> float | int:
    kind = int if param.type is ParamType.INTEGER else float
    try:
        number = kind(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None:
        raise ConfigurationError(f"“{param.label}” must be a number.")
    return number


def _to_bool(param: Param, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in _TRUE | _FALSE:
        raise ConfigurationError(f"“{param.label}” must be yes or no.")
    return text in _TRUE


_CONVERTERS = {ParamType.INTEGER: _to_number, ParamType.DECIMAL: _to_number, ParamType.BOOLEAN: _to_bool}


def _check_bounds(param: Param, value: Any) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return
    low, high = param.min_value, param.max_value
    if low is not None and value < low:
        raise ConfigurationError(f"“{param.label}” must be at least {low:g}.")
    if high is not None and value > high:
        raise ConfigurationError(f"“{param.label}” must be at most {high:g}.")


def _check_url(url: str, label: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"“{label}” must start with http:// or https:// and name a host.")
    if parts.username or parts.password:
        raise ConfigurationError(
            f"“{label}” must not contain a username or password; use the credential fields instead."
        )


def _check_path(path: str, label: str) -> None:
    if "://" in path or (path and not path.startswith("/")):
        raise ConfigurationError(f"“{label}” must be a path starting with /, e.g. /customers.")


def secret_values(params: Sequence[Param], config: ConnectorConfig) -> list[str]:
    """The values of the secret parameters, wherever the configuration put them."""
    found = [config.get(p.name) for p in params if p.secret] + list(config.secrets.values())
    return [str(value) for value in found if value]
