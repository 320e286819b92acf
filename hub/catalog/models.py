from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

identifier = RegexValidator(
    r"^[a-z][a-z0-9_]*$",
    "Use lower-case letters, digits and underscores, starting with a letter (e.g. 'email' or 'postal_code').",
)


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
    type = models.CharField(max_length=20, choices=FieldType.choices, default=FieldType.TEXT)
    required = models.BooleanField(default=False, help_text="A record without this value is quarantined.")
    natural_key = models.BooleanField(
        "part of the natural key",
        default=False,
        help_text="Used to recognise the same record coming from different systems (e.g. the e-mail).",
    )
    format_rule = models.CharField(
        max_length=300,
        blank=True,
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

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="sources_of_truth")
    field = models.ForeignKey(
        EntityField,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sources_of_truth",
        help_text="Leave empty to name the system that owns the whole entity; pick a field to override it.",
    )
    system = models.ForeignKey("systems.System", on_delete=models.PROTECT, related_name="sources_of_truth")
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
