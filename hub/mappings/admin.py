from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from hub.admin_actions import ReadOnlyInline, confirmation_page, confirmed
from hub.flows.services import flows_using_mapping
from hub.mappings.forms import MappingRuleForm, MappingRuleFormSet, PublishForm
from hub.mappings.models import Mapping, MappingRule, MappingVersion
from hub.mappings.preview import preview_context
from hub.mappings.services import (
    MappingError,
    mapping_has_unpublished_changes,
    mapping_latest_version,
    mapping_publish,
    mapping_restore,
    mapping_rules_save,
)
from hub.mappings.transforms import TRANSFORMS


class MappingRuleInline(admin.TabularInline):
    model = MappingRule
    form = MappingRuleForm
    formset = MappingRuleFormSet
    extra = 1
    fields = ["position", "source", "target", "transforms"]


class MappingVersionInline(ReadOnlyInline):
    model = MappingVersion
    fields = ["number", "published_at", "published_by", "note"]
    show_change_link = True
    verbose_name_plural = "published versions (runs use the newest)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[MappingVersion]:
        return super().get_queryset(request).select_related("published_by")


@admin.action(description="Publish the current rules as a new version", permissions=["change"])
def publish(modeladmin: MappingAdmin, request: HttpRequest, queryset: QuerySet[Mapping]) -> Any:
    form = PublishForm(request.POST if confirmed(request) else None)
    if not (confirmed(request) and form.is_valid()):
        return confirmation_page(
            modeladmin, request, queryset,
            title="Publish mapping versions",
            explanation="Runs will use the new versions from their next page of records on. Earlier versions "
            "stay readable and can be restored.",
            confirm_label="Yes, publish",
            form=form,
        )  # fmt: skip
    for mapping in queryset.select_related("entity", "system"):
        try:
            version = mapping_publish(mapping=mapping, note=form.cleaned_data["note"], actor=request.user)
        except MappingError as error:
            modeladmin.message_user(request, f"{mapping}: {error}", messages.ERROR)
        else:
            modeladmin.message_user(
                request, f"{mapping}: published version {version.number}.", messages.SUCCESS
            )
    return None


@admin.register(Mapping)
class MappingAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "entity",
        "system",
        "direction",
        "rule_count",
        "latest_version",
        "preview_link",
    ]
    list_filter = ["direction", "entity", "system"]
    list_select_related = ["entity", "system"]
    search_fields = ["entity__name", "system__name", "rules__source", "rules__target"]
    inlines = [MappingRuleInline, MappingVersionInline]
    actions = [publish]
    change_form_template = "admin/mappings/mapping/change_form.html"
    readonly_fields = ["publication"]
    fields = ["system", "entity", "direction", "resource", "description", "publication"]

    @admin.display(description="publication")
    def publication(self, obj: Mapping) -> str:
        if not obj.pk:
            return "Not published yet: save the rules, then publish them from the list of mappings."
        latest = mapping_latest_version(obj)
        if latest is None:
            return "Not published yet: runs cannot use this mapping until it is published."
        if mapping_has_unpublished_changes(obj):
            return (
                f"The rules below differ from version {latest.number}, which runs use: publish to apply them."
            )
        return f"The rules below are version {latest.number}, which runs use."

    def get_queryset(self, request: HttpRequest) -> QuerySet[Mapping]:
        return (
            super()
            .get_queryset(request)
            .annotate(n_rules=Count("rules", distinct=True), latest=Max("versions__number"))
        )

    @admin.display(description="rules", ordering="n_rules")
    def rule_count(self, obj: Mapping) -> int:
        return getattr(obj, "n_rules", 0)

    @admin.display(description="published version", ordering="latest")
    def latest_version(self, obj: Mapping) -> str:
        latest = getattr(obj, "latest", None)
        return f"v{latest}" if latest else "not published yet"

    @admin.display(description="preview")
    def preview_link(self, obj: Mapping) -> str:
        return format_html(
            '<a href="{}">Preview</a>', reverse("admin:mappings_mapping_preview", args=[obj.pk])
        )

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        context["transforms"] = sorted(TRANSFORMS.values(), key=lambda t: t.name)
        return super().render_change_form(request, context, *args, **kwargs)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not MappingRule:
            return super().save_formset(request, form, formset, change)
        rules = formset.save(commit=False)
        retargeted = {f.instance.pk for f in formset.forms if f.instance.pk and "target" in f.changed_data}
        mapping_rules_save(save=rules, retargeted=retargeted, delete=formset.deleted_objects)
        return None

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """A mapping that a flow needs cannot be deleted: the page lists those flows instead."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for mapping in objs:
            for flow in flows_using_mapping(mapping):
                protected.append(f"Flow: {flow.name} (needs {mapping})")
        return deleted, counts, perms_needed, protected

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.preview_view)
        return [path("<int:object_id>/preview/", view, name="mappings_mapping_preview"), *super().get_urls()]

    def preview_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        mapping = get_object_or_404(Mapping.objects.select_related("entity", "system"), pk=object_id)
        if not self.has_view_permission(request, mapping):
            return HttpResponse(status=403)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": mapping,
            "title": f"Preview: {mapping}",
            **preview_context(request=request, mapping=mapping),
        }
        return TemplateResponse(request, "admin/mappings/mapping/preview.html", context)


@admin.action(description="Restore this version's rules into the draft", permissions=["restore"])
def restore(modeladmin: MappingVersionAdmin, request: HttpRequest, queryset: QuerySet[MappingVersion]) -> Any:
    if not confirmed(request):
        return confirmation_page(
            modeladmin, request, queryset,
            title="Restore mapping versions",
            explanation="Each mapping's draft rules are replaced by the rules of the chosen version. Runs "
            "keep using the newest published version until you publish again.",
            confirm_label="Yes, restore",
        )  # fmt: skip
    chosen = {version.mapping_id: version for version in queryset.select_related("mapping")}
    for version in chosen.values():
        mapping_restore(version=version)
        modeladmin.message_user(
            request, f"{version}: restored into the draft; publish it to make it current."
        )
    return None


@admin.register(MappingVersion)
class MappingVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "number", "published_at", "published_by", "note"]
    list_filter = ["mapping__entity", "mapping__system"]
    list_select_related = ["mapping__entity", "mapping__system", "published_by"]
    search_fields = ["mapping__entity__name", "mapping__system__name", "note"]
    fields = ["mapping", "number", "published_at", "published_by", "note", "rules_table"]
    readonly_fields = ["mapping", "number", "published_at", "published_by", "note", "rules_table"]
    actions = [restore]

    @admin.display(description="rules")
    def rules_table(self, obj: MappingVersion) -> str:
        rows = format_html_join(
            "",
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            ((r["source"], r["target"], " → ".join(r.get("transforms") or []) or "—") for r in obj.rules),
        )
        return format_html("<table><tr><th>From</th><th>To</th><th>Transforms</th></tr>{}</table>", rows)

    def has_restore_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("mappings.change_mapping")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
