"""Manual entries in the admin: a read-only history for reviewers and admins. Operators type and correct
entries on their own pages (/operations/), which check that an entry is theirs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from hub.fallback.models import ManualEntry


@admin.register(ManualEntry)
class ManualEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "flow", "entered_by", "entered_at", "state", "version", "record", "reconciled_with"]
    list_filter = ["state", "flow"]
    list_select_related = ["flow", "entered_by", "record", "record__entity"]
    search_fields = ["reconciled_with", "entered_by__username"]
    date_hierarchy = "entered_at"
    readonly_fields = [
        "flow", "entered_by", "entered_at", "state", "values", "version", "processed_version", "record", "run",
        "problems", "reconciled_at", "reconciled_with", "operator_page",
    ]  # fmt: skip

    @admin.display(description="operator's page")
    def operator_page(self, obj: ManualEntry) -> str:
        url = reverse("fallback:entry", args=[obj.pk])
        return format_html('<a href="{}">entry {} with its delivery state</a>', url, obj.pk)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
