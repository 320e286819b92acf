"""Partners, their API keys and what each key may do.

Keys: a small model of ours (prefix + hash), with djangorestframework-api-key's ``KeyGenerator`` making and
checking them (random prefix and secret, SHA-512 of a high-entropy key, constant-time comparison).
The library's own ``AbstractAPIKey`` does not fit: its primary key is ``prefix.hash``, so the hash would
travel into admin URLs, foreign keys, audit entries and pages; and it has none of scopes, IP ranges, rate
limit or last use, which we would add anyway. Its permission class does not authenticate (``request.user``
stays anonymous), so we need our own authentication class in any case.
"""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """One address or range per line (203.0.113.7, 203.0.113.0/24, 2001:db8::/32)."""
    networks = []
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.strip()
        if not value:
            continue
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ValidationError(
                f"Line {number}: '{value}' is not an address or a range such as 203.0.113.0/24."
            ) from None
    return networks


def networks_validator(text: str) -> None:
    parse_networks(text)


class Partner(models.Model):
    """A company or team outside that uses the REST API with keys of its own."""

    name = models.CharField(
        max_length=150, unique=True, help_text="The partner's name, e.g. 'Acme Logistics'."
    )
    contact = models.EmailField(blank=True, help_text="Whom to write to about this partner's integration.")
    description = models.TextField(blank=True, help_text="What the partner uses the API for.")
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Untick to stop every key of this partner at once, without revoking them.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:api_partner_change", args=[self.pk])


class ApiKey(models.Model):
    """A partner's key: stored hashed; shown once when created, then only its prefix."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="keys")
    name = models.CharField(
        max_length=100, help_text="What this key is for, e.g. 'Order push from Acme's warehouse'."
    )
    prefix = models.CharField(
        max_length=16,
        unique=True,
        editable=False,
        help_text="The start of the key, to recognise it; the rest is never stored.",
    )
    hashed_key = models.CharField(max_length=200, editable=False)
    expires_at = models.DateTimeField(
        "expires",
        null=True,
        blank=True,
        help_text="From this moment the key no longer works. Leave empty for a key that does not expire.",
    )
    revoked_at = models.DateTimeField(
        "revoked", null=True, blank=True, editable=False, help_text="When the key was revoked, for good."
    )
    allowed_networks = models.TextField(
        "allowed addresses",
        blank=True,
        validators=[networks_validator],
        help_text="Only calls from these addresses are accepted: one address or range per line, e.g. "
        "203.0.113.0/24. Leave empty to accept calls from anywhere.",
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        "calls per minute",
        default=600,
        help_text="How many calls a minute the key may make; more are refused until the minute has passed.",
    )
    dead_letters_read = models.BooleanField(
        "may see dead letters",
        default=False,
        help_text="See the records of its flows that could not be delivered.",
    )
    dead_letters_replay = models.BooleanField(
        "may replay dead letters",
        default=False,
        help_text="Send those records again. Needs 'may see dead letters'.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(
        "last used", null=True, blank=True, editable=False, help_text="To the minute."
    )
    last_used_from = models.GenericIPAddressField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["partner__name", "name"]
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_limit_per_minute__gte=1),
                name="apikey_rate_limit_positive",
                violation_error_message="A key must be allowed at least one call a minute.",
            ),
            models.CheckConstraint(
                condition=Q(dead_letters_replay=False) | Q(dead_letters_read=True),
                name="apikey_replay_needs_read",
                violation_error_message="A key that may replay dead letters must also be allowed to see them.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner.name}: {self.name} ({self.prefix}…)"

    def get_absolute_url(self) -> str:
        return reverse("admin:api_apikey_change", args=[self.pk])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def has_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class EntityGrant(models.Model):
    """What a key may do with one entity's records: read them (some fields or all), push them."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="entity_grants")
    entity = models.ForeignKey("catalog.Entity", on_delete=models.CASCADE, related_name="+")
    can_read = models.BooleanField("may read", default=False, help_text="Read the hub's records of it.")
    can_write = models.BooleanField(
        "may push", default=False, help_text="Push records of it through its API push flows."
    )
    fields = models.ManyToManyField(
        "catalog.EntityField",
        blank=True,
        related_name="+",
        help_text="The fields it may read. Leave empty to let it read every field.",
    )

    class Meta:
        ordering = ["entity__name"]
        verbose_name = "entity permission"
        constraints = [
            models.UniqueConstraint(
                fields=["key", "entity"],
                name="entitygrant_once_per_key",
                violation_error_message="This key already has permissions for this entity.",
            ),
            models.CheckConstraint(
                condition=Q(can_read=True) | Q(can_write=True),
                name="entitygrant_grants_something",
                violation_error_message="Tick 'may read', 'may push' or both.",
            ),
        ]

    def __str__(self) -> str:
        rights = [word for word, on in (("read", self.can_read), ("push", self.can_write)) if on]
        return f"{self.entity} ({', '.join(rights)})"


class FlowGrant(models.Model):
    """A flow whose runs a key may start."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="flow_grants")
    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["flow__name"]
        verbose_name = "flow the key may start"
        constraints = [
            models.UniqueConstraint(
                fields=["key", "flow"],
                name="flowgrant_once_per_key",
                violation_error_message="This key may already start this flow.",
            ),
        ]

    def __str__(self) -> str:
        return str(self.flow)


class PartnerBatch(models.Model):
    """A push by a partner: which stored batch it made, and the idempotency key and body it came with."""

    batch = models.OneToOneField("flows.InboundBatch", on_delete=models.CASCADE, related_name="partner_push")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="batches")
    api_key = models.ForeignKey(ApiKey, null=True, on_delete=models.SET_NULL, related_name="+")
    idempotency_key = models.CharField(max_length=150)
    body_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the flow and the records, canonical JSON."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = "pushed batch"
        verbose_name_plural = "pushed batches"
        constraints = [
            models.UniqueConstraint(fields=["partner", "idempotency_key"], name="partnerbatch_unique_key"),
        ]

    def __str__(self) -> str:
        return f"batch {self.batch_id} from {self.partner}"
