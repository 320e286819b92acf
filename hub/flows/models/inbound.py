from __future__ import annotations

from django.db import models
from django.db.models import Q


class InboundState(models.TextChoices):
    PENDING = "pending", "Stored, waiting for a run"
    PROCESSED = "processed", "Processed by a run"


class InboundBatch(models.Model):
    """Records pushed to the hub (a webhook call, an API push), stored before the sender gets its answer."""

    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="inbound_batches")
    origin = models.CharField(max_length=20, help_text="webhook or api")
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - unique when given
    records = models.JSONField()
    record_count = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=InboundState.choices, default=InboundState.PENDING)
    run = models.ForeignKey("flows.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    page = models.PositiveIntegerField(
        null=True, blank=True, help_text="The page of its run this batch became (its records' outcomes)."
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["flow", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="inbound_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.origin} batch {self.pk} of {self.flow} ({self.record_count} records)"
