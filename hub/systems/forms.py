"""The system form: its connection fields are generated from the connector kind's declared parameters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils import formats, timezone

from connectors.base import Param, ParamType
from connectors.registry import connector_class
from hub.systems.models import Secret, System
from hub.systems.params import ParamError, clean_params

PREFIX = "param__"


def _field_for(param: Param, secret: Secret | None) -> forms.Field:
    common: dict[str, Any] = {"label": param.label, "required": False, "help_text": param.help}
    if param.secret:
        common["help_text"] = f"{_secret_status(secret)} {param.help}".strip()
        return forms.CharField(
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}), **common
        )
    if param.type == ParamType.BOOLEAN:
        return forms.BooleanField(**common)
    if param.type == ParamType.CHOICE:
        return forms.ChoiceField(choices=[("", "---------"), *param.choices], **common)
    if param.type == ParamType.INTEGER:
        low, high = param.min_value, param.max_value
        return forms.IntegerField(
            min_value=None if low is None else int(low),
            max_value=None if high is None else int(high),
            **common,
        )
    if param.type == ParamType.DECIMAL:
        return forms.DecimalField(min_value=param.min_value, max_value=param.max_value, **common)
    if param.type == ParamType.URL:
        return forms.URLField(assume_scheme="https", **common)
    return forms.CharField(**common)


def _secret_status(secret: Secret | None) -> str:
    if secret is None:
        return "Not set yet."
    when = formats.date_format(timezone.localtime(secret.set_at), "DATETIME_FORMAT")
    who = secret.set_by.get_username() if secret.set_by else "the system"
    used = (
        formats.date_format(timezone.localtime(secret.last_used_at), "DATETIME_FORMAT")
        if secret.last_used_at
        else "never"
    )
    return (
        f"Set on {when} by {who}, last used {used}. Leave empty to keep it; type a new value to replace it."
    )


BREAKER_FIELDS = ("breaker_failures", "breaker_pause_seconds")


class SystemForm(forms.ModelForm):
    kind_name: str = ""
    kind_params: tuple[Param, ...] = ()

    def clean_breaker_failures(self) -> int:
        return self._or_default("breaker_failures")

    def clean_breaker_pause_seconds(self) -> int:
        return self._or_default("breaker_pause_seconds")

    def _or_default(self, name: str) -> int:
        value = self.cleaned_data.get(name)
        field = System._meta.get_field(name)
        assert isinstance(field, models.Field)
        return int(field.get_default()) if value is None else int(value)

    class Meta:
        model = System
        fields = [
            "name", "kind", "description", "owner_team", "contact", "environment", "status", "read_only",
            "breaker_failures", "breaker_pause_seconds",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in BREAKER_FIELDS:  # left empty: the usual value
            if name in self.fields:
                self.fields[name].required = False
        if "kind" in self.fields:  # read-only, so absent, once the system exists
            self.fields["kind"].initial = self.kind_name
        stored = (
            {s.name: s for s in self.instance.secrets.select_related("set_by")} if self.instance.pk else {}
        )
        for param in self.kind_params:
            field = _field_for(param, stored.get(param.name))
            if not param.secret:
                field.initial = (self.instance.params or {}).get(param.name, param.default)
            if param.visible_when is not None:
                other, values = param.visible_when
                field.widget.attrs.update(
                    {"data-shown-when": PREFIX + other, "data-shown-values": " ".join(values)}
                )
            self.fields[PREFIX + param.name] = field
        self._stored_secrets = set(stored)

    def param_values(self) -> dict[str, Any]:
        values = {}
        for param in self.kind_params:
            if not param.secret:
                value = self.cleaned_data.get(PREFIX + param.name)
                values[param.name] = "" if value is None else value
        return values

    def secret_values(self) -> dict[str, str]:
        return {
            p.name: self.cleaned_data[PREFIX + p.name]
            for p in self.kind_params
            if p.secret and self.cleaned_data.get(PREFIX + p.name)
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind") or self.instance.kind  # the kind is read-only once the system exists
        if kind and kind != self.kind_name:
            self.add_error(
                "kind", "The settings below belong to another kind: choose the kind, then fill them in."
            )
        elif kind:
            try:
                clean_params(
                    kind, self.param_values(), secrets_set=self._stored_secrets | set(self.secret_values())
                )
            except ParamError as error:
                for name, message in error.errors.items():
                    field = PREFIX + name
                    self.add_error(field if field in self.fields else None, message)
        return cleaned


def system_form_for(kind: str) -> type[SystemForm]:
    params = tuple(connector_class(kind).params)
    return type("SystemFormFor_" + kind, (SystemForm,), {"kind_name": kind, "kind_params": params})
