"""The connectors refuse a host not on the list before sending anything, and "Test connection" says so."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator

import pytest

from connectors.base import ConfigurationError, ConnectorConfig, ConnectorError
from connectors.http_json import HttpJsonConnector
from connectors.outbound import HostNotAllowed, OutboundHosts
from connectors.sql import SqlConnector
from hub.systems.models import System
from tests.connectors.personas import secrets_for, style_values, values
from tests.connectors.servers import FakeApi, Reply

SETTING_WORDS = "is not on the hub's list of systems it may connect to (HUB_OUTBOUND_HOSTS)"


@pytest.fixture
def api() -> Iterator[FakeApi]:
    server = FakeApi().start()
    server.on("GET", "/", Reply(200, {"ok": True}))
    server.on("GET", "/records", Reply(200, [{"id": 1}]))
    yield server
    server.stop()


def http(settings: dict[str, object], allowed: list[str], secrets: dict[str, str] | None = None):
    config = ConnectorConfig("CRM", settings, secrets or {}, OutboundHosts.parse(allowed))
    return HttpJsonConnector(config)


def test_a_host_not_on_the_list_is_refused_before_anything_is_sent(api):
    connector = http(values(api.url), ["crm.example.com"])
    with pytest.raises(HostNotAllowed) as caught:
        connector.probe()
    assert caught.value.message.startswith(f"127.0.0.1 {SETTING_WORDS}")
    assert caught.value.permanent
    with pytest.raises(HostNotAllowed):
        list(connector.fetch(resource="/records"))
    assert api.seen == []


def test_a_host_on_the_list_is_reached(api):
    connector = http(values(api.url), ["127.0.0.1"])
    assert connector.probe().ok
    assert [page.records for page in connector.fetch(resource="/records")] == [[{"id": 1}]]


def test_a_listed_name_that_resolves_to_loopback_is_refused(api):
    """localhost is on the list by name, but it leads to 127.0.0.1, which is not."""
    connector = http(values(api.url.replace("127.0.0.1", "localhost")), ["localhost"])
    with pytest.raises(HostNotAllowed) as caught:
        connector.probe()
    assert "the name leads to 127.0.0.1" in caught.value.message or "leads to ::1" in caught.value.message
    assert api.seen == []


def test_the_oauth2_token_address_is_checked_too(api):
    settings = style_values(api.url, "oauth2")
    settings["oauth2_token_url"] = settings["oauth2_token_url"].replace("127.0.0.1", "127.0.0.2")
    connector = http(settings, ["127.0.0.1"], secrets_for("oauth2"))
    with pytest.raises(HostNotAllowed, match=r"^127\.0\.0\.2 is not on the hub's list"):
        connector.probe()
    assert api.seen == []


def test_a_next_page_link_to_another_host_is_not_followed(api):
    link = f'<{api.url.replace("127.0.0.1", "localhost")}/records?page=2>; rel="next"'
    api.on("GET", "/records", Reply(200, [{"id": 1}], headers={"Link": link}))
    connector = http(values(api.url, pagination="link"), ["127.0.0.0/8", "localhost"])
    with pytest.raises(ConnectorError) as caught:
        list(connector.fetch(resource="/records"))
    assert caught.value.permanent
    assert len(api.seen) == 1


def test_a_database_host_not_on_the_list_is_refused():
    for url in (
        "postgresql+psycopg://hub@db.example.com:5432/erp",
        "postgresql+psycopg://hub@127.0.0.1:5432/erp?host=169.254.169.254",
        "postgresql+psycopg://hub@127.0.0.1:5432/erp?hostaddr=169.254.169.254",
        "postgresql+psycopg://hub@/erp?host=127.0.0.1,169.254.169.254",
    ):
        connector = SqlConnector(ConnectorConfig("ERP", {"url": url}, {}, OutboundHosts.parse(["127.0.0.1"])))
        with pytest.raises(HostNotAllowed) as caught:
            connector.probe()
        assert SETTING_WORDS in caught.value.message


def test_a_database_on_a_unix_socket_counts_as_this_machine():
    url = "postgresql+psycopg://hub@/erp?host=/var/run/postgresql"
    connector = SqlConnector(ConnectorConfig("ERP", {"url": url}, {}, OutboundHosts.parse(["10.0.0.0/8"])))
    with pytest.raises(HostNotAllowed, match="localhost"):
        connector.probe()


def test_a_database_service_is_refused_since_its_host_cannot_be_checked():
    url = "postgresql+psycopg://hub@127.0.0.1/erp?service=erp"
    connector = SqlConnector(ConnectorConfig("ERP", {"url": url}, {}, OutboundHosts.parse(["127.0.0.1"])))
    with pytest.raises(ConfigurationError, match="must name its host, not a service"):
        connector.probe()


def test_an_sqlite_file_is_local_and_needs_no_entry(tmp_path):
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    connector = SqlConnector(
        ConnectorConfig("Shop", {"url": f"sqlite:///{path}", "table": "customers"}, {}, OutboundHosts())
    )
    try:
        assert connector.probe().ok
    finally:
        connector.close()


@pytest.mark.django_db
def test_test_connection_in_the_admin_shows_the_refusal(client, business_admin, demo, settings):
    settings.HUB_OUTBOUND_HOSTS = ["crm.example.com"]
    client.force_login(business_admin)
    crm = System.objects.get(name="CRM")
    response = client.post(f"/admin/systems/system/{crm.pk}/test-connection/", follow=True)
    message = " ".join(str(m) for m in response.context["messages"])
    assert "CRM: Connection failed" in message
    assert f"127.0.0.1 {SETTING_WORDS}" in message
    crm.refresh_from_db()
    assert crm.last_probe_ok is False
    assert SETTING_WORDS in crm.last_probe_message


@pytest.mark.django_db
def test_with_no_list_at_all_the_admin_says_nothing_is_allowed_yet(client, business_admin, demo, settings):
    settings.HUB_OUTBOUND_HOSTS = []
    client.force_login(business_admin)
    crm = System.objects.get(name="CRM")
    response = client.post(f"/admin/systems/system/{crm.pk}/test-connection/", follow=True)
    message = " ".join(str(m) for m in response.context["messages"])
    assert "the list is empty, so the hub connects to no system until it is set" in message


def test_a_name_that_changes_its_address_after_the_check_is_caught_on_connecting(api, monkeypatch):
    """DNS rebinding: the first lookup (the check) gives a public address, the next (the connection)
    this machine. The connection's peer address is checked too, so nothing is sent."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        address = "203.0.113.5" if len(lookups) == 1 else "127.0.0.1"
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    connector = http(values(api.url.replace("127.0.0.1", "rebind.example")), ["rebind.example"])
    with pytest.raises(HostNotAllowed) as caught:
        connector.probe()
    assert "the name leads to 127.0.0.1" in caught.value.message
    assert len(lookups) == 2
    assert api.seen == []
