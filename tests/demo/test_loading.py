"""The demo loads through the ordinary import, twice without duplicating anything, and round-trips."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.apps import apps

from demo.loading import demo_load
from hub.configuration.export import config_dump, config_export
from hub.configuration.importer import config_import
from hub.mappings.models import MappingVersion
from hub.systems.models import Secret

pytestmark = pytest.mark.django_db

HUB_APPS = ("systems", "catalog", "mappings", "flows")


def snapshot() -> dict[str, list[tuple]]:
    models = [m for label in HUB_APPS for m in apps.get_app_config(label).get_models()]
    return {m.__name__: sorted(map(tuple, m._default_manager.values_list())) for m in models}


def test_the_demo_has_what_every_admin_page_needs(demo):
    counts = {name: len(rows) for name, rows in snapshot().items()}
    assert counts["System"] == 3
    assert counts["Secret"] == 3
    assert counts["Entity"] == 3
    assert counts["Flow"] == 4
    assert counts["Mapping"] == 8
    assert counts["MappingVersion"] == 8  # every mapping published once, so runs have a version to use
    assert counts["SourceOfTruth"] == 8


def test_make_run_never_reloads_the_demo_over_a_configured_hub(db):
    from io import StringIO

    from django.core.management import call_command

    from hub.systems.models import System

    call_command("load_demo", stdout=StringIO())
    System.objects.filter(name="CRM").update(description="Changed by an admin")
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "was not loaded again" in out.getvalue()
    assert System.objects.get(name="CRM").description == "Changed by an admin"


def test_loading_the_demo_twice_changes_nothing(db):
    demo_load()  # without the test fixture, which points the systems at this run's servers
    before, audit_before = snapshot(), LogEntry.objects.count()
    report = demo_load()
    assert not report.changes_anything
    assert snapshot() == before
    assert LogEntry.objects.count() == audit_before
    assert MappingVersion.objects.filter(number__gt=1).count() == 0
    assert Secret.objects.count() == 3


def test_demo_export_then_import_changes_nothing(demo):
    document = config_dump(config_export())
    before = snapshot()
    report = config_import(text=document, dry_run=False)
    assert not report.changes_anything
    assert report.warnings == []
    assert snapshot() == before
    assert config_dump(config_export()) == document


def test_an_invalid_demo_file_changes_nothing_at_all(demo):
    document = config_dump(config_export()).replace("freshness_minutes: 1440", "freshness_minutes: -5")
    assert "freshness_minutes: -5" in document
    before = snapshot()
    from hub.configuration.importer import ConfigImportError

    with pytest.raises(ConfigImportError) as error:
        config_import(text=document, dry_run=False)
    assert any("freshness_minutes" in e and e.startswith("line ") for e in error.value.errors)
    assert snapshot() == before
