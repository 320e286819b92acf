from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


class Direction(models.TextChoices):
    INBOUND = "inbound", "Into the hub (system fields → canonical fields)"
    OUTBOUND = "outbound", "Out to the system (canonical fields → system fields)"


class Mapping(models.Model):
    """How one system's fields become one entity's canonical fields (inbound), or back (outbound).

    The rules edited here are the draft; publishing freezes them as a numbered ``MappingVersion``,
    which is what runs use.
    """

    system = models.ForeignKey(
        "systems.System",
        on_delete=models.PROTECT,
        related_name="mappings",
        help_text="The system whose records this mapping reads or writes.",
    )
    entity = models.ForeignKey(
        "catalog.Entity",
        on_delete=models.PROTECT,
        related_name="mappings",
        help_text="The kind of record in the hub's own model that the system's records correspond to.",
    )
    direction = models.CharField(
        max_length=10,
        choices=Direction.choices,
        help_text="Into the hub when the system is a source of flows; out to the system when it is a target.",
    )
    id_path = models.CharField(
        "id path",
        max_length=300,
        blank=True,
        help_text="Inbound: where the record's own id is in the system's records, e.g. id or order_no. Leave "
        "empty to use the system's id setting.",
    )
    resource = models.CharField(
        max_length=300,
        blank=True,
        help_text=(
            "Where this entity's records are in the system, when it is not the system's default: for an HTTP "
            "API the path, e.g. /api/v2/orders. Leave empty to use the paths in the system's settings."
        ),
    )
    description = models.TextField(
        blank=True, help_text="Anything a colleague should know about this mapping."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["entity__name", "system__name", "direction"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "entity", "direction"],
                name="mapping_unique_per_system_entity_direction",
                violation_error_message="This system already maps this entity in this direction.",
            ),
        ]

    def __str__(self) -> str:
        arrow = "→" if self.direction == Direction.INBOUND else "←"
        return f"{self.system.name} {arrow} {self.entity.name}"

    def get_absolute_url(self) -> str:
        return reverse("admin:mappings_mapping_change", args=[self.pk])


class MappingRule(models.Model):
    """One field of a mapping: where the value is read, where it goes, and how it is transformed."""

    mapping = models.ForeignKey(Mapping, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveIntegerField(default=0)
    source = models.CharField(
        max_length=300,
        help_text=(
            "Inbound: where the value sits in the system's record, e.g. 'email' or 'address.city' or "
            "'lines.0.sku'. Outbound: the canonical field to send."
        ),
    )
    target = models.CharField(
        max_length=300,
        help_text=(
            "Inbound: the canonical field that receives the value. Outbound: where it goes in the "
            "system's record (dotted, e.g. 'address.city')."
        ),
    )
    transforms = models.JSONField(
        default=list,
        blank=True,
        help_text="Steps applied in order, one per line, e.g. 'trim' then 'phone: DE'.",
    )

    class Meta:
        ordering = ["mapping", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mapping", "target"],
                name="mappingrule_target_once",
                violation_error_message="This target is already mapped by another rule of this mapping.",
            ),
            models.CheckConstraint(condition=~Q(target=""), name="mappingrule_target_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.target}"


class MappingVersion(models.Model):
    """A published, frozen copy of a mapping's rules. Runs record which version they used."""

    mapping = models.ForeignKey(Mapping, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    rules = models.JSONField(help_text="The rules as they were published.")
    note = models.CharField(max_length=300, blank=True, help_text="What changed in this version, and why.")
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["mapping", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(fields=["mapping", "number"], name="mappingversion_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="mappingversion_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.mapping} v{self.number}"
