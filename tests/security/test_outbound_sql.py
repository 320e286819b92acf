"""The SQL connector checks where each PostgreSQL connection goes when it opens it, and connects to the
address it checked: a name whose address changes after the check (DNS rebinding) cannot lead it
elsewhere. DNS is faked (it is not the hub's code); the database is a real PostgreSQL server."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from connectors.base import ConfigurationError, ConnectorConfig
from connectors.outbound import LOOPBACK, HostNotAllowed, OutboundHosts
from connectors.sql import SqlConnector
from connectors.sql.hosts import NotResolved, checked_params
from tests.connectors.sql.conftest import postgres  # noqa: F401 - the PostgreSQL cluster fixture
from tests.connectors.sql.postgres import PASSWORD, Cluster

SETTING_WORDS = "is not on the hub's list of systems it may connect to (HUB_OUTBOUND_HOSTS)"


class FakeDns:
    """Answers for the names in ``answers`` (one list of addresses per lookup, the last one repeated),
    the real resolver for any other name. Every lookup of a faked name is counted."""

    def __init__(self, answers: dict[str, list[list[str]]]):
        self.answers = answers
        self.lookups: list[str] = []
        self.real = socket.getaddrinfo

    def __call__(self, host, port, *args, **kwargs):
        if host not in self.answers:
            return self.real(host, port, *args, **kwargs)
        replies = self.answers[host]
        addresses = replies[min(len(self.lookups), len(replies) - 1)]
        self.lookups.append(host)
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [info for address in addresses for info in self.real(address, port, *args, **kwargs)]


@pytest.fixture
def dns(monkeypatch) -> Callable[..., FakeDns]:
    def install(answers: dict[str, list[list[str]]]) -> FakeDns:
        fake = FakeDns(answers)
        monkeypatch.setattr(socket, "getaddrinfo", fake)
        return fake

    return install


@pytest.fixture
def connector(postgres: Cluster) -> Iterator[Callable[..., SqlConnector]]:  # noqa: F811 - the fixture imported above
    made: list[SqlConnector] = []

    def make(host: str, allowed: list[str]) -> SqlConnector:
        url = postgres.url("erp").replace("127.0.0.1", host)
        values = {"url": url, "connect_timeout": 3}
        config = ConnectorConfig("ERP", values, {"password": PASSWORD}, OutboundHosts.parse(allowed))
        made.append(SqlConnector(config))
        return made[-1]

    yield make
    for one in made:
        one.close()


def test_the_connection_goes_to_the_address_that_was_checked(dns, connector):
    """The name leads first to 127.0.0.2 (listed; nothing listens there), then to 127.0.0.1 (not listed,
    where the database is). Resolving again for the connection would reach the database."""
    fake = dns({"rebind.example": [["127.0.0.2"], ["127.0.0.1"]]})
    result = connector("rebind.example", ["rebind.example", "127.0.0.2"]).probe()
    assert not result.ok
    assert "Connection refused" in result.message
    assert fake.lookups == ["rebind.example"]


def test_each_new_connection_is_checked_again(dns, connector):
    fake = dns({"rebind.example": [["127.0.0.1"], ["127.0.0.2"]]})
    erp = connector("rebind.example", ["rebind.example", "127.0.0.1"])
    assert erp.probe().ok
    assert fake.lookups == ["rebind.example"]  # the driver did not look the name up again
    with erp.engine.connect() as connection:  # pooled: no new connection, no new lookup
        info = connection.connection.dbapi_connection.info
        assert (info.host, info.hostaddr) == ("rebind.example", "127.0.0.1")  # the name kept for TLS
    erp.engine.dispose()
    with pytest.raises(HostNotAllowed) as caught:
        erp.probe()
    assert caught.value.message.startswith(f"rebind.example {SETTING_WORDS}: the name leads to 127.0.0.2")
    assert "ask whoever runs the hub to add 127.0.0.2 to HUB_OUTBOUND_HOSTS" in caught.value.message
    assert fake.lookups == ["rebind.example", "rebind.example"]


def test_every_address_of_a_name_is_checked_and_tried(dns, connector):
    dns({"pair.example": [["127.0.0.2", "127.0.0.1"]], "half.example": [["127.0.0.1", "10.0.0.7"]]})
    assert connector("pair.example", ["pair.example", "127.0.0.0/8"]).probe().ok
    with pytest.raises(HostNotAllowed, match=r"leads to 10\.0\.0\.7, an address of a private network"):
        connector("half.example", ["half.example", "127.0.0.0/8"]).probe()


def test_a_listed_name_leading_to_a_private_address_is_refused_before_connecting(dns, connector):
    fake = dns({"erp.corp.example": [["10.20.30.40"]]})
    with pytest.raises(HostNotAllowed, match=r"add 10\.20\.30\.40 \(or a range that holds it"):
        connector("erp.corp.example", ["erp.corp.example"]).probe()
    assert fake.lookups == ["erp.corp.example"]


def test_a_name_that_cannot_be_resolved_is_unreachable_not_a_crash(dns, connector):
    dns({"gone.example": [[]]})
    result = connector("gone.example", ["gone.example"]).probe()
    assert (result.reachable, result.ok) == (False, False)
    assert "The name gone.example could not be found (DNS)" in result.message


def test_the_default_under_debug_reaches_a_database_on_this_machine(connector):
    assert connector("127.0.0.1", ["localhost", "127.0.0.0/8", "::1"]).probe().ok
    assert connector("localhost", ["localhost", "127.0.0.0/8", "::1"]).probe().ok


def fixed(table):
    return lambda host, port: table.get(host, [])


def test_the_connection_parameters_name_only_checked_addresses():
    allowed = OutboundHosts.parse(["*.corp.example", "10.0.0.0/8"])
    table = fixed({"a.corp.example": ["10.0.0.1", "10.0.0.2"], "b.corp.example": ["10.0.0.3"]})
    params = {"host": "a.corp.example,b.corp.example", "port": "5433,5434", "dbname": "erp"}
    assert checked_params(params, allowed, table) == {
        "host": "a.corp.example,a.corp.example,b.corp.example",
        "hostaddr": "10.0.0.1,10.0.0.2,10.0.0.3",
        "port": "5433,5433,5434",
    }
    assert checked_params({"host": "b.corp.example", "port": 5432}, allowed, table) == {
        "host": "b.corp.example",
        "hostaddr": "10.0.0.3",
    }


def test_a_socket_is_this_machine_and_a_given_hostaddr_is_checked_itself():
    assert checked_params({"host": "/var/run/postgresql"}, LOOPBACK) == {"host": "/var/run/postgresql"}
    assert checked_params({}, LOOPBACK) == {}
    with pytest.raises(HostNotAllowed, match=r"^localhost "):
        checked_params({"host": "/var/run/postgresql"}, OutboundHosts.parse(["10.0.0.0/8"]))
    allowed = OutboundHosts.parse(["db.example.com"])
    with pytest.raises(HostNotAllowed, match=r"^169\.254\.169\.254 "):
        checked_params({"host": "db.example.com", "hostaddr": "169.254.169.254"}, allowed)
    with pytest.raises(ConfigurationError, match="hostaddr must be an IP address"):
        checked_params({"host": "db.example.com", "hostaddr": "db.example.com"}, allowed)


def test_parameters_that_do_not_add_up_are_refused():
    allowed = OutboundHosts.parse(["127.0.0.0/8"])
    with pytest.raises(ConfigurationError, match="names 2 hosts but 1 hostaddr"):
        checked_params({"host": "127.0.0.1,127.0.0.2", "hostaddr": "127.0.0.1"}, allowed)
    with pytest.raises(ConfigurationError, match="names 2 hosts but 3 ports"):
        checked_params({"host": "127.0.0.1,127.0.0.2", "port": "1,2,3"}, allowed)
    with pytest.raises(ConfigurationError, match="not a service"):
        checked_params({"service": "erp"}, allowed)
    with pytest.raises(NotResolved):
        checked_params({"host": "nowhere.example"}, OutboundHosts.parse(["nowhere.example"]), fixed({}))
