from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse

from hub.catalog.models import Entity, EntityField, SourceOfTruth
from hub.catalog.selectors import source_of_truth_matrix


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
