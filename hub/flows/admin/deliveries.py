"""The outbox and its dead letters: what was sent where, every attempt, and replay or discard."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from hub.admin_actions import AccessAuditedAdmin, ReadOnlyAdmin, ReadOnlyInline, confirmation_page, confirmed
from hub.flows.engine.context import RunSetupError
from hub.flows.models import DeadLetter, Delivery, DeliveryAttempt
from hub.flows.outbox import dead_letter_discard, dead_letter_replay


class AttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ["at", "ok", "status_code", "duration_ms", "permanent", "error"]


class DeliveryAdminBase(AccessAuditedAdmin, ReadOnlyAdmin):
    list_display = ["id", "record", "target", "flow", "state", "attempts", "next_attempt_at", "short_error"]
    list_filter = ["state", "target", "flow"]
    list_select_related = ["record__entity", "target", "flow"]
    search_fields = ["idempotency_key", "external_id", "last_error", "record__natural_key"]
    inlines = [AttemptInline]
    fields = [
        "flow", "run", "record", "target", "state", "external_id", "idempotency_key", "attempts",
        "next_attempt_at", "last_error", "permanent_error", "delivered_at", "discard_reason", "sent_payload",
    ]  # fmt: skip
    readonly_fields = [
        "flow", "run", "record", "target", "state", "external_id", "idempotency_key", "attempts",
        "next_attempt_at", "last_error", "permanent_error", "delivered_at", "discard_reason", "sent_payload",
    ]  # fmt: skip

    @admin.display(description="last error")
    def short_error(self, obj: Delivery) -> str:
        return obj.last_error[:120]

    @admin.display(description="payload")
    def sent_payload(self, obj: Delivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    def access_what(self, obj: Delivery) -> str:
        return f"payload of {obj._meta.verbose_name} {obj.pk}"


@admin.register(Delivery)
class DeliveryAdmin(DeliveryAdminBase):
    """The outbox, as it is: read-only."""


class DiscardForm(forms.Form):
    reason = forms.CharField(max_length=250, help_text="Why these records will not be delivered.")


@admin.action(description="Replay the selected dead letters", permissions=["replay"])
def replay(modeladmin: DeadLetterAdmin, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> Any:
    if not confirmed(request):
        return confirmation_page(
            modeladmin, request, queryset, title="Replay dead letters",
            explanation="Each is mapped again with the current published mapping and delivered by the outbox, "
            "once: the target recognises a repeat by its idempotency key.",
            confirm_label="Yes, replay",
        )  # fmt: skip
    done = 0
    for letter in queryset.select_related("flow__entity", "record", "target"):
        try:
            dead_letter_replay(delivery=letter, actor=request.user)
            done += 1
        except RunSetupError as error:
            modeladmin.message_user(request, f"{letter}: {error}", messages.ERROR)
    modeladmin.message_user(request, f"{done} dead letter(s) queued for delivery.")
    return None


@admin.action(description="Discard the selected dead letters", permissions=["replay"])
def discard(modeladmin: DeadLetterAdmin, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> Any:
    form = DiscardForm(request.POST if confirmed(request) else None)
    if not (confirmed(request) and form.is_valid()):
        return confirmation_page(
            modeladmin, request, queryset, title="Discard dead letters",
            explanation="They will not be delivered; they stay in the outbox with your reason.",
            confirm_label="Yes, discard", form=form,
        )  # fmt: skip
    for letter in queryset:
        dead_letter_discard(delivery=letter, reason=form.cleaned_data["reason"], actor=request.user)
    modeladmin.message_user(request, f"{queryset.count()} dead letter(s) discarded.")
    return None


@admin.register(DeadLetter)
class DeadLetterAdmin(DeliveryAdminBase):
    actions = [replay, discard]
    list_display = ["id", "record", "target", "flow", "attempts", "updated_at", "short_error"]

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("flows.change_delivery")
