from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting to be delivered"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead letter: retries exhausted or refused"
    DISCARDED = "discarded", "Discarded by a person"


class Delivery(models.Model):
    """One record's content for one target: the outbox row. Delivered once, thanks to its idempotency key."""

    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="deliveries")
    run = models.ForeignKey(
        "flows.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    record = models.ForeignKey("catalog.Record", on_delete=models.CASCADE, related_name="deliveries")
    target = models.ForeignKey("systems.System", on_delete=models.PROTECT, related_name="deliveries")
    idempotency_key = models.CharField(
        max_length=64,
        unique=True,
        help_text="Derived from flow, record, target and content: sent with the push.",
    )
    content_hash = models.CharField(max_length=64)
    payload = models.JSONField(help_text="What is sent, after the outbound mapping.")
    external_id = models.CharField(max_length=300, blank=True, help_text="The record's id in the target.")
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    permanent_error = models.BooleanField(default=False)
    batch_key = models.CharField(
        max_length=32,
        blank=True,
        editable=False,
        help_text="The batch it was first sent in; retried together.",
    )
    claim_token = models.CharField(
        max_length=32, blank=True, editable=False, help_text="Which worker is pushing it right now."
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    discard_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            # A flow's waiting deliveries in id order (SQLite appends the rowid: no sort, no scan of the
            # delivered ones).
            models.Index(fields=["flow", "state"], name="delivery_flow_due"),
            models.Index(fields=["run", "state"]),
            # "Is an earlier delivery of this record to this target still waiting?" (delivery order)
            models.Index(fields=["record", "target", "state"], name="delivery_order"),
        ]

    def __str__(self) -> str:
        return f"{self.record} → {self.target.name}"


class DeadLetterManager(models.Manager["DeadLetter"]):
    def get_queryset(self) -> models.QuerySet[DeadLetter]:
        return super().get_queryset().filter(state=DeliveryState.DEAD)


class DeadLetter(Delivery):
    """A delivery that could not be made: kept with its payload, error and attempts until replayed."""

    objects: ClassVar[DeadLetterManager] = DeadLetterManager()

    class Meta:
        proxy = True
        ordering = ["-updated_at"]


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    ok = models.BooleanField()
    error = models.TextField(blank=True)
    permanent = models.BooleanField(default=False)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.FloatField()

    class Meta:
        ordering = ["delivery", "at"]
        constraints = [
            models.CheckConstraint(condition=Q(duration_ms__gte=0), name="attempt_duration_positive")
        ]

    def __str__(self) -> str:
        return f"attempt at {self.at:%Y-%m-%d %H:%M:%S}: {'ok' if self.ok else self.error[:60]}"
