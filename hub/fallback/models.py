"""Records people type in by hand while a link is down (the fallback form).

An entry is stored the moment it is saved, then goes through the same matching and source-of-truth rules
as any record, in a run of its flow (trigger "fallback form"), and from there to the flow's targets
through the outbox. Its values in the catalog are marked provisional and name who typed them; when the
authoritative system sends its own version, that version is matched to the same record (by natural key),
wins, and every value that differs from what was typed is shown to a person as a conflict.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class EntryState(models.TextChoices):
    WAITING = "waiting", "Waiting: stored, not yet in the hub's records"
    RECORDED = "recorded", "Recorded: in the hub's records, delivered as the targets allow"
    INVALID = "invalid", "Needs correcting: it no longer fits the entity's rules"
    RECONCILED = "reconciled", "Reconciled: the authoritative system sent its own version"


class ManualEntry(models.Model):
    flow = models.ForeignKey("flows.Flow", on_delete=models.PROTECT, related_name="manual_entries")
    values = models.JSONField(help_text="The canonical values as typed (after the entity's checks).")
    state = models.CharField(max_length=12, choices=EntryState.choices, default=EntryState.WAITING)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="manual_entries"
    )
    entered_at = models.DateTimeField(auto_now_add=True)
    # The form's one-time key: a double click or a browser retry of the same form stores one entry.
    submission_key = models.CharField(max_length=64, unique=True, editable=False)
    version = models.PositiveIntegerField(default=1, help_text="Raised by each correction.")
    processed_version = models.PositiveIntegerField(
        default=0, help_text="The version the hub's records hold (0: none yet)."
    )
    record = models.ForeignKey(
        "catalog.Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="manual_entries"
    )
    run = models.ForeignKey(
        "flows.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="manual_entries",
        help_text="The run that last took it into the hub's records.",
    )  # fmt: skip
    problems = models.JSONField(default=dict, blank=True, help_text="Why it needs correcting, by field.")
    reconciled_at = models.DateTimeField(null=True, blank=True)
    reconciled_with = models.CharField(
        max_length=300, blank=True, help_text="The authoritative system's id for the same record."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-entered_at", "-pk"]
        verbose_name_plural = "manual entries"
        indexes = [models.Index(fields=["flow", "state"]), models.Index(fields=["entered_by", "-entered_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_version__lte=models.F("version")), name="entry_processed_not_ahead"
            ),
        ]

    def __str__(self) -> str:
        return f"manual entry {self.pk} for {self.flow.name}"

    @property
    def external_id(self) -> str:
        """Its id as the manual-entry system's (cross-references, outcomes)."""
        return f"entry-{self.pk}"
