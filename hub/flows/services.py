"""Checks on a flow's wiring, shared by the admin form and the configuration import."""

from __future__ import annotations

from collections.abc import Iterable

from hub.catalog.models import Entity, EntityField
from hub.flows.models import Trigger
from hub.flows.schedule import ScheduleError, cron_check
from hub.mappings.models import Direction, Mapping
from hub.systems.models import System


def flow_errors(
    *,
    source: System | None,
    entity: Entity | None,
    targets: Iterable[System],
    fields: Iterable[EntityField],
    trigger: str,
    interval_minutes: int | None,
    cron: str,
) -> dict[str, str]:
    """What is wrong with a flow's wiring, by form field; empty when it can run."""
    errors: dict[str, str] = {}
    if trigger == Trigger.CRON:
        try:
            cron_check(cron)
        except ScheduleError as error:
            errors["cron"] = str(error)
    if trigger == Trigger.INTERVAL and not interval_minutes:
        errors["interval_minutes"] = "Say how many minutes apart the runs should be."
    if source is None or entity is None:
        return errors
    targets = list(targets)
    have = set(
        Mapping.objects.filter(entity=entity, system__in=[source, *targets]).values_list(
            "system_id", "direction"
        )
    )
    if (source.pk, Direction.INBOUND) not in have:
        errors["source"] = (
            f"{source.name} has no inbound mapping for {entity.name}: add one under Mappings first."
        )
    missing = [t.name for t in targets if (t.pk, Direction.OUTBOUND) not in have]
    if missing:
        errors["targets"] = (
            f"No outbound mapping for {entity.name} to: {', '.join(missing)}. Add one under Mappings."
        )
    if any(t.pk == source.pk for t in targets):
        errors["targets"] = f"{source.name} is the source; a flow cannot also send the records back to it."
    strangers = [f.name for f in fields if f.entity_id != entity.pk]
    if strangers:
        errors["fields"] = f"Not fields of {entity.name}: {', '.join(strangers)}."
    return errors
