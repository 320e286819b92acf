from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from hub.admin_actions import confirmation_page, confirmed
from hub.catalog.models import EntityField
from hub.flows.inbound import SIGNATURE_HEADER, webhook_secret_set
from hub.flows.models import Flow, FlowState, Run, RunState, Trigger
from hub.flows.runs import run_request
from hub.flows.schedule import cron_describe
from hub.flows.services import FlowError, flow_errors, flow_state_set


class FlowForm(forms.ModelForm):
    class Meta:
        model = Flow
        fields = [
            "name", "state", "description", "business_outcome", "freshness_minutes", "entity", "source",
            "targets", "fields", "trigger", "interval_minutes", "cron", "cursor_field", "create_in_targets",
            "max_attempts", "retry_base_seconds", "retry_window_seconds",
        ]  # fmt: skip
        widgets = {
            "business_outcome": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if "fields" in self.fields:  # a view-only form has none
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
            cursor_field=cleaned.get("cursor_field", ""),
        )
        for name, message in errors.items():
            self.add_error(name, message)
        return cleaned


@admin.action(description="Make a new webhook secret for the selected flows", permissions=["change"])
def new_webhook_secret(modeladmin: FlowAdmin, request: HttpRequest, queryset: QuerySet[Flow]) -> Any:
    if not confirmed(request):
        return confirmation_page(
            modeladmin, request, queryset, title="New webhook secrets",
            explanation="Each flow gets a new secret, shown once on the next page: give it to the sender. "
            "Calls signed with the old secret are refused from now on.",
            confirm_label="Yes, make new secrets",
        )  # fmt: skip
    for flow in queryset:
        secret = webhook_secret_set(flow=flow)
        url = request.build_absolute_uri(reverse("flow_webhook", args=[flow.pk]))
        modeladmin.message_user(
            request,
            f"{flow.name}: POST to {url}, signed in the {SIGNATURE_HEADER} header as sha256=HMAC(secret, body). "
            f"The secret, shown this once: {secret}",
        )
    return None


@admin.action(description="Run the selected flows now", permissions=["change"])
def run_now(modeladmin: FlowAdmin, request: HttpRequest, queryset: QuerySet[Flow]) -> None:
    for flow in queryset:
        run, created = run_request(flow=flow, trigger="manual", actor=request.user)
        url = reverse("admin:flows_run_change", args=[run.pk])
        verb = "started" if created else f"is already {run.state}"
        modeladmin.message_user(
            request, format_html('{}: <a href="{}">run {}</a> {}.', flow.name, url, run.pk, verb)
        )


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
    list_display = [
        "name", "entity", "source", "target_names", "schedule", "freshness_minutes", "state", "last_run",
    ]  # fmt: skip
    list_filter = ["state", "trigger", "entity", "source"]
    list_select_related = ["entity", "source"]
    search_fields = ["name", "business_outcome", "description"]
    filter_horizontal = ["targets", "fields"]
    actions = [
        run_now, _set_state(FlowState.ACTIVE, "activate"), _set_state(FlowState.PAUSED, "pause"), new_webhook_secret,
    ]  # fmt: skip
    change_form_template = "admin/flows/flow/change_form.html"
    fieldsets = [
        (None, {"fields": ["name", "state", "description"]}),
        ("Why it exists", {"fields": ["business_outcome", "freshness_minutes"]}),
        ("What moves where", {"fields": ["entity", "source", "targets", "fields"]}),
        ("When it runs", {"fields": ["trigger", "interval_minutes", "cron", "cursor_field"]}),
        (
            "How it delivers",
            {"fields": ["create_in_targets", "max_attempts", "retry_base_seconds", "retry_window_seconds"]},
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Flow]:
        latest = Run.objects.filter(flow=OuterRef("pk")).order_by("-queued_at", "-pk")
        return (
            super()
            .get_queryset(request)
            .prefetch_related("targets")
            .annotate(
                last_run_state=Subquery(latest.values("state")[:1]),
                last_run_id=Subquery(latest.values("pk")[:1]),
            )
        )

    @admin.display(description="last run")
    def last_run(self, obj: Flow) -> str:
        run_id = getattr(obj, "last_run_id", None)
        if run_id is None:
            return "never run"
        url = reverse("admin:flows_run_change", args=[run_id])
        return format_html('<a href="{}">{}</a>', url, RunState(obj.last_run_state).label.split(":")[0])  # type: ignore[attr-defined]

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.run_now_view)
        return [path("<int:object_id>/run-now/", view, name="flows_flow_run_now"), *super().get_urls()]

    def run_now_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        flow = get_object_or_404(Flow, pk=object_id)
        if request.method == "POST" and self.has_change_permission(request, flow):
            run_now(self, request, Flow.objects.filter(pk=flow.pk))
        return HttpResponseRedirect(reverse("admin:flows_flow_change", args=[object_id]))

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
