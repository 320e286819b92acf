"""Which connector kinds exist. A kind registers itself by being listed here."""

from __future__ import annotations

from connectors.base import Connector
from connectors.csv_files import CsvFilesConnector
from connectors.http_json import HttpJsonConnector
from connectors.manual_entry import ManualEntryConnector
from connectors.sql import SqlConnector

_KINDS: dict[str, type[Connector]] = {
    cls.kind: cls for cls in (HttpJsonConnector, SqlConnector, CsvFilesConnector, ManualEntryConnector)
}


def connector_class(kind: str) -> type[Connector]:
    try:
        return _KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(_KINDS))
        raise KeyError(f"Unknown connector kind {kind!r}; known kinds: {known}") from None


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, cls.label) for kind, cls in sorted(_KINDS.items())]
