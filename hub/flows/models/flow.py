from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse


class Trigger(models.TextChoices):
    INTERVAL = "interval", "Every few minutes"
    CRON = "cron", "On a schedule (cron expression)"
    WEBHOOK = "webhook", "When the source system calls the hub (webhook)"
    API_PUSH = "api_push", "When a partner pushes records through the API"
    MANUAL = "manual", "Only when someone starts it"


class FlowState(models.TextChoices):
    DRAFT = "draft", "Draft: being set up, never runs"
    ACTIVE = "active", "Active: runs on its trigger"
    PAUSED = "paused", "Paused: kept, but does not run"


class Flow(models.Model):
    """Moves one entity from a source system to one or more target systems, for a stated reason."""

    name = models.CharField(
        max_length=150, unique=True, help_text="A short name, e.g. 'New customers to ERP'."
    )
    source = models.ForeignKey(
        "systems.System",
        on_delete=models.PROTECT,
        related_name="flows_out",
        help_text="Where the records come from. It needs an inbound mapping for the entity.",
    )
    entity = models.ForeignKey(
        "catalog.Entity",
        on_delete=models.PROTECT,
        related_name="flows",
        help_text="The kind of record this flow moves, e.g. Customer.",
    )
    targets = models.ManyToManyField(
        "systems.System",
        related_name="flows_in",
        blank=True,
        help_text="Where the records go. Each target needs an outbound mapping for the entity.",
    )
    fields = models.ManyToManyField(
        "catalog.EntityField",
        related_name="flows",
        blank=True,
        help_text="Only the fields this flow needs to carry. Leave empty to carry every field of the entity.",
    )
    business_outcome = models.TextField(
        help_text="Why this flow exists, in business words: e.g. 'Sales sees every new customer in the ERP "
        "before the first order is entered.'"
    )
    freshness_minutes = models.PositiveIntegerField(
        "freshness target (minutes)",
        help_text="How old the data in the targets may get before someone should be alerted.",
    )
    trigger = models.CharField(
        max_length=20, choices=Trigger.choices, default=Trigger.MANUAL, help_text="What starts a run."
    )
    interval_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="For 'every few minutes': how many minutes between runs."
    )
    cron = models.CharField(
        "cron expression",
        max_length=100,
        blank=True,
        help_text="For 'on a schedule': 5 parts, minute hour day month weekday, e.g. '*/15 8-18 * * 1-5'.",
    )
    state = models.CharField(
        max_length=10,
        choices=FlowState.choices,
        default=FlowState.DRAFT,
        help_text="Only active flows run on their trigger; use the Activate and Pause actions in the list.",
    )
    cursor_field = models.CharField(
        "changed-at field",
        max_length=100,
        blank=True,
        help_text="The entity field that says when a record last changed (e.g. updated_at). Runs then ask "
        "the "
        "source only for what changed since the last run. Leave empty to read everything every time.",
    )
    create_in_targets = models.BooleanField(
        "create records in targets",
        default=True,
        help_text="Create records a target does not have yet. Untick to only update records already linked to "
        "it, e.g. for a flow that keeps addresses up to date in a system that has its own customers.",
    )
    webhook_secret = models.TextField(
        blank=True, editable=False, help_text="Encrypted; the key senders sign webhook calls with."
    )
    cursor = models.TextField(blank=True, editable=False, help_text="Where the next run starts reading.")
    max_attempts = models.PositiveIntegerField(
        "delivery attempts",
        default=5,
        help_text="How many times a delivery is tried before it becomes a dead letter for a person.",
    )
    retry_base_seconds = models.PositiveIntegerField(
        "first retry after (seconds)",
        default=5,
        help_text="The wait before the first retry; each later retry waits twice as long (with some jitter).",
    )
    retry_window_seconds = models.PositiveIntegerField(
        "run waits for retries (seconds)",
        default=120,
        help_text="How long a run keeps retrying its deliveries before leaving the rest to the outbox.",
    )
    description = models.TextField(blank=True, help_text="Anything a colleague should know about this flow.")
    next_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(trigger=Trigger.INTERVAL) | Q(interval_minutes__gte=1),
                name="flow_interval_has_minutes",
                violation_error_message="A flow that runs every few minutes needs the number of minutes.",
            ),
            models.CheckConstraint(
                condition=~Q(trigger=Trigger.CRON) | ~Q(cron=""),
                name="flow_cron_has_expression",
                violation_error_message="A scheduled flow needs a cron expression.",
            ),
            models.CheckConstraint(
                condition=Q(freshness_minutes__gte=1),
                name="flow_freshness_positive",
                violation_error_message="The freshness target must be at least one minute.",
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1),
                name="flow_at_least_one_attempt",
                violation_error_message="A delivery needs at least one attempt.",
            ),
            models.CheckConstraint(
                condition=~Q(business_outcome=""),
                name="flow_outcome_stated",
                violation_error_message="Say which business outcome this flow serves.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:flows_flow_change", args=[self.pk])
