"""The plaintext of every demo secret appears nowhere: not in the database file, a page, or the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.contrib import admin
from django.db import connection

from tests.admin.test_pages import admin_urls, hub_models

pytestmark = pytest.mark.django_db(transaction=True)

SECRET_KEYS = ("crm_token", "erp_password", "billing_api_key")


def plaintexts(sample_secrets) -> list[str]:
    values = [sample_secrets[key] for key in SECRET_KEYS]
    assert all(len(v) >= 16 for v in values)
    return values


def test_demo_secrets_are_nowhere_in_the_database_pages_or_audit(
    client, business_admin, demo, sample_secrets
):
    from hub.systems.models import System
    from hub.systems.services import system_probe

    for system in System.objects.all():  # decrypts every secret, as a connection test does
        assert system_probe(system=system, actor=business_admin).ok, system.last_probe_message
    client.force_login(business_admin)
    pages = [client.get(url).content.decode() for m in hub_models() for url in admin_urls(m).values()]
    pages += [
        client.get(f"/admin/auditlog/logentry/{e.pk}/change/").content.decode()
        for e in LogEntry.objects.all()
    ]
    audit = [
        f"{e.changes} {e.changes_text} {e.additional_data} {e.serialized_data}"
        for e in LogEntry.objects.all()
    ]
    connection.close()  # flush SQLite's write-ahead log into the file we read
    database = b"".join(Path(p).read_bytes() for p in _database_files())

    for secret in plaintexts(sample_secrets):
        assert secret.encode() not in database
        assert not [p for p in pages if secret in p]
        assert not [a for a in audit if secret in a]
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() >= 3
    assert admin.site.is_registered(LogEntry)


def _database_files() -> list[str]:
    name = connection.settings_dict["NAME"]
    return [p for p in (name, f"{name}-wal") if Path(p).exists()]
