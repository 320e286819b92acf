from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from hub.admin_actions import AccessAuditedAdmin, ReadOnlyInline, confirmation_page, confirmed
from hub.catalog.models import Conflict, CrossReference, Entity, EntityField, Record, SourceOfTruth
from hub.catalog.selectors import source_of_truth_matrix
from hub.catalog.services import conflict_resolve


class EntityFieldForm(forms.ModelForm):
    class Meta:
        model = EntityField
        fields = [
            "position", "name", "label", "type", "required", "natural_key",
            "format_rule", "enum_values", "reference_entity", "help",
        ]  # fmt: skip
        widgets = {
            "enum_values": forms.Textarea(attrs={"rows": 2, "cols": 18}),
            "help": forms.TextInput(attrs={"size": 24}),
            "format_rule": forms.TextInput(attrs={"size": 14}),
        }


class EntityFieldFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        """Renaming a field to the name another field still has would collide halfway through saving."""
        super().clean()
        current = (
            dict(EntityField.objects.filter(entity=self.instance).values_list("name", "pk"))
            if self.instance.pk
            else {}
        )
        leaving = {f.instance.pk for f in self.forms if f.cleaned_data.get("DELETE")}
        for form in self.forms:
            name = form.cleaned_data.get("name")
            holder = current.get(name)
            if (
                "name" in form.changed_data
                and holder not in (None, form.instance.pk)
                and holder not in leaving
            ):
                form.add_error(
                    "name",
                    f"'{name}' is still the name of another field. To swap two names, first give one of them "
                    "a temporary name and save.",
                )


class EntityFieldInline(admin.TabularInline):
    model = EntityField
    form = EntityFieldForm
    formset = EntityFieldFormSet
    fk_name = "entity"
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[EntityField]:
        return super().get_queryset(request).select_related("entity")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """Read the entity list once per page, not once per field row."""
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "reference_entity" and field is not None:
            cache: dict[str, list[Any]] = request.__dict__.setdefault("_hub_choices", {})
            if "reference_entity" not in cache:
                cache["reference_entity"] = list(field.choices)  # type: ignore[arg-type]
            field.choices = cache["reference_entity"]
        return field

    fields = [
        "position", "name", "label", "type", "required", "natural_key",
        "format_rule", "enum_values", "reference_entity", "help",
    ]  # fmt: skip


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "field_count", "mapping_count", "flow_count"]
    search_fields = ["name", "description", "fields__name"]
    inlines = [EntityFieldInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Entity]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_fields=Count("fields", distinct=True),
                n_mappings=Count("mappings", distinct=True),
                n_flows=Count("flows", distinct=True),
            )
        )

    @admin.display(description="fields", ordering="n_fields")
    def field_count(self, obj: Entity) -> int:
        return getattr(obj, "n_fields", 0)

    @admin.display(description="mappings", ordering="n_mappings")
    def mapping_count(self, obj: Entity) -> int:
        return getattr(obj, "n_mappings", 0)

    @admin.display(description="flows", ordering="n_flows")
    def flow_count(self, obj: Entity) -> int:
        return getattr(obj, "n_flows", 0)


class SourceOfTruthForm(forms.ModelForm):
    class Meta:
        model = SourceOfTruth
        fields = ["entity", "field", "system", "note"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if "field" in self.fields:  # absent for people who may only view
            self.fields["field"].queryset = EntityField.objects.select_related("entity")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        entity, field = cleaned.get("entity"), cleaned.get("field")
        if entity and field and field.entity_id != entity.pk:
            self.add_error(
                "field", f"'{field.name}' is a field of {field.entity.name}, not of {entity.name}."
            )
        return cleaned


@admin.register(SourceOfTruth)
class SourceOfTruthAdmin(admin.ModelAdmin):
    form = SourceOfTruthForm
    list_display = ["entity", "scope", "system", "note"]
    list_filter = ["entity", "system"]
    list_select_related = ["entity", "field", "system"]
    search_fields = ["entity__name", "field__name", "system__name"]
    change_list_template = "admin/catalog/sourceoftruth/change_list.html"

    @admin.display(description="applies to", ordering="field__name")
    def scope(self, obj: SourceOfTruth) -> str:
        return f"field {obj.field.name}" if obj.field else "the whole entity"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "matrix": source_of_truth_matrix()}
        return super().changelist_view(request, extra_context)


