from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from connectors.registry import kind_choices


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    STAGING = "staging", "Staging / test copy"
    DEVELOPMENT = "development", "Development"


class SystemStatus(models.TextChoices):
    ACTIVE = "active", "Active: flows may use it"
    MAINTENANCE = "maintenance", "In maintenance: flows wait"
    RETIRED = "retired", "Retired: kept for history only"


class System(models.Model):
    """An external application the hub talks to through one connector kind."""

    name = models.CharField(
        max_length=100,
        unique=True,
        help_text="The name people use for this system, e.g. 'Salesforce CRM' or 'SAP ERP'.",
    )
    kind = models.CharField(
        max_length=50,
        choices=kind_choices,
        help_text="How the hub talks to it. The connection settings below depend on this choice.",
    )
    description = models.TextField(
        blank=True, help_text="What this system is used for, in a sentence or two."
    )
    owner_team = models.CharField(
        "owning team", max_length=100, blank=True, help_text="The team responsible for this system."
    )
    contact = models.EmailField(blank=True, help_text="Who to write to when the link to this system breaks.")
    environment = models.CharField(
        max_length=20,
        choices=Environment.choices,
        default=Environment.PRODUCTION,
        help_text="Which copy of the system this is, so a test copy is never mistaken for the real one.",
    )
    status = models.CharField(
        max_length=20,
        choices=SystemStatus.choices,
        default=SystemStatus.ACTIVE,
        help_text="Whether flows may use this system now.",
    )
    read_only = models.BooleanField(
        "read only",
        default=False,
        help_text="The hub only reads from this system; it never writes to it.",
    )
    params = models.JSONField(
        "connection settings",
        default=dict,
        blank=True,
        help_text="Non-secret connection settings, edited through the form fields of the system's kind.",
    )
    last_probe_at = models.DateTimeField("last connection test", null=True, blank=True, editable=False)
    last_probe_ok = models.BooleanField("last test passed", null=True, editable=False)
    last_probe_message = models.CharField(max_length=500, blank=True, editable=False)
    breaker_failures = models.PositiveIntegerField(
        "failures before the link is marked down",
        default=3,
        help_text="After this many failed calls in a row, the hub marks the link down and stops calling the "
        "system; deliveries wait in the outbox until a connection test succeeds.",
    )
    breaker_pause_seconds = models.PositiveIntegerField(
        "wait before testing a down link (seconds)",
        default=60,
        help_text="How long the hub leaves a down link alone before testing it again. Each failed test "
        "doubles the wait, up to 5 minutes.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="system_name_not_empty"),
            models.CheckConstraint(
                condition=models.Q(breaker_failures__gte=1),
                name="system_breaker_at_least_one_failure",
                violation_error_message="A link is marked down after at least one failed call.",
            ),
            models.CheckConstraint(
                condition=models.Q(breaker_pause_seconds__gte=1),
                name="system_breaker_pause_positive",
                violation_error_message="The wait before testing a down link must be at least a second.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:systems_system_change", args=[self.pk])


class Secret(models.Model):
    """One secret connection parameter of a system, encrypted at rest, never shown again once saved."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="secrets")
    name = models.CharField(max_length=100, help_text="Which secret parameter of the system's kind this is.")
    ciphertext = models.TextField(editable=False)
    set_at = models.DateTimeField(editable=False)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["system__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["system", "name"], name="secret_unique_per_system"),
            models.CheckConstraint(condition=~models.Q(ciphertext=""), name="secret_ciphertext_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.system.name}: {self.name}"


class LinkState(models.TextChoices):
    UP = "up", "Up"
    DEGRADED = "degraded", "Degraded: recent calls failed"
    DOWN = "down", "Down: calls paused until a test succeeds"


class Link(models.Model):
    """The hub's link to one system, kept current from connection tests and from every push and fetch.

    A circuit breaker: failed calls in a row make the link degraded, then down (``System.breaker_failures``).
    While it is down nobody calls the system; the tick tests it when ``retry_at`` comes, and a successful
    test or call brings it up again. One row per system, changed only under its row lock
    (``hub.systems.links``), so that many workers reporting at once count every failure once.
    """

    system = models.OneToOneField(System, on_delete=models.CASCADE, primary_key=True, related_name="link")
    state = models.CharField(max_length=10, choices=LinkState.choices, default=LinkState.UP)
    since = models.DateTimeField(help_text="When the link entered its current state.")
    failures = models.PositiveIntegerField(default=0, help_text="Failed calls in a row.")
    last_error = models.CharField(max_length=500, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="While down: when the link is tested again."
    )
    pause_seconds = models.PositiveIntegerField(
        default=0, help_text="While down: the wait before the next test (doubles after each failed test)."
    )

    class Meta:
        ordering = ["system__name"]

    def __str__(self) -> str:
        return f"link to {self.system.name}: {self.get_state_display()}"
