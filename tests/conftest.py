"""Shared fixtures: real sample systems on loopback, the demo configuration pointed at them, people."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from demo.samples.runner import SampleSystems, start_sample_systems
from demo.samples.secrets import load_or_create_secrets

# Playwright drives a browser from a thread that Django sees as async; the ORM calls are ours and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEMO_SYSTEM_KEYS = {"CRM": "crm", "ERP": "erp", "Billing": "billing"}


@pytest.fixture(scope="session")
def sample_secrets() -> dict[str, str]:
    return load_or_create_secrets(Path(settings.HUB_SAMPLE_SECRETS_FILE))


@pytest.fixture(scope="session")
def sample_systems(sample_secrets: dict[str, str]) -> Iterator[SampleSystems]:
    """The CRM, ERP and billing sample systems, each a real HTTP server on an ephemeral loopback port."""
    with start_sample_systems(sample_secrets) as systems:
        yield systems


@pytest.fixture
def demo(db: Any, sample_systems: SampleSystems) -> Any:
    """The demo configuration, loaded the way `make run` loads it, pointed at this test run's servers."""
    from demo.loading import demo_load
    from hub.systems.models import System

    report = demo_load()
    for system in System.objects.filter(name__in=DEMO_SYSTEM_KEYS):
        system.params = {**system.params, "base_url": sample_systems.urls[DEMO_SYSTEM_KEYS[system.name]]}
        system.save(update_fields=["params"])
    return report


@pytest.fixture
def business_admin(db: Any) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("beatrice", "beatrice@example.com", "correct-horse-42")
