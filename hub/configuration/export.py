"""The whole configuration, secrets aside, as one YAML document sorted for stable, readable diffs."""

from __future__ import annotations

from typing import Any

import yaml

from hub.configuration.document import VERSION
from hub.configuration.exporting import (
    Inline,
    InlineList,
    entities_export,
    flows_export,
    mappings_export,
    sources_export,
    systems_export,
)


def config_export() -> dict[str, Any]:
    """The configuration as plain data, in the format ``config_import`` reads."""
    return {
        "version": VERSION,
        "systems": systems_export(),
        "entities": entities_export(),
        "mappings": mappings_export(),
        "source_of_truth": sources_export(),
        "flows": flows_export(),
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # indent list items under their key, as people write them


def _inline(dumper: yaml.SafeDumper, data: Inline) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


def _inline_list(dumper: yaml.SafeDumper, data: InlineList) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(Inline, _inline)
_Dumper.add_representer(InlineList, _inline_list)
_Dumper.add_representer(str, _text)


def config_dump(data: dict[str, Any]) -> str:
    """YAML text for ``config_export()``: keys in their documented order, short items on one line."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