class ConflictInline(ReadOnlyInline):
    model = Conflict
    fields = ["field", "system", "kept_value", "offered_value", "state", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Conflict]:
        return super().get_queryset(request).select_related("system")


class CrossReferenceInline(ReadOnlyInline):
    model = CrossReference
    fields = ["system", "external_id", "last_hash", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CrossReference]:
        return super().get_queryset(request).select_related("system")


@admin.register(Record)
class RecordAdmin(AccessAuditedAdmin):
    """Canonical records, read-only: values with where each came from, the systems that hold it, conflicts."""

    list_display = ["id", "entity", "natural_key", "summary", "updated_at"]
    list_filter = ["entity"]
    list_select_related = ["entity"]
    search_fields = ["natural_key"]
    fields = ["entity", "natural_key", "values_table", "created_at", "updated_at"]
    readonly_fields = ["entity", "natural_key", "values_table", "created_at", "updated_at"]
    inlines = [CrossReferenceInline, ConflictInline]

    @admin.display(description="values")
    def summary(self, obj: Record) -> str:
        return ", ".join(str(v) for v in list(obj.data.values())[:4] if v not in (None, ""))[:120]

    @admin.display(description="values and where they came from")
    def values_table(self, obj: Record) -> str:
        rows = format_html_join(
            "",
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (name, "" if value is None else value, obj.provenance.get(name, {}).get("system", "—"),
                 obj.provenance.get(name, {}).get("at", "")[:19])
                for name, value in obj.data.items()
            ),
        )  # fmt: skip
        head = "<tr><th>Field</th><th>Value</th><th>From</th><th>At</th></tr>"
        return format_html("<table>{}{}</table>", mark_safe(head), rows)  # noqa: S308 - constant markup

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # records leave through their systems, never by a click here

    def access_what(self, obj: Record) -> str:
        return f"record {obj}"


class ResolveForm(forms.Form):
    note = forms.CharField(max_length=300, required=False, help_text="Why (kept with the conflict).")


def _resolve(accept: bool) -> Any:
    verb = "accept" if accept else "dismiss"

    def action(modeladmin: ConflictAdmin, request: HttpRequest, queryset: QuerySet[Conflict]) -> Any:
        form = ResolveForm(request.POST if confirmed(request) else None)
        if not (confirmed(request) and form.is_valid()):
            what = (
                "The record takes the other system's value (the authoritative system may overwrite it later)."
                if accept
                else "The record keeps its value; the other system's value is set aside."
            )
            return confirmation_page(
                modeladmin, request, queryset, title=f"{verb.capitalize()} conflicts", explanation=what,
                confirm_label=f"Yes, {verb}", form=form,
            )  # fmt: skip
        for conflict in queryset.select_related("record", "system"):
            conflict_resolve(
                conflict=conflict, accept=accept, note=form.cleaned_data["note"], actor=request.user
            )
        modeladmin.message_user(request, f"{queryset.count()} conflict(s) {verb}ed.")
        return None

    action.__name__ = f"conflicts_{verb}"
    label = "Take the other system's value" if accept else "Keep the record's value"
    return admin.action(description=f"{label} for the selected conflicts", permissions=["change"])(action)


@admin.register(Conflict)
class ConflictAdmin(admin.ModelAdmin):
    list_display = ["record", "field", "system", "kept_value", "offered_value", "state", "updated_at"]
    list_filter = ["state", "system", "field", "record__entity"]
    list_select_related = ["record__entity", "system"]
    search_fields = ["record__natural_key", "field"]
    actions = [_resolve(True), _resolve(False)]
    fields = [
        "record",
        "field",
        "system",
        "kept_value",
        "offered_value",
        "state",
        "resolved_by",
        "resolved_at",
        "note",
    ]
    readonly_fields = [
        "record",
        "field",
        "system",
        "kept_value",
        "offered_value",
        "state",
        "resolved_by",
        "resolved_at",
        "note",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
