from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

identifier = RegexValidator(
    r"^[a-z][a-z0-9_]*$",
    "Use lower-case letters, digits and underscores, starting with a letter (e.g. 'email' or 'postal_code').",
)


def format_rule_validator(rule: str) -> None:
    from hub.catalog.schema import validate_format_rule

    try:
        validate_format_rule(rule)
    except ValueError as error:
        raise ValidationError(str(error)) from None


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    INTEGER = "integer", "Whole number"
    DECIMAL = "decimal", "Decimal number (amounts, prices)"
    BOOLEAN = "boolean", "Yes / no"
    DATE = "date", "Date"
    DATETIME = "datetime", "Date and time"
    EMAIL = "email", "E-mail address"
    PHONE = "phone", "Phone number (international E.164)"
    ENUM = "enum", "One of a list of values"
    REFERENCE = "reference", "Reference to another entity"


class Entity(models.Model):
    """A canonical business type (Customer, Order, Product) that several systems share."""

    name = models.CharField(
        max_length=100,
        unique=True,
        validators=[RegexValidator(r"^[A-Z][A-Za-z0-9]*$", "Use a name like 'Customer' or 'SalesOrder'.")],
        help_text="The business name of this kind of record, singular, e.g. 'Customer'.",
    )
    description = models.TextField(blank=True, help_text="What one record of this entity stands for.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entities"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:catalog_entity_change", args=[self.pk])


class EntityField(models.Model):
    """One field of the canonical model, with its type and the rules a value must follow."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="fields")
    position = models.PositiveIntegerField(default=0, help_text="Order in forms and exports.")
    name = models.CharField(
        max_length=100,
        validators=[identifier],
        help_text="The field's name in the canonical model, e.g. 'email'. Mappings refer to it by this name.",
    )
    label = models.CharField(
        max_length=200, blank=True, help_text="How people see it, e.g. 'E-mail address'."
    )
    type = models.CharField(
        max_length=20,
        choices=FieldType.choices,
        default=FieldType.TEXT,
        help_text="What kind of value it holds; values of another kind are quarantined.",
    )
    required = models.BooleanField(default=False, help_text="A record without this value is quarantined.")
    natural_key = models.BooleanField(
        "part of the natural key",
        default=False,
        help_text="Used to recognise the same record coming from different systems (e.g. the e-mail).",
    )
    format_rule = models.CharField(
        max_length=300,
        blank=True,
        validators=[format_rule_validator],
        help_text="Optional pattern the whole value must match (a regular expression), e.g. ^[A-Z]{2}$.",
    )
    enum_values = models.TextField(
        "allowed values",
        blank=True,
        help_text="For 'one of a list of values': the allowed values, one per line.",
    )
    reference_entity = models.ForeignKey(
        Entity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For 'reference to another entity': which entity the value points at.",
    )
    help = models.CharField(max_length=300, blank=True, help_text="A hint shown next to the field in forms.")

    class Meta:
        ordering = ["entity__name", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "name"], name="entityfield_unique_name"),
            models.CheckConstraint(
                condition=~Q(type=FieldType.ENUM) | ~Q(enum_values=""),
                name="entityfield_enum_has_values",
                violation_error_message="A field of type 'one of a list of values' needs its allowed values.",
            ),
            models.CheckConstraint(
                condition=(Q(type=FieldType.REFERENCE) & Q(reference_entity__isnull=False))
                | (~Q(type=FieldType.REFERENCE) & Q(reference_entity__isnull=True)),
                name="entityfield_reference_target",
                violation_error_message=(
                    "A reference field needs the entity it points at, and only reference fields have one."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entity.name}.{self.name}"

    @property
    def allowed_values(self) -> list[str]:
        return [line.strip() for line in self.enum_values.splitlines() if line.strip()]


class SourceOfTruth(models.Model):
    """The one system whose values win for an entity, or for one field of it."""

    entity = models.ForeignKey(
        Entity, on_delete=models.CASCADE, related_name="sources_of_truth", help_text="The kind of record."
    )
    field = models.ForeignKey(
        EntityField,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sources_of_truth",
        help_text="Leave empty to name the system that owns the whole entity; pick a field to override it.",
    )
    system = models.ForeignKey(
        "systems.System",
        on_delete=models.PROTECT,
        related_name="sources_of_truth",
        help_text="The system whose values win. Values from other systems become conflicts for a person.",
    )
    note = models.CharField(max_length=300, blank=True, help_text="Why this system is authoritative.")

    class Meta:
        ordering = ["entity__name", "field__position", "field__name"]
        verbose_name = "source of truth"
        verbose_name_plural = "sources of truth"
        constraints = [
            models.UniqueConstraint(
                fields=["entity"],
                condition=Q(field__isnull=True),
                name="sot_one_per_entity",
                violation_error_message="This entity already has a source of truth.",
            ),
            models.UniqueConstraint(
                fields=["field"],
                condition=Q(field__isnull=False),
                name="sot_one_per_field",
                violation_error_message="This field already has a source of truth.",
            ),
        ]

    def __str__(self) -> str:
        scope = f"{self.entity.name}.{self.field.name}" if self.field else self.entity.name
        return f"{scope} ← {self.system.name}"


class Record(models.Model):
    """The hub's canonical copy of one entity instance, with where each value came from."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="records")
    data = models.JSONField(default=dict, help_text="The canonical values, by field name.")
    provenance = models.JSONField(
        default=dict, help_text="For each field: the system its value came from, when, and in which run."
    )
    natural_key = models.CharField(  # noqa: DJ001 - NULL, not "", so that records without a key never collide
        max_length=500,
        null=True,
        blank=True,
        help_text="The natural-key values joined, used to recognise this record coming from another system.",
    )
    content_hash = models.CharField(
        max_length=64, help_text="Fingerprint of the values, to skip unchanged work."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "natural_key"],
                condition=Q(natural_key__isnull=False),
                name="record_unique_natural_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entity.name} {self.natural_key or self.pk}"


class CrossReference(models.Model):
    """Which record of a system is which canonical record: what makes a re-run update, not duplicate."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="xrefs")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+")
    system = models.ForeignKey("systems.System", on_delete=models.PROTECT, related_name="xrefs")
    external_id = models.CharField(max_length=300, blank=True, help_text="The record's id in that system.")
    last_hash = models.CharField(
        max_length=64, blank=True, help_text="Fingerprint of what was last received from or delivered to it."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["system", "entity", "external_id"],
                condition=~Q(external_id=""),
                name="xref_unique_external_id",
            ),
            models.UniqueConstraint(fields=["record", "system"], name="xref_one_per_record_and_system"),
        ]

    def __str__(self) -> str:
        return f"{self.system.name}:{self.external_id or '?'} = record {self.record_id}"


class ConflictState(models.TextChoices):
    OPEN = "open", "Open: a person should decide"
    ACCEPTED = "accepted", "Accepted: the other system's value was taken"
    DISMISSED = "dismissed", "Dismissed: the authoritative value stays"


class Conflict(models.Model):
    """A value from a system that is not authoritative for the field, differing from the record's value."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="conflicts")
    field = models.CharField(max_length=100)
    system = models.ForeignKey(
        "systems.System", on_delete=models.PROTECT, related_name="+", help_text="The system that disagrees."
    )
    kept_value = models.JSONField(null=True, help_text="The value the record keeps.")
    offered_value = models.JSONField(null=True, help_text="The value the other system holds.")
    run = models.ForeignKey("flows.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=10, choices=ConflictState.choices, default=ConflictState.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "field", "system"],
                condition=Q(state="open"),
                name="conflict_one_open_per_field_and_system",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record}: {self.field} from {self.system.name}"
