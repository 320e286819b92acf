"""Runs, what happened to each record, and quarantined records. Histories are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from hub.admin_actions import ReadOnlyAdmin, confirmation_page, confirmed
from hub.flows.models import Quarantined, QuarantineState, RecordOutcome, Run, RunState
from hub.flows.quarantine import QuarantineError, quarantine_check, quarantine_reject, quarantine_resubmit


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "flow", "state", "trigger", "queued_at", "duration", "fetched", "created", "updated",
        "unchanged", "quarantined", "conflicts", "failed", "dead_lettered", "balanced",
    ]  # fmt: skip
    list_filter = ["state", "trigger", "flow"]
    list_select_related = ["flow"]
    search_fields = ["flow__name", "error"]
    date_hierarchy = "queued_at"
    fieldsets = [
        (None, {"fields": ["flow", "state", "trigger", "requested_by", "worker", "executions", "error"]}),
        ("Every record accounted for", {"fields": ["reconciliation", "outcome_links"]}),
        ("Timing", {"fields": ["queued_at", "started_at", "finished_at", "heartbeat_at", "pages"]}),
        ("Reading position", {"fields": ["since", "cursor_after", "versions"]}),
        ("Log", {"fields": ["log"]}),
    ]
    readonly_fields = [
        "flow", "state", "trigger", "requested_by", "worker", "executions", "error", "reconciliation",
        "outcome_links", "queued_at", "started_at", "finished_at", "heartbeat_at", "pages", "since",
        "cursor_after", "versions", "log",
    ]  # fmt: skip

    @admin.display(description="time")
    def duration(self, obj: Run) -> str:
        if obj.started_at is None:
            return "—"
        end = obj.finished_at or obj.heartbeat_at or obj.started_at
        return f"{(end - obj.started_at).total_seconds():.1f} s"

    @admin.display(description="adds up", boolean=True)
    def balanced(self, obj: Run) -> bool | None:
        if obj.state in (RunState.QUEUED, RunState.RUNNING):
            return None
        return obj.state != RunState.FAILED and obj.accounted == obj.fetched

    @admin.display(description="reconciliation")
    def reconciliation(self, obj: Run) -> str:
        parts = (
            f"{obj.created} created + {obj.updated} updated + {obj.unchanged} unchanged + "
            f"{obj.quarantined} quarantined + {obj.conflicts} conflicts + {obj.failed} failed + "
            f"{obj.dead_lettered} dead-lettered = {obj.accounted}"
        )
        verdict = "adds up" if obj.accounted == obj.fetched else "DOES NOT ADD UP"
        return f"{obj.fetched} fetched; {parts}: {verdict}."

    @admin.display(description="records")
    def outcome_links(self, obj: Run) -> str:
        base = reverse("admin:flows_recordoutcome_changelist")
        return format_html('<a href="{}?run__id__exact={}">What happened to each record</a>', base, obj.pk)

    @admin.display(description="mapping versions used")
    def versions(self, obj: Run) -> str:
        return (
            ", ".join(f"{system} v{number}" for system, number in sorted(obj.mapping_versions.items())) or "—"
        )


@admin.register(RecordOutcome)
class RecordOutcomeAdmin(ReadOnlyAdmin):
    list_display = ["external_id", "outcome", "reason", "system", "page", "run", "record_link"]
    list_filter = ["outcome", "system", "run__flow"]
    list_select_related = ["system", "run__flow"]
    search_fields = ["external_id", "reason"]
    raw_id_fields = ["run", "record"]

    @admin.display(description="canonical record")
    def record_link(self, obj: RecordOutcome) -> str:
        if obj.record_id is None:
            return "—"
        url = reverse("admin:catalog_record_change", args=[obj.record_id])
        return format_html('<a href="{}">record {}</a>', url, obj.record_id)


class QuarantineForm(forms.ModelForm):
    """One field per canonical field, pre-filled with what could be mapped, for a person to correct."""

    class Meta:
        model = Quarantined
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        entity = self.instance.flow.entity if self.instance.pk else None
        for field in entity.fields.order_by("position", "pk") if entity else []:
            current = (self.instance.values or {}).get(field.name)
            self.fields[f"value__{field.name}"] = forms.CharField(
                label=field.label or field.name,
                required=False,
                initial="" if current is None else str(current),
                help_text=" ".join((self.instance.errors or {}).get(field.name, [])) or field.help,
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk and self.instance.state == QuarantineState.OPEN:
            _, errors = quarantine_check(item=self.instance, values=self.corrected_values())
            for name, messages_ in errors.items():
                field = f"value__{name}"
                self.add_error(field if field in self.fields else None, " ".join(messages_))
        return cleaned

    def corrected_values(self) -> dict[str, Any]:
        return {
            name.removeprefix("value__"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("value__") and value != ""
        }


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=300, help_text="Why these records are rejected (kept in their history)."
    )


@admin.action(description="Reject the selected quarantined records", permissions=["change"])
def reject(modeladmin: QuarantinedAdmin, request: HttpRequest, queryset: QuerySet[Quarantined]) -> Any:
    form = RejectForm(request.POST if confirmed(request) else None)
    if not (confirmed(request) and form.is_valid()):
        return confirmation_page(
            modeladmin, request, queryset, title="Reject quarantined records",
            explanation="Rejected records are not processed; they stay here with your reason.",
            confirm_label="Yes, reject", form=form,
        )  # fmt: skip
    for item in queryset:
        quarantine_reject(item=item, reason=form.cleaned_data["reason"], actor=request.user)
    modeladmin.message_user(request, f"{queryset.count()} record(s) rejected.")
    return None


@admin.register(Quarantined)
class QuarantinedAdmin(admin.ModelAdmin):
    form = QuarantineForm
    list_display = ["external_id", "system", "flow", "state", "problems", "updated_at"]
    list_filter = ["state", "flow", "system"]
    list_select_related = ["system", "flow"]
    search_fields = ["external_id", "reason"]
    actions = [reject]
    readonly_fields = ["flow", "system", "external_id", "state", "problems", "source_payload", "reason"]
    fieldsets = [(None, {"fields": list(readonly_fields)})]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or obj.state != QuarantineState.OPEN or not self.has_change_permission(request, obj):
            return self.fieldsets
        names = [f"value__{f.name}" for f in obj.flow.entity.fields.order_by("position", "pk")]
        return [
            *self.fieldsets,
            ("Correct the values, then save to resubmit", {"fields": names}),
        ]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        # The value__* correction fields are the form's own (QuarantineForm adds one per entity field), not
        # the model's: only the model's fields go to the form factory.
        kwargs["fields"] = []
        return super().get_form(request, obj, change=change, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="what is wrong")
    def problems(self, obj: Quarantined) -> str:
        return format_html_join(
            "",
            "<div><strong>{}</strong>: {}</div>",
            ((k, " ".join(v)) for k, v in (obj.errors or {}).items()),
        )

    @admin.display(description="as the system sent it")
    def source_payload(self, obj: Quarantined) -> str:
        import json

        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    def save_model(self, request: HttpRequest, obj: Quarantined, form: Any, change: bool) -> None:
        if obj.state != QuarantineState.OPEN:
            return
        try:
            run = quarantine_resubmit(item=obj, values=form.corrected_values(), actor=request.user)
        except QuarantineError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(
            request, f"{obj.external_id} resubmitted: run {run.pk} of {obj.flow.name} takes it."
        )
