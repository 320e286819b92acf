from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    UNBALANCED = "unbalanced", "Counts do not add up"
    FAILED = "failed", "Failed"


ACTIVE_RUN_STATES = (RunState.QUEUED, RunState.RUNNING)
# The trigger of a run that takes in entries typed into the fallback form (and calls no source).
FALLBACK_TRIGGER = "fallback form"


class Run(models.Model):
    """One execution of a flow: claimed atomically, with counts, timings and per-record outcomes."""

    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="runs")
    state = models.CharField(
        max_length=12,
        choices=RunState.choices,
        default=RunState.QUEUED,
        help_text="Succeeded: every fetched record has exactly one outcome. Counts do not add up: some record "
        "is not accounted for (see the error). Failed: the run could not finish (see the error).",
    )
    trigger = models.CharField(max_length=20, help_text="What started it: schedule, manual, webhook, api.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    worker = models.CharField(max_length=200, blank=True, help_text="The worker that holds the run.")
    executions = models.PositiveIntegerField(default=0, help_text="How many times a worker started it.")
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    since = models.TextField(blank=True, help_text="The cursor the run started reading from.")
    cursor_after = models.TextField(blank=True)
    mapping_versions = models.JSONField(default=dict, help_text="The mapping version used per system.")
    pages = models.PositiveIntegerField(default=0)
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    quarantined = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    dead_lettered = models.PositiveIntegerField(default=0)
    log = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-queued_at", "-pk"]
        constraints = [
            # Two ticks, two schedulers or a double click start one run, not two.
            models.UniqueConstraint(
                fields=["flow"],
                condition=Q(state__in=["queued", "running"]),
                name="run_one_active_per_flow",
                violation_error_message="This flow already has a run queued or running.",
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.flow}"

    def get_absolute_url(self) -> str:
        return reverse("admin:flows_run_change", args=[self.pk])

    @property
    def accounted(self) -> int:
        return (
            self.created
            + self.updated
            + self.unchanged
            + self.quarantined
            + self.conflicts
            + self.failed
            + self.dead_lettered
        )


class Outcome(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    UNCHANGED = "unchanged", "Unchanged"
    QUARANTINED = "quarantined", "Quarantined: failed validation"
    CONFLICT = "conflict", "Conflict: a non-authoritative system disagrees"
    FAILED = "failed", "Not delivered yet: the outbox keeps retrying"
    DEAD_LETTERED = "dead_lettered", "Dead-lettered: a person must replay or discard it"


class RecordOutcome(models.Model):
    """What happened to one fetched record in one run, and why."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="outcomes")
    system = models.ForeignKey("systems.System", on_delete=models.PROTECT, related_name="+")
    external_id = models.CharField(max_length=300)
    page = models.PositiveIntegerField()
    outcome = models.CharField(max_length=15, choices=Outcome.choices)
    record = models.ForeignKey(
        "catalog.Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="outcomes"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "page", "pk"]
        constraints = [
            # Once per page: a page written again (a run resumed after its worker died) adds nothing, while
            # a record sent twice in one run (two pushes, or on two pages) gets an outcome each time.
            models.UniqueConstraint(
                fields=["run", "system", "external_id", "page"], name="outcome_once_per_page"
            ),
        ]
        indexes = [models.Index(fields=["run", "outcome"])]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.outcome}"


class QuarantineState(models.TextChoices):
    OPEN = "open", "Waiting for a person"
    RESUBMITTED = "resubmitted", "Corrected: waiting for the next run"
    APPLIED = "applied", "Corrected and processed"
    REJECTED = "rejected", "Rejected"


class Quarantined(models.Model):
    """A fetched record that failed validation, kept with its payload and the reason per field."""

    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="quarantined")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    system = models.ForeignKey("systems.System", on_delete=models.PROTECT, related_name="+")
    external_id = models.CharField(max_length=300)
    page = models.PositiveIntegerField(default=0)
    payload = models.JSONField(help_text="The record as the system sent it.")
    values = models.JSONField(
        default=dict, help_text="The values after mapping, as far as they could be mapped."
    )
    errors = models.JSONField(default=dict, help_text="What is wrong, by field.")
    state = models.CharField(max_length=12, choices=QuarantineState.choices, default=QuarantineState.OPEN)
    reason = models.CharField(
        max_length=300, blank=True, help_text="Why it was rejected or how it was fixed."
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "quarantined record"
        constraints = [
            models.UniqueConstraint(
                fields=["flow", "system", "external_id"],
                condition=Q(state="open"),
                name="quarantine_one_open_per_record",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system.name}:{self.external_id}"
