"""The confirmation page shared by admin actions that change data (Django's own delete-selected pattern)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse


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
