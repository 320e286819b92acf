"""Exporting the configuration is an entry in the audit trail, attributed to whoever ran the command."""

from __future__ import annotations

import io

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_export_config_is_recorded_as_an_export_by_the_person(business_admin, tmp_path):
    target = tmp_path / "hub.yaml"

    call_command("export_config", "--output", str(target), "--as", "beatrice", stderr=io.StringIO())

    entry = LogEntry.objects.get(additional_data__event="exported")
    assert entry.actor == business_admin
    assert entry.additional_data["accessed"] == "configuration (YAML)"
    assert str(target) in entry.additional_data["reason"]
    assert target.read_text(encoding="utf-8").startswith("version: 1")
    # A command's work, not the person acting in the admin: its own correlation id says so.
    assert entry.cid.startswith("command:")
    assert entry.additional_data["via"] == "management command"
