"""Checks on a flow's wiring, shared by the admin form and the configuration import."""

from __future__ import annotations

from collections.abc import Iterable

from hub.catalog.models import Entity, EntityField
from hub.flows.models import Flow, FlowState, Trigger
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
    cursor_field: str = "",
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
    targets = list(targets)
    read_only = [t.name for t in targets if t.read_only]
    if source is None or entity is None:
        return errors | _read_only_error(read_only)
    if cursor_field and not entity.fields.filter(name=cursor_field).exists():
        errors["cursor_field"] = f"'{cursor_field}' is not a field of {entity.name}."
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
    return errors | _read_only_error(read_only)


def _read_only_error(names: list[str]) -> dict[str, str]:
    if not names:
        return {}
    return {
        "targets": f"The hub only reads from {', '.join(names)} (marked read only): a flow cannot send "
        "records there. Remove it from the targets, or untick “read only” on the system."
    }


class FlowError(Exception):
    pass


def flow_wiring_errors(flow: Flow) -> dict[str, str]:
    return flow_errors(
        source=flow.source,
        entity=flow.entity,
        targets=flow.targets.all(),
        fields=flow.fields.all(),
        trigger=flow.trigger,
        interval_minutes=flow.interval_minutes,
        cron=flow.cron,
        cursor_field=flow.cursor_field,
    )


def flow_state_set(*, flow: Flow, state: str) -> None:
    """Activate, pause or return a flow to draft; a flow is only activated when its wiring holds."""
    if state == FlowState.ACTIVE:
        errors = flow_wiring_errors(flow)
        if errors:
            raise FlowError(f"{flow.name} cannot be activated: {' '.join(errors.values())}")
    flow.state = state
    flow.save(update_fields=["state", "updated_at"])


def flows_using_mapping(mapping: Mapping) -> list[Flow]:
    """Flows that need this mapping: as their source (inbound) or as one of their targets (outbound)."""
    flows = Flow.objects.filter(entity_id=mapping.entity_id)
    if mapping.direction == Direction.INBOUND:
        return list(flows.filter(source_id=mapping.system_id))
    return list(flows.filter(targets=mapping.system_id).distinct())
