"""The "system" behind the fallback form: records people type into the hub while a link is down.

It connects to nothing. The hub creates one system of this kind by itself, so that manual entries have
what every record source has: cross-references, provenance and conflicts that name where a value came
from.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from connectors.base import ConfigurationError, Connector, OutgoingRecord, Page, ProbeResult, PushOutcome


class ManualEntryConnector(Connector):
    kind = "manual_entry"
    label = "Manual entry (the hub's fallback form)"
    description = (
        "Records people type into the hub's fallback form while a link is down. The hub creates this "
        "system itself; there is nothing to connect to."
    )

    def probe(self) -> ProbeResult:
        return ProbeResult(
            True, True, 0.0, "Manual entry is part of the hub: there is nothing to connect to."
        )

    def fetch(self, *, since: str | None = None, resource: str | None = None) -> Iterator[Page]:
        return iter(())  # entries reach runs from the hub's own table, not through a fetch

    def push(self, batch: Sequence[OutgoingRecord], *, resource: str | None = None) -> list[PushOutcome]:
        raise ConfigurationError(
            "Manual entry is the hub's fallback form, not a system records can be sent to: "
            "remove it from the flow's targets."
        )
