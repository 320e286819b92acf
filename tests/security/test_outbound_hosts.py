"""The hub connects only to hosts on HUB_OUTBOUND_HOSTS: what the list holds and how it is checked."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from connectors.outbound import LOOPBACK, NOTHING, HostNotAllowed, OutboundHosts
from hub.settings import read_outbound_hosts

SETTING_WORDS = "is not on the hub's list of systems it may connect to (HUB_OUTBOUND_HOSTS)"


def resolver(table):
    return lambda host, port: table.get(host, [])


def test_every_kind_of_entry_is_read():
    hosts = OutboundHosts.parse(["crm.example.com", "*.corp.example", "10.1.2.3", "192.168.0.0/16", "::1"])
    assert hosts.names == {"crm.example.com"}
    assert hosts.suffixes == (".corp.example",)
    assert [str(n) for n in hosts.networks] == ["10.1.2.3/32", "192.168.0.0/16", "::1/128"]


@pytest.mark.parametrize(
    ("raw", "position", "entry", "words"),
    [
        (
            "crm.example.com, https://erp.example.com",
            2,
            "https://erp.example.com",
            "neither a host nor a range",
        ),
        ("crm.example.com,\nerp.example.com:8443", 2, "erp.example.com:8443", "names a port"),
        ("10.0.0.0/8, *, crm.example.com", 2, "*", "wildcard"),
        ("a.example\nb.example\n10.0.0.300", 3, "10.0.0.300", "not a host name"),
        ("crm example.com", 1, "crm example.com", "not a host name"),
        ("10.0.0.0/33", 1, "10.0.0.0/33", "neither a host nor a range"),
    ],
)
def test_a_bad_entry_stops_start_up_naming_it_and_its_place(raw, position, entry, words):
    with pytest.raises(ImproperlyConfigured) as caught:
        read_outbound_hosts(raw, debug=True)
    message = str(caught.value)
    assert message.startswith(f"HUB_OUTBOUND_HOSTS: entry {position}, {entry!r}, ")
    assert words in message


def test_unset_means_this_machine_under_debug_and_nothing_otherwise():
    assert read_outbound_hosts(None, debug=True) == ["localhost", "127.0.0.0/8", "::1"]
    assert read_outbound_hosts(None, debug=False) == []
    assert read_outbound_hosts("", debug=True) == []
    assert read_outbound_hosts(" crm.example.com ,\n10.0.0.0/8,", debug=False) == [
        "crm.example.com",
        "10.0.0.0/8",
    ]


def test_an_empty_list_refuses_everything_and_says_why():
    with pytest.raises(HostNotAllowed) as caught:
        NOTHING.check("127.0.0.1", 80)
    assert SETTING_WORDS in caught.value.message
    assert "the list is empty" in caught.value.message
    assert caught.value.permanent


def test_a_listed_name_may_lead_to_a_public_address():
    hosts = OutboundHosts.parse(["crm.example.com", "*.corp.example"])
    table = {"crm.example.com": ["203.0.113.7"], "erp.corp.example": ["198.51.100.40"]}
    hosts.check("crm.example.com", 443, resolver=resolver(table))
    hosts.check("ERP.corp.example.", 443, resolver=resolver(table))


REFUSED = ["127.0.0.1", "169.254.169.254", "0.0.0.0", "::1", "::ffff:127.0.0.1"]  # noqa: S104 - not a bind


@pytest.mark.parametrize("address", REFUSED)
def test_a_listed_name_leading_to_this_machine_or_the_metadata_address_is_refused(address):
    hosts = OutboundHosts.parse(["crm.example.com"])
    with pytest.raises(HostNotAllowed) as caught:
        hosts.check("crm.example.com", 443, resolver=resolver({"crm.example.com": ["203.0.113.7", address]}))
    assert SETTING_WORDS in caught.value.message
    assert "the name leads to" in caught.value.message
    assert "a name on the list opens only public addresses" in caught.value.message


def test_a_name_not_listed_is_refused_unless_all_its_addresses_are():
    hosts = OutboundHosts.parse(["10.0.0.0/8"])
    table = {"inside.example": ["10.1.1.1"], "half.example": ["10.1.1.1", "203.0.113.9"]}
    hosts.check("inside.example", 80, resolver=resolver(table))
    with pytest.raises(HostNotAllowed, match=r"half\.example"):
        hosts.check("half.example", 80, resolver=resolver(table))
    with pytest.raises(HostNotAllowed, match=r"unknown\.example"):
        hosts.check("unknown.example", 80, resolver=resolver(table))


def test_addresses_and_ranges():
    hosts = OutboundHosts.parse(["192.168.0.0/16", "2001:db8::/32"])
    hosts.check("192.168.4.5")
    hosts.check("[2001:db8::1]")
    for host in ("192.169.0.1", "10.0.0.1", "2001:db9::1"):
        with pytest.raises(HostNotAllowed, match=host.strip("[]")):
            hosts.check(host)


def test_a_wildcard_does_not_cover_the_domain_itself_nor_look_alikes():
    hosts = OutboundHosts.parse(["*.example.com"])
    table = {name: ["203.0.113.1"] for name in ("example.com", "evilexample.com", "a.b.example.com")}
    hosts.check("a.b.example.com", resolver=resolver(table))
    for name in ("example.com", "evilexample.com"):
        with pytest.raises(HostNotAllowed):
            hosts.check(name, resolver=resolver(table))


def test_a_real_name_for_loopback_is_caught_when_only_the_name_is_listed():
    """localhost resolves (through the system's resolver) to 127.0.0.1: listing the name is not enough."""
    with pytest.raises(HostNotAllowed) as caught:
        OutboundHosts.parse(["localhost"]).check("localhost", 80)
    assert "the name leads to 127.0.0.1, an address of this machine" in caught.value.message
    assert "ask whoever runs the hub to add 127.0.0.1 to HUB_OUTBOUND_HOSTS" in caught.value.message
    LOOPBACK.check("localhost", 80)
