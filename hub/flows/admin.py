from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from hub.admin_actions import confirmation_page, confirmed
from hub.catalog.models import EntityField
from hub.flows.models import Flow, FlowState, Trigger
from hub.flows.schedule import cron_describe
from hub.flows.services import FlowError, flow_errors, flow_state_set


class FlowForm(forms.ModelForm):
    class Meta:
        model = Flow
        fields = [
            "name", "state", "description", "business_outcome", "freshness_minutes", "entity", "source",
            "targets", "fields", "trigger", "interval_minutes", "cron",
        ]  # fmt: skip
        widgets = {
            "business_outcome": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["fields"].queryset = EntityField.objects.select_related("entity")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        errors = flow_errors(
            source=cleaned.get("source"),
            entity=cleaned.get("entity"),
            targets=cleaned.get("targets") or [],
            fields=cleaned.get("fields") or [],
            trigger=cleaned.get("trigger", ""),
            interval_minutes=cleaned.get("interval_minutes"),
            cron=cleaned.get("cron", ""),
        )
        for name, message in errors.items():
            self.add_error(name, message)
        return cleaned


def _set_state(state: str, verb: str) -> Any:
    def action(modeladmin: FlowAdmin, request: HttpRequest, queryset: QuerySet[Flow]) -> Any:
        if not confirmed(request):
            return confirmation_page(
                modeladmin, request, queryset,
                title=f"{verb.capitalize()} flows",
                explanation=f"These flows will be set to '{FlowState(state).label}'.",
                confirm_label=f"Yes, {verb}",
            )  # fmt: skip
        for flow in queryset.select_related("source", "entity"):
            try:
                flow_state_set(flow=flow, state=state)
            except FlowError as error:
                modeladmin.message_user(request, str(error), messages.ERROR)
            else:
                modeladmin.message_user(request, f"{flow.name}: {FlowState(state).label}.")
        return None

    action.__name__ = f"flows_{verb}"
    return admin.action(description=f"{verb.capitalize()} the selected flows", permissions=["change"])(action)


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    form = FlowForm
    list_display = ["name", "entity", "source", "target_names", "schedule", "freshness_minutes", "state"]
    list_filter = ["state", "trigger", "entity", "source"]
    list_select_related = ["entity", "source"]
    search_fields = ["name", "business_outcome", "description"]
    filter_horizontal = ["targets", "fields"]
    actions = [_set_state(FlowState.ACTIVE, "activate"), _set_state(FlowState.PAUSED, "pause")]
    fieldsets = [
        (None, {"fields": ["name", "state", "description"]}),
        ("Why it exists", {"fields": ["business_outcome", "freshness_minutes"]}),
        ("What moves where", {"fields": ["entity", "source", "targets", "fields"]}),
        ("When it runs", {"fields": ["trigger", "interval_minutes", "cron"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Flow]:
        return super().get_queryset(request).prefetch_related("targets")

    @admin.display(description="targets")
    def target_names(self, obj: Flow) -> str:
        return ", ".join(sorted(t.name for t in obj.targets.all())) or "—"

    @admin.display(description="runs", ordering="trigger")
    def schedule(self, obj: Flow) -> str:
        if obj.trigger == Trigger.INTERVAL:
            return f"every {obj.interval_minutes} min"
        if obj.trigger == Trigger.CRON:
            return cron_describe(obj.cron)
        return str(Trigger(obj.trigger).label)
