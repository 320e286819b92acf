"""The engine's test servers and flow (tests/flows) serve the security tests too."""

from tests.flows.conftest import make_flow, source, target

__all__ = ["make_flow", "source", "target"]
