"""Partners and their keys. A new key is shown once, on the page after it is saved; then only its prefix."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from hub.admin_actions import ReadOnlyInline, confirmation_page, confirmed
from hub.api.keys import api_key_issue, api_key_revoke
from hub.api.models import ApiKey, EntityGrant, FlowGrant, Partner
from hub.catalog.models import EntityField

NEW_SECRET = "_hub_new_api_key"  # noqa: S105 - the attribute that holds it on the request, not a secret


class KeyInline(ReadOnlyInline):
    model = ApiKey
    fields = ["name", "prefix", "expires_at", "revoked_at", "last_used_at"]
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiKey]:
        return super().get_queryset(request).select_related("partner")  # each row's name shows the partner


class ChoicesOncePerRequest:
    """The choices of a grant's selects are read once per page, not once per row (each row's select would
    otherwise query them again)."""

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if isinstance(field, forms.ModelChoiceField) and request is not None:
            if db_field.name == "fields":
                field.queryset = EntityField.objects.select_related("entity").order_by(
                    "entity__name", "position"
                )
            cache = request.__dict__.setdefault("_hub_grant_choices", {})
            key = (db_field.model, db_field.name)
            if key not in cache:
                cache[key] = list(cast(Iterable[Any], field.choices))
            field.choices = cache[key]
        return field


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "contact", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "contact"]
    inlines = [KeyInline]


class EntityGrantForm(forms.ModelForm):
    class Meta:
        model = EntityGrant
        fields = ["entity", "can_read", "can_write", "fields"]
        widgets = {"fields": forms.SelectMultiple(attrs={"size": 6})}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        entity, chosen = data.get("entity"), data.get("fields") or []
        strangers = [str(f) for f in chosen if entity is not None and f.entity_id != entity.pk]
        if strangers:
            self.add_error("fields", f"These fields are not fields of {entity}: {', '.join(strangers)}.")
        return data


class EntityGrantInline(ChoicesOncePerRequest, admin.TabularInline):
    model = EntityGrant
    form = EntityGrantForm
    extra = 1
    verbose_name = "entity it may read or push"
    verbose_name_plural = "Entities it may read or push (choose fields to limit what it reads)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[EntityGrant]:
        return super().get_queryset(request).select_related("entity").prefetch_related("fields")


class FlowGrantInline(ChoicesOncePerRequest, admin.TabularInline):
    model = FlowGrant
    extra = 1
    verbose_name_plural = "Flows it may start"

    def get_queryset(self, request: HttpRequest) -> QuerySet[FlowGrant]:
        return super().get_queryset(request).select_related("flow")


def key_status(key: ApiKey) -> str:
    if key.is_revoked:
        return "revoked"
    return "expired" if key.has_expired else "active"


@admin.action(description="Revoke the selected keys (for good)", permissions=["change"])
def revoke(modeladmin: ApiKeyAdmin, request: HttpRequest, queryset: QuerySet[ApiKey]) -> Any:
    if not confirmed(request):
        return confirmation_page(
            modeladmin, request, queryset, title="Revoke API keys",
            explanation="From now on every call with these keys is refused. This cannot be undone: give the "
            "partner a new key if it still needs access.",
            confirm_label="Yes, revoke",
        )  # fmt: skip
    done = sum(api_key_revoke(key=key, actor=request.user) for key in queryset)
    modeladmin.message_user(request, f"{done} key(s) revoked.", messages.SUCCESS)
    return None


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "partner",
        "prefix",
        "status",
        "expires_at",
        "rate_limit_per_minute",
        "last_used_at",
    ]
    list_filter = ["partner", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["partner"]
    search_fields = ["name", "prefix", "partner__name"]
    actions = [revoke]
    inlines = [EntityGrantInline, FlowGrantInline]
    fieldsets = [
        (None, {"fields": ["partner", "name", "prefix", "status"]}),
        ("Limits", {"fields": ["expires_at", "allowed_networks", "rate_limit_per_minute"]}),
        ("Dead letters", {"fields": ["dead_letters_read", "dead_letters_replay"]}),
        ("Use", {"fields": ["created_at", "last_used_at", "last_used_from", "revoked_at"]}),
    ]
    readonly_fields = ["prefix", "status", "created_at", "last_used_at", "last_used_from", "revoked_at"]

    @admin.display(description="status")
    def status(self, obj: ApiKey) -> str:
        return key_status(obj) if obj.pk else "new: the key is shown once, after saving"

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        if obj is not None and obj.is_revoked:  # a revoked key is history
            return [f for _, section in self.fieldsets for f in section["fields"]]
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            setattr(request, NEW_SECRET, api_key_issue(key=obj))

    def response_add(
        self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        secret = getattr(request, NEW_SECRET, None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        context = {**self.admin_site.each_context(request), "key": obj, "secret": secret, "opts": self.model._meta,
                   "title": "The new API key", "created": timezone.now()}  # fmt: skip
        response = TemplateResponse(request, "api/key_created.html", context)
        response["Cache-Control"] = "no-store"
        return response
