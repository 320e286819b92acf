"""The fallback form: one field per field of the entity the flow carries, checked as the pipeline checks."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone

from hub.catalog.models import EntityField, FieldType
from hub.fallback.services import KEY_LENGTH, EntryError, entry_check
from hub.flows.models import Flow

# The hidden one-time key's name: it starts with an underscore, which no entity field's name can (they are
# checked by ``hub.catalog.models.identifier``), so an entity field never takes its place.
KEY_FIELD = "_submission_key"


def entry_fields(flow: Flow) -> list[EntityField]:
    """The entity's fields the flow carries (all when it names none), natural-key fields always."""
    carried = set(flow.fields.values_list("name", flat=True))
    fields = flow.entity.fields.order_by("position", "pk")
    return [f for f in fields if not carried or f.name in carried or f.natural_key]


def _widget(spec: EntityField) -> forms.Widget:
    attrs: dict[str, str] = {}
    if spec.type == FieldType.DATE:
        return forms.DateInput(attrs={"type": "date"})
    if spec.type == FieldType.DATETIME:
        return forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"})
    if spec.type == FieldType.EMAIL:
        return forms.EmailInput()
    if spec.type in (FieldType.INTEGER, FieldType.DECIMAL):
        attrs["inputmode"] = "numeric" if spec.type == FieldType.INTEGER else "decimal"
    if spec.type == FieldType.PHONE:
        attrs["placeholder"] = "+49301234567"
    return forms.TextInput(attrs=attrs)


def _field(spec: EntityField) -> forms.Field:
    label = spec.label or spec.name
    help_text = spec.help or spec.get_type_display()
    if spec.natural_key:
        help_text = help_text.rstrip(". ") + (
            ". This identifies the record: it is how the hub matches your entry to the real one later."
        )
    if spec.type == FieldType.ENUM:
        choices = [("", "—")] + [(v, v) for v in spec.allowed_values]
        return forms.ChoiceField(label=label, choices=choices, required=False, help_text=help_text)
    if spec.type == FieldType.BOOLEAN:
        choices = [("", "—"), ("yes", "Yes"), ("no", "No")]
        return forms.ChoiceField(label=label, choices=choices, required=False, help_text=help_text)
    # Required-ness is the entity's rule, checked with the others in clean(), so the message is the same
    # as the pipeline's; the browser's own check would only say "fill in this field".
    field = forms.CharField(label=label, required=False, help_text=help_text, widget=_widget(spec))
    field.widget.attrs["aria-required"] = "true" if spec.required else "false"
    return field


class EntryForm(forms.Form):
    """Built for one flow; ``cleaned_values`` holds the canonical values once valid."""

    def __init__(self, *args: Any, flow: Flow, initial_values: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.flow = flow
        self.fields[KEY_FIELD] = forms.CharField(
            widget=forms.HiddenInput, max_length=KEY_LENGTH, error_messages={
                "required": "This form has lost its one-time key: reload the page and type the entry again.",
                "max_length": "This form's one-time key is damaged: reload the page and type the entry again.",
            },
        )  # fmt: skip
        self.specs = {spec.name: spec for spec in entry_fields(flow)}
        for name, spec in self.specs.items():
            self.fields[name] = _field(spec)
            if initial_values and initial_values.get(name) is not None:
                self.initial[name] = _shown(spec, initial_values[name])
        self.initial.setdefault(KEY_FIELD, secrets.token_urlsafe(24))
        self.cleaned_values: dict[str, Any] = {}

    @property
    def submission_key(self) -> str:
        return str(self.cleaned_data[KEY_FIELD])

    def general_errors(self) -> list[str]:
        """Errors that belong to no visible field: the form's own and its hidden key's."""
        errors = [str(error) for error in self.non_field_errors()]
        for field in self.hidden_fields():
            errors.extend(str(error) for error in field.errors)
        return errors

    @property
    def required_names(self) -> set[str]:
        return {name for name, spec in self.specs.items() if spec.required}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        typed: dict[str, Any] = {}
        for name, spec in self.specs.items():
            value = cleaned.get(name)
            if value in (None, ""):
                if spec.required:
                    typed[name] = None  # the entity's own "required" message
                continue
            typed[name] = _typed(spec, str(value))
        try:
            self.cleaned_values = entry_check(self.flow, typed)
        except EntryError as error:
            for name, messages in error.field_errors.items():
                target = name if name in self.fields else None
                for message in messages:
                    self.add_error(target, message)
        return cleaned


def _typed(spec: EntityField, value: str) -> Any:
    """What the browser sent, as the pipeline expects it."""
    if spec.type == FieldType.DATETIME:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value  # the entity's check says what is wrong with it
        if moment.tzinfo is None:  # the browser's local time input: the hub's time zone
            moment = timezone.make_aware(moment)
        return moment.isoformat()
    return value.strip()


def _shown(spec: EntityField, value: Any) -> Any:
    if spec.type == FieldType.BOOLEAN and isinstance(value, bool):
        return "yes" if value else "no"
    if spec.type == FieldType.DATETIME and isinstance(value, str):
        try:
            return timezone.localtime(datetime.fromisoformat(value.replace("Z", "+00:00"))).strftime(
                "%Y-%m-%dT%H:%M:%S"
            )
        except ValueError:
            return value
    return value
