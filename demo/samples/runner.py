"""Starting and stopping the three sample systems inside one process, each on its own thread."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import TracebackType

from demo.samples.billing import BillingSystem
from demo.samples.crm import CrmSystem
from demo.samples.erp import ErpSystem
from demo.samples.secrets import REQUIRED_KEYS
from demo.samples.server import SampleServer
from demo.samples.system import SampleSystem

SYSTEMS: dict[str, type[SampleSystem]] = {"crm": CrmSystem, "erp": ErpSystem, "billing": BillingSystem}
DEFAULT_PORTS = {"crm": 8101, "erp": 8102, "billing": 8103}
_WILDCARD_HOSTS = ("", "0.0.0.0")  # noqa: S104 - only compared with, never bound


class SampleSystems:
    """Running sample systems; ``urls`` maps "crm", "erp", "billing" to their base URL."""

    def __init__(self, servers: Mapping[str, SampleServer]) -> None:
        self.servers = dict(servers)
        self._threads = [
            threading.Thread(target=server.serve_forever, name=f"sample-{name}", daemon=True)
            for name, server in self.servers.items()
        ]
        for thread in self._threads:
            thread.start()

    @property
    def urls(self) -> dict[str, str]:
        return {name: _url(server) for name, server in self.servers.items()}

    @property
    def systems(self) -> dict[str, SampleSystem]:
        return {name: server.system for name, server in self.servers.items()}

    def stop(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> SampleSystems:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_sample_systems(
    secrets: Mapping[str, str],
    host: str = "127.0.0.1",
    ports: Mapping[str, int] | None = None,
    *,
    verbose: bool = False,
) -> SampleSystems:
    """Bind and serve all three systems; a port of 0 (the default) picks a free ephemeral port."""
    missing = [key for key in REQUIRED_KEYS if not secrets.get(key)]
    if missing:
        raise ValueError(f"secrets lack: {', '.join(missing)}")
    wanted = {name: (ports or {}).get(name, 0) for name in SYSTEMS}
    servers: dict[str, SampleServer] = {}
    try:
        for name, system_class in SYSTEMS.items():
            servers[name] = SampleServer((host, wanted[name]), system_class(secrets), verbose=verbose)
    except BaseException:
        # One port was taken: free the ones already bound before reporting the failure.
        for server in servers.values():
            server.server_close()
        raise
    return SampleSystems(servers)


def _url(server: SampleServer) -> str:
    host, port = server.server_address[:2]
    shown = "127.0.0.1" if host in _WILDCARD_HOSTS else str(host)
    return f"http://{shown}:{port}"
