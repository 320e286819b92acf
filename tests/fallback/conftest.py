"""The flow tests' source, target and flow (tests/flows/conftest.py), for the fallback tests."""

from tests.flows.conftest import make_flow, source, target

__all__ = ["make_flow", "source", "target"]
