"""What every import step shares: the problems found, the report, and lookups by name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model

from hub.catalog.models import Entity, EntityField
from hub.configuration.document import Document
from hub.configuration.report import ImportReport
from hub.configuration.source import Problems
from hub.systems.models import System


@dataclass(frozen=True)
class Removal:
    """A stored field left out of ``path`` (an entity's ``fields``): removed last, if nothing uses it."""

    path: str
    field: EntityField


@dataclass
class Context:
    problems: Problems
    report: ImportReport
    document: Document
    actor: AbstractBaseUser | None
    systems: dict[str, System] = field(default_factory=dict)
    entities: dict[str, Entity] = field(default_factory=dict)
    removals: list[Removal] = field(default_factory=list)

    def broken(self, *key: str) -> bool:
        return key in self.document.broken

    def mark_broken(self, *key: str) -> None:
        """An item of the file could not be applied: references to it then add no further errors."""
        self.document.broken.add(key)

    def system(self, name: str, path: str) -> System | None:
        """The system named so in the file (once applied) or already in the hub; an error otherwise."""
        if name not in self.systems and not self.broken("system", name):
            found = System.objects.filter(name=name).first()
            if found is None:
                self.problems.add(path, f"unknown system '{name}': it is neither in this file nor in the hub")
                return None
            self.systems[name] = found
        return self.systems.get(name)

    def entity(self, name: str, path: str) -> Entity | None:
        if name not in self.entities and not self.broken("entity", name):
            found = Entity.objects.filter(name=name).first()
            if found is None:
                self.problems.add(path, f"unknown entity '{name}': it is neither in this file nor in the hub")
                return None
            self.entities[name] = found
        return self.entities.get(name)

    def field_names(self, entity: Entity) -> set[str]:
        """The entity's field names as they will be after the import (broken ones count as present)."""
        for doc in self.document.entities:
            if doc.name == entity.name:
                broken = {key[2] for key in self.document.broken if key[:2] == ("field", entity.name)}
                return {f.name for f in doc.fields} | broken
        return set(entity.fields.values_list("name", flat=True))

    def kept_fields(self, entity: Entity) -> dict[str, EntityField]:
        """The entity's stored fields by name, less those the file removes (they stay until the end)."""
        leaving = {removal.field.pk for removal in self.removals}
        return {f.name: f for f in entity.fields.order_by("position", "pk") if f.pk not in leaving}

    def invalid(self, path: str, error: ValidationError, names: Mapping[str, str]) -> None:
        """Report a model's validation errors at the keys of the file they concern."""
        for model_field, messages in error.message_dict.items():
            key = names.get(model_field, model_field)
            where = path if model_field == NON_FIELD_ERRORS else f"{path}.{key}"
            for message in messages:
                self.problems.add(where, message)


def assign(obj: Model, values: Mapping[str, Any]) -> list[str]:
    """Set the attributes that differ and return their names: unchanged objects are never re-saved."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    return changed


def checked_save(
    ctx: Context, obj: Model, *, changed: list[str], path: str, names: Mapping[str, str]
) -> bool:
    """Validate (model checks and constraints) and save a new or changed object; False on errors."""
    if not obj._state.adding and not changed:
        return True
    try:
        obj.full_clean()
    except ValidationError as error:
        ctx.invalid(path, error, names)
        return False
    return guarded_save(ctx, obj, changed=changed, path=path)


def guarded_save(ctx: Context, obj: Model, *, changed: list[str], path: str) -> bool:
    fields = None if obj._state.adding else [*changed, *_touched(obj)]
    try:
        with transaction.atomic():
            obj.save(update_fields=fields)
    except IntegrityError as error:
        ctx.problems.add(path, f"the database refused it: {error}")
        return False
    return True


def _touched(obj: Model) -> list[str]:
    return ["updated_at"] if any(f.name == "updated_at" for f in obj._meta.concrete_fields) else []


def named(changed: list[str], names: Mapping[str, str]) -> list[str]:
    """Model attribute names as the file calls them."""
    return [names.get(name, name) for name in changed]
