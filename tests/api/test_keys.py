"""Keys: missing, wrong, expired, revoked, suspended, from the wrong address, too fast; shown once, stored hashed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hub.api.models import ApiKey
from tests.api.test_push import assert_problem

FLOWS = "/api/v1/flows/"


def test_no_key_is_401_with_the_scheme_to_use(client, keys):
    response = client.get(FLOWS)
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Api-Key")


@pytest.mark.parametrize(
    "header",
    ["Bearer abc", "Api-Key ", "Api-Key nodot", "Api-Key zzzzzzzz.wrong-secret", "Api-Key " + "x" * 5000],
)
def test_a_wrong_key_is_401(client, keys, header):
    assert_problem(client.get(FLOWS, headers={"Authorization": header}), 401)


def test_the_right_prefix_with_the_wrong_secret_is_401(client, keys):
    prefix = keys.rows["acme"].prefix
    assert_problem(client.get(FLOWS, headers={"Authorization": f"Api-Key {prefix}.guess"}), 401)


def test_an_expired_key_is_401_and_says_so(client, keys):
    ApiKey.objects.filter(pk=keys.rows["acme"].pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    problem = assert_problem(client.get(FLOWS, headers=keys.header("acme_orders")), 401)
    assert "expired" in problem["detail"]


def test_a_revoked_key_is_refused_at_once(client, keys):
    from hub.api.keys import api_key_revoke

    assert client.get(FLOWS, headers=keys.header("acme_orders")).status_code == 200
    api_key_revoke(key=ApiKey.objects.get(pk=keys.rows["acme"].pk))
    problem = assert_problem(client.get(FLOWS, headers=keys.header("acme_orders")), 401)
    assert "revoked" in problem["detail"]


def test_a_suspended_partner_is_refused(client, keys):
    partner = keys.rows["acme"].partner
    partner.is_active = False
    partner.save()
    assert_problem(client.get(FLOWS, headers=keys.header("acme_orders")), 401)


def test_a_key_outside_its_addresses_is_403(client, keys):
    ApiKey.objects.filter(pk=keys.rows["acme"].pk).update(allowed_networks="203.0.113.0/24\n2001:db8::/32")
    assert_problem(client.get(FLOWS, headers=keys.header("acme_orders")), 403)
    ApiKey.objects.filter(pk=keys.rows["acme"].pk).update(allowed_networks="127.0.0.0/8")
    assert client.get(FLOWS, headers=keys.header("acme_orders")).status_code == 200


def test_calls_over_the_keys_rate_are_429_with_retry_after(client, keys):
    ApiKey.objects.filter(pk=keys.rows["acme"].pk).update(rate_limit_per_minute=3)
    statuses = [client.get(FLOWS, headers=keys.header("acme_orders")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get(FLOWS, headers=keys.header("acme_orders"))
    assert_problem(limited, 429)
    assert int(limited["Retry-After"]) >= 1
    assert client.get(FLOWS, headers=keys.header("globex_customers")).status_code == 200  # per key


def test_the_count_is_kept_in_redis_so_every_web_process_shares_it(client, keys):
    from django.core.cache import caches

    for _ in range(2):
        assert client.get(FLOWS, headers=keys.header("acme_orders")).status_code == 200
    from hub.api.throttling import counter_key

    assert caches["shared"].get(counter_key(keys.rows["acme"].prefix)) == 2


def test_with_redis_unreachable_calls_go_on_and_are_counted_in_the_process(
    client, keys, settings, monkeypatch
):
    import socket

    from hub.api import throttling

    monkeypatch.setattr(throttling, "_shared_down_until", 0.0)
    with socket.socket() as closed:  # bound, never listening: connecting is refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        settings.CACHES = {
            **settings.CACHES,
            "shared": {**settings.CACHES["shared"], "LOCATION": f"redis://127.0.0.1:{port}/0"},
        }
        ApiKey.objects.filter(pk=keys.rows["acme"].pk).update(rate_limit_per_minute=2)
        statuses = [client.get(FLOWS, headers=keys.header("acme_orders")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert throttling._shared_down_until > 0


def test_last_use_is_recorded(client, keys):
    client.get(FLOWS, headers=keys.header("acme_orders"), REMOTE_ADDR="127.0.0.1")
    key = ApiKey.objects.get(pk=keys.rows["acme"].pk)
    assert key.last_used_at is not None
    assert key.last_used_from == "127.0.0.1"


def test_the_admin_shows_a_new_key_once_then_only_its_prefix(client, keys, business_admin):
    from hub.api.models import Partner

    client.force_login(business_admin)
    partner = Partner.objects.get(name="Acme Retail")
    form = {
        "partner": partner.pk, "name": "Second key", "rate_limit_per_minute": 60, "allowed_networks": "",
        "entity_grants-TOTAL_FORMS": 0, "entity_grants-INITIAL_FORMS": 0,
        "flow_grants-TOTAL_FORMS": 0, "flow_grants-INITIAL_FORMS": 0,
    }  # fmt: skip
    created = client.post("/admin/api/apikey/add/", form)
    assert created.status_code == 200, created.content[:2000]
    assert "no-store" in created["Cache-Control"]
    key = ApiKey.objects.get(name="Second key")
    secret = created.context["secret"]
    assert secret.startswith(key.prefix + ".")
    assert secret not in key.hashed_key
    assert client.get(FLOWS, headers={"Authorization": f"Api-Key {secret}"}).status_code == 200

    for page in (
        f"/admin/api/apikey/{key.pk}/change/",
        "/admin/api/apikey/",
        f"/admin/api/partner/{partner.pk}/change/",
    ):
        html = client.get(page).content.decode()
        assert key.prefix in html
        assert secret not in html
        assert key.hashed_key not in html
        assert key.hashed_key.split("$")[-1] not in html


def test_behind_a_trusted_proxy_the_forwarded_address_is_checked(client, keys, settings):
    ApiKey.objects.filter(pk=keys.rows["acme"].pk).update(allowed_networks="203.0.113.0/24")
    via_proxy = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.9, 10.0.0.7"}
    assert_problem(client.get(FLOWS, headers=keys.header("acme_orders"), **via_proxy), 403)  # not trusted

    settings.HUB_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client.get(FLOWS, headers=keys.header("acme_orders"), **via_proxy).status_code == 200
    forged = {"REMOTE_ADDR": "198.51.100.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}  # not from a proxy
    assert_problem(client.get(FLOWS, headers=keys.header("acme_orders"), **forged), 403)
    spoofed = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.1"}
    assert_problem(client.get(FLOWS, headers=keys.header("acme_orders"), **spoofed), 403)  # nearest wins
