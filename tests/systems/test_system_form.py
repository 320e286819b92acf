"""The system form is built from the connector kind's declared parameters and explains what is wrong."""

from __future__ import annotations

import pytest

from hub.systems.models import Secret, System

pytestmark = pytest.mark.django_db


def change_data(system: System, **overrides: str) -> dict[str, str]:
    data = {
        "name": system.name,
        "description": "",
        "owner_team": "",
        "contact": "",
        "environment": "production",
        "status": "active",
        **{f"param__{k}": str(v) for k, v in system.params.items()},
    }
    data.update(overrides)
    return data


def test_editing_a_system_with_a_bad_setting_is_refused_next_to_the_field(client, business_admin, demo):
    client.force_login(business_admin)
    crm = System.objects.get(name="CRM")
    response = client.post(
        f"/admin/systems/system/{crm.pk}/change/", change_data(crm, param__page_size="5000")
    )
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 1000." in response.content.decode()
    crm.refresh_from_db()
    assert crm.params["page_size"] == 50


def test_switching_to_basic_auth_without_a_password_names_the_missing_secret(client, business_admin, demo):
    client.force_login(business_admin)
    crm = System.objects.get(name="CRM")
    response = client.post(
        f"/admin/systems/system/{crm.pk}/change/",
        change_data(crm, param__auth_style="basic", param__username="hub"),
    )
    assert response.status_code == 200
    assert "&#x27;Password&#x27; is required when auth_style is basic" in response.content.decode()
    crm.refresh_from_db()
    assert crm.params["auth_style"] == "bearer"


def test_a_stored_secret_is_never_shown_again_only_when_and_by_whom(
    client, business_admin, demo, sample_secrets
):
    client.force_login(business_admin)
    crm = System.objects.get(name="CRM")
    page = client.get(f"/admin/systems/system/{crm.pk}/change/").content.decode()
    assert sample_secrets["crm_token"] not in page
    assert "Set on" in page
    assert "by the system, last used never" in page


def test_leaving_a_secret_empty_keeps_it_and_typing_one_replaces_it(client, business_admin, demo):
    client.force_login(business_admin)
    crm = System.objects.get(name="CRM")
    before = Secret.objects.get(system=crm).ciphertext
    assert client.post(f"/admin/systems/system/{crm.pk}/change/", change_data(crm)).status_code == 302
    assert Secret.objects.get(system=crm).ciphertext == before
    data = change_data(crm, param__bearer_token="new-token-for-crm")
    assert client.post(f"/admin/systems/system/{crm.pk}/change/", data).status_code == 302
    secret = Secret.objects.get(system=crm)
    assert secret.ciphertext != before
    assert secret.set_by == business_admin
