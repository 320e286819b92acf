"""Shared admin pieces: the confirmation page of actions that change data, and read-only admins and inlines."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from hub.audit.events import Event
from hub.audit.services import audit_access


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get("confirmed") == "yes"


def confirmation_page(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    title: str,
    explanation: str,
    confirm_label: str,
    form: forms.Form | None = None,
) -> TemplateResponse:
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "explanation": explanation,
        "confirm_label": confirm_label,
        "queryset": queryset,
        "form": form,
        "opts": modeladmin.model._meta,
        "action": request.POST.get("action", ""),
    }
    return TemplateResponse(request, "admin/hub/confirm_action.html", context)


class ReadOnlyInline(admin.TabularInline):
    """Rows shown beside their parent for reading: histories, cross-references, attempts."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields or ()


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log or history: it can be read and filtered, never added to, changed or deleted by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AccessAuditedAdmin(admin.ModelAdmin):
    """A change page that shows data (a record's values, a payload): each showing is an access entry in the
    audit trail, with the person and ``access_what(obj)``."""

    def access_what(self, obj: Any) -> str:
        return f"{obj._meta.verbose_name} {obj}"

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None and request.method == "GET":
            audit_access(
                instance=obj, what=self.access_what(obj), reason="viewed in the admin", actor=request.user,
                event=Event.ACCESSED,
            )  # fmt: skip
        return super().render_change_form(request, context, add, change, form_url, obj)
