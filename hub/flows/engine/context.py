"""Everything a run needs, loaded once: connectors, compiled mappings, the schema, sources of truth."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import orjson

from connectors.base import Connector
from hub.catalog.models import SourceOfTruth
from hub.catalog.schema import EntitySchema
from hub.catalog.selectors import entity_schema
from hub.flows.models import Flow, Quarantined, Run
from hub.mappings.models import Direction, Mapping, MappingVersion
from hub.mappings.services import rules_from_data
from hub.mappings.transforms import CompiledMapping, compile_rules
from hub.systems.models import System
from hub.systems.services import system_connector


class RunSetupError(Exception):
    """The flow cannot run as configured (e.g. a mapping was never published): a person must fix it."""


@dataclass
class Target:
    system: System
    mapping: CompiledMapping
    version: int
    resource: str | None
    _connector: Connector | None = None

    def connector(self, reason: str) -> Connector:
        if self._connector is None:
            self._connector = system_connector(system=self.system, reason=reason)
        return self._connector


@dataclass
class RunContext:
    run: Run
    flow: Flow
    source: System
    inbound: CompiledMapping
    inbound_resource: str | None
    schema: EntitySchema
    carried: frozenset[str]  # the fields this flow carries
    key_fields: frozenset[str]  # the natural-key fields, always kept for matching
    id_path: str  # where a source record's own id is
    entity_owner: int | None  # system id
    field_owners: dict[str, int]
    targets: dict[int, Target] = field(default_factory=dict)
    # Everything besides the raw record that decides what a record becomes: with the same salt, the same raw
    # record gives the same canonical values and the same deliveries (see pipeline.fingerprint).
    salt: str = ""
    # Quarantined records people corrected, waiting for this run, by external id (see runs._read_corrections).
    corrections: dict[str, Quarantined] = field(default_factory=dict)
    # Manual entries (the fallback form): values typed by a person, provisional until a system confirms them.
    provisional: bool = False

    def owner_of(self, name: str) -> int | None:
        return self.field_owners.get(name, self.entity_owner)

    def close(self) -> None:
        for target in self.targets.values():
            if target._connector is not None:
                target._connector.close()


def content_hash(values: Any) -> str:
    """A fingerprint of JSON-like values: keys sorted, anything else JSON cannot hold written as text."""
    try:
        text = orjson.dumps(values, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    except TypeError:  # an integer beyond 64 bits: the standard library writes any
        text = json.dumps(
            values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        ).encode()
    return hashlib.sha256(text).hexdigest()


def _published(mapping: Mapping) -> MappingVersion:
    version = mapping.versions.order_by("-number").first()
    if version is None:
        raise RunSetupError(f"The mapping {mapping} has never been published: publish it, then run again.")
    return version


def _mapping(flow: Flow, system: System, direction: str) -> Mapping:
    found = Mapping.objects.filter(system=system, entity=flow.entity, direction=direction).first()
    if found is None:
        side = "inbound" if direction == Direction.INBOUND else "outbound"
        raise RunSetupError(f"{system.name} has no {side} mapping for {flow.entity.name}.")
    return found


def run_context(run: Run) -> RunContext:
    flow = Flow.objects.select_related("source", "entity").get(pk=run.flow_id)
    inbound = _mapping(flow, flow.source, Direction.INBOUND)
    inbound_version = _published(inbound)
    schema = entity_schema(flow.entity)
    carried = frozenset(flow.fields.values_list("name", flat=True)) or frozenset(
        f.name for f in schema.fields
    )
    owners = SourceOfTruth.objects.filter(entity=flow.entity).select_related("field")
    ctx = RunContext(
        run=run,
        flow=flow,
        source=flow.source,
        inbound=compile_rules(rules_from_data(inbound_version.rules)),
        inbound_resource=inbound.resource or None,
        schema=schema,
        carried=carried,
        key_fields=frozenset(f.name for f in schema.fields if f.natural_key),
        id_path=inbound.id_path or str(flow.source.params.get("push_id_path") or "id"),
        entity_owner=next((o.system_id for o in owners if o.field_id is None), None),
        field_owners={o.field.name: o.system_id for o in owners if o.field is not None},
    )
    versions = {flow.source.name: inbound_version.number}
    version_ids = [inbound_version.pk]
    for system in flow.targets.all():
        outbound = _mapping(flow, system, Direction.OUTBOUND)
        version = _published(outbound)
        compiled = compile_rules(rules_from_data(version.rules))
        ctx.targets[system.pk] = Target(system, compiled, version.number, outbound.resource or None)
        versions[system.name] = version.number
        version_ids.append(version.pk)
    run.mapping_versions = versions
    ctx.salt = content_hash(
        {
            "mapping_versions": version_ids,
            "schema": dataclasses.asdict(schema),
            "carried": sorted(carried),
            "owners": [ctx.entity_owner, sorted(ctx.field_owners.items())],
            "id_path": ctx.id_path,
            "create_in_targets": flow.create_in_targets,
        }
    )
    return ctx
