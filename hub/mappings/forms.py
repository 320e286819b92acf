from __future__ import annotations

import json
from typing import Any

from django import forms

from hub.mappings.models import MappingRule
from hub.mappings.services import rules_errors
from hub.mappings.transforms import TRANSFORMS, RuleSpec


def transforms_help() -> str:
    names = ", ".join(sorted(TRANSFORMS))
    return f"One step per line, applied top to bottom. Available: {names}. See the list below the rules."


class TransformsField(forms.CharField):
    """A transform chain as people write it: one step per line."""

    widget = forms.Textarea(attrs={"rows": 2, "cols": 34, "placeholder": "trim\nphone: DE"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(step) for step in value)
        if isinstance(value, str) and value.startswith("["):
            try:
                return "\n".join(json.loads(value))
            except ValueError:
                return value
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in str(text).splitlines() if line.strip()]


class MappingRuleForm(forms.ModelForm):
    transforms = TransformsField(required=False, help_text="")

    class Meta:
        model = MappingRule
        fields = ["position", "source", "target", "transforms"]
        widgets = {
            "source": forms.TextInput(attrs={"size": 24}),
            "target": forms.TextInput(attrs={"size": 24}),
            "position": forms.NumberInput(attrs={"style": "width:4em"}),
        }


class MappingRuleFormSet(forms.BaseInlineFormSet):
    """Checks every rule against the mapping's entity: unknown fields, bad paths, bad transforms, doubles."""

    def clean(self) -> None:
        super().clean()
        mapping = self.instance
        if not getattr(mapping, "entity_id", None) or not mapping.direction:
            return
        live = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        rules = [
            RuleSpec(
                source=f.cleaned_data.get("source", ""),
                target=f.cleaned_data.get("target", ""),
                transforms=f.cleaned_data.get("transforms") or [],
            )
            for f in live
        ]
        names = set(mapping.entity.fields.values_list("name", flat=True))
        errors = rules_errors(
            rules=rules, direction=mapping.direction, field_names=names, entity=mapping.entity.name
        )
        for index, problems in errors.items():
            for part, message in problems.items():
                live[index].add_error(part, message)


class PreviewForm(forms.Form):
    sample = forms.CharField(
        label="Sample record",
        widget=forms.Textarea(attrs={"rows": 14, "cols": 80, "spellcheck": "false"}),
        help_text="Paste one record as the system sends it (JSON), or fetch one from the system.",
        required=False,
    )
    version = forms.ChoiceField(label="Rules to use", required=False)

    def __init__(self, *args: Any, versions: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [("", "The draft (rules as they are now)"), *versions]
        self.fields["version"].choices = choices  # type: ignore[attr-defined]

    def clean_sample(self) -> dict[str, Any]:
        text = self.cleaned_data.get("sample") or ""
        if not text.strip():
            raise forms.ValidationError("Paste a sample record, or fetch one from the system.")
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"This is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
            ) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(
                "Paste one record: a JSON object in braces {...}, not a list or a value."
            )
        return value


class PublishForm(forms.Form):
    note = forms.CharField(
        max_length=300,
        required=False,
        help_text="What changed in this version, and why (shown in the history).",
    )
