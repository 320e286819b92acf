"""Deterministic, deliberately dirty seed data for the sample systems: one module per system.

Each module's docstring lists the dirty cases it holds, by record id. ``seed()`` builds fresh objects on
every call, so a reset can never inherit changes made to an earlier copy.
"""
