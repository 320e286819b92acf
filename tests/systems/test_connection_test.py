"""'Test connection' against the real sample systems, with right and wrong credentials."""

from __future__ import annotations

import socket

import pytest

from hub.systems.models import System
from hub.systems.services import system_save

pytestmark = pytest.mark.django_db


def click_test_connection(client, system: System) -> str:
    response = client.post(f"/admin/systems/system/{system.pk}/test-connection/", follow=True)
    assert response.status_code == 200
    return " ".join(str(m) for m in response.context["messages"])


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("name", ["CRM", "ERP", "Billing"])
def test_each_demo_system_answers_with_the_demo_credentials(client, business_admin, demo, name):
    client.force_login(business_admin)
    system = System.objects.get(name=name)
    message = click_test_connection(client, system)
    assert f"{name}: Connection works" in message
    system.refresh_from_db()
    assert system.last_probe_ok is True


def test_a_wrong_secret_is_reported_as_refused_credentials(client, business_admin, demo):
    client.force_login(business_admin)
    crm = System.objects.get(name="CRM")
    system_save(
        system=crm, params=crm.params, secrets={"bearer_token": "wrong-token-123"}, actor=business_admin
    )
    message = click_test_connection(client, crm)
    assert "Connection failed" in message
    assert "refused the credentials" in message
    assert "wrong-token-123" not in message


def test_a_token_with_a_character_http_cannot_carry_is_explained_not_a_crash(client, business_admin, demo):
    client.force_login(business_admin)
    crm = System.objects.get(name="CRM")
    system_save(
        system=crm, params=crm.params, secrets={"bearer_token": "tökén€-pasted"}, actor=business_admin
    )
    message = click_test_connection(client, crm)
    assert "Connection failed" in message
    assert "Latin-1" in message
    assert "tökén€" not in message


def test_someone_who_may_only_view_cannot_decrypt_by_testing(client, demo):
    from django.contrib.auth.models import Permission, User

    viewer = User.objects.create_user("vera", password="view-only-pass-1", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_system"))
    client.force_login(viewer)
    crm = System.objects.get(name="CRM")
    client.post(f"/admin/systems/system/{crm.pk}/test-connection/")
    crm.refresh_from_db()
    assert crm.last_probe_at is None
    listing = client.get("/admin/systems/system/").content.decode()
    assert "test_connection" not in listing


def test_an_unreachable_system_says_so(client, business_admin, demo):
    client.force_login(business_admin)
    erp = System.objects.get(name="ERP")
    erp.params = {**erp.params, "base_url": f"http://127.0.0.1:{closed_port()}"}
    erp.save(update_fields=["params"])
    message = click_test_connection(client, erp)
    assert "Connection failed" in message
    assert "refused" in message.lower()
    erp.refresh_from_db()
    assert erp.last_probe_ok is False
