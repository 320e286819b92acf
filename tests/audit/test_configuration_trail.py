"""Every configuration change is in the audit trail, attributed, and without secret material."""

from __future__ import annotations

import io
from tempfile import NamedTemporaryFile

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from hub.configuration.export import config_dump, config_export
from hub.systems.models import Secret, System

pytestmark = pytest.mark.django_db


def entries_for(model, **filters):
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), **filters)


def test_an_admin_change_is_attributed_to_the_person_with_the_diff(client, business_admin, demo):
    client.force_login(business_admin)
    crm = System.objects.get(name="CRM")
    data = {
        "name": "CRM",
        "description": "Now with a better description.",
        "owner_team": "Sales Operations",
        "contact": "crm-admins@example.com",
        "environment": "production",
        "status": "active",
        "param__bearer_token": "a-brand-new-token-0042",
        **{f"param__{k}": str(v) for k, v in crm.params.items()},
    }
    assert client.post(f"/admin/systems/system/{crm.pk}/change/", data).status_code == 302

    change = entries_for(System, object_pk=str(crm.pk), action=LogEntry.Action.UPDATE).latest("timestamp")
    assert change.actor == business_admin
    assert change.changes["description"] == [crm.description, "Now with a better description."]
    secret_change = entries_for(Secret, action=LogEntry.Action.UPDATE).latest("timestamp")
    assert secret_change.actor == business_admin
    assert "ciphertext" not in secret_change.changes
    assert "a-brand-new-token-0042" not in str(secret_change.changes)


def test_an_import_is_attributed_to_whoever_ran_it(business_admin, demo):
    document = config_dump(config_export()).replace(
        "Where the sales team keeps people and companies.", "Where sales keeps its contacts."
    )
    out = io.StringIO()
    with NamedTemporaryFile("w", suffix=".yaml") as handle:
        handle.write(document)
        handle.flush()
        call_command("import_config", handle.name, "--as", "beatrice", stdout=out)

    change = entries_for(System, action=LogEntry.Action.UPDATE).latest("timestamp")
    assert change.actor == business_admin
    assert change.changes["description"][1].startswith("Where sales keeps its contacts.")
    assert "change  system CRM" in out.getvalue()


def test_decrypting_a_secret_for_a_connection_test_is_an_access_entry(client, business_admin, demo):
    client.force_login(business_admin)
    erp = System.objects.get(name="ERP")
    client.post(f"/admin/systems/system/{erp.pk}/test-connection/")
    access = entries_for(Secret, action=LogEntry.Action.ACCESS).latest("timestamp")
    assert access.actor == business_admin
    assert {k: v for k, v in access.additional_data.items() if k not in ("request_id", "user_agent")} == {
        "event": "decrypted",
        "accessed": "secret password",
        "reason": "connection test by beatrice",
    }
    assert access.cid == f"request:{access.additional_data['request_id']}"  # the request that decrypted it
