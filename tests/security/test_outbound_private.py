"""A name on HUB_OUTBOUND_HOSTS opens public addresses only: a private network (an internal ERP on 10.x)
is reached when whoever runs the hub lists its address or range, never through a name alone."""

from __future__ import annotations

import pytest

from connectors.outbound import LOOPBACK, HostNotAllowed, OutboundHosts
from hub.settings import read_outbound_hosts

SETTING_WORDS = "is not on the hub's list of systems it may connect to (HUB_OUTBOUND_HOSTS)"


def resolver(table):
    return lambda host, port: table.get(host, [])


# What a name leads to, and what whoever runs the hub would list to open it.
PRIVATE = [
    ("10.20.30.40", "10.20.30.40"),
    ("172.16.5.6", "172.16.5.6"),
    ("172.31.255.1", "172.31.255.1"),
    ("192.168.1.10", "192.168.1.10"),
    ("100.64.0.1", "100.64.0.1"),  # carrier-grade NAT
    ("fd12:3456::1", "fd12:3456::1"),  # unique-local
    ("0.1.2.3", "0.1.2.3"),  # "this network"
    ("::ffff:10.1.2.3", "10.1.2.3"),  # IPv4-mapped
    ("::ffff:127.0.0.1", "127.0.0.1"),
    ("2002:7f00:1::1", "127.0.0.1"),  # 6to4 carrying loopback
    ("2002:c0a8:10a::1", "192.168.1.10"),  # 6to4 carrying a private address
    ("64:ff9b::7f00:1", "127.0.0.1"),  # NAT64 carrying loopback
    ("64:ff9b::a14:1e28", "10.20.30.40"),  # NAT64 carrying a private address
]


@pytest.mark.parametrize(("address", "to_list"), PRIVATE)
def test_a_listed_name_leading_to_a_private_address_is_refused(address, to_list):
    hosts = OutboundHosts.parse(["erp.corp.example", "*.corp.example"])
    table = {"erp.corp.example": [address], "b.corp.example": ["203.0.113.7", address]}
    for name in ("erp.corp.example", "b.corp.example"):
        with pytest.raises(HostNotAllowed) as caught:
            hosts.check(name, 5432, resolver=resolver(table))
        message = caught.value.message
        assert message.startswith(f"{name} {SETTING_WORDS}: the name leads to {address}")
        assert "a name on the list opens only public addresses" in message
        assert f"ask whoever runs the hub to add {to_list}" in message
        assert message.endswith("to HUB_OUTBOUND_HOSTS.")


@pytest.mark.parametrize(("address", "to_list"), PRIVATE)
def test_listing_the_address_or_its_range_opens_it(address, to_list):
    table = {"erp.corp.example": [address]}
    for entry in (to_list, f"{to_list}/24" if "." in to_list else f"{to_list}/64"):
        hosts = OutboundHosts.parse(["erp.corp.example", entry])
        hosts.check("erp.corp.example", 5432, resolver=resolver(table))
        OutboundHosts.parse([entry]).check("erp.corp.example", 5432, resolver=resolver(table))


def test_the_message_says_where_the_name_leads_and_what_to_list():
    hosts = OutboundHosts.parse(["erp.corp.example"])
    with pytest.raises(HostNotAllowed) as caught:
        hosts.check("erp.corp.example", 5432, resolver=resolver({"erp.corp.example": ["10.20.30.40"]}))
    assert caught.value.message == (
        f"erp.corp.example {SETTING_WORDS}: the name leads to 10.20.30.40, an address of a private "
        "network, which is not on the list; a name on the list opens only public addresses. If the hub "
        "should connect to it, ask whoever runs the hub to add 10.20.30.40 (or a range that holds it, "
        "such as 10.20.30.0/24) to HUB_OUTBOUND_HOSTS."
    )
    assert caught.value.permanent


def test_an_embedded_address_is_named_in_the_message():
    hosts = OutboundHosts.parse(["erp.corp.example"])
    table = {"erp.corp.example": ["2002:7f00:1::1"]}
    with pytest.raises(HostNotAllowed) as caught:
        hosts.check("erp.corp.example", 5432, resolver=resolver(table))
    assert "leads to 2002:7f00:1::1 (which carries 127.0.0.1, an address of this machine)" in (
        caught.value.message
    )


def test_a_private_range_on_the_list_does_not_open_its_neighbours():
    hosts = OutboundHosts.parse(["*.corp.example", "10.20.0.0/16"])
    table = {"erp.corp.example": ["10.20.1.5"], "hr.corp.example": ["10.21.0.9"]}
    hosts.check("erp.corp.example", 5432, resolver=resolver(table))
    hosts.check("10.20.200.1", 5432)
    with pytest.raises(HostNotAllowed, match=r"leads to 10\.21\.0\.9, an address of a private network"):
        hosts.check("hr.corp.example", 5432, resolver=resolver(table))
    with pytest.raises(HostNotAllowed, match=r"add 10\.21\.0\.9 \(or a range that holds it"):
        hosts.check("10.21.0.9", 5432)


def test_a_public_address_behind_nat64_or_6to4_is_public():
    """On an IPv6-only network, DNS64 gives 64:ff9b::<IPv4> for a public system: a listed name reaches it."""
    hosts = OutboundHosts.parse(["crm.example.com"])
    for address in ("64:ff9b::cb00:7107", "2002:cb00:7107::1"):  # both carry 203.0.113.7
        hosts.check("crm.example.com", 443, resolver=resolver({"crm.example.com": [address]}))


def test_the_default_under_debug_still_opens_this_machine_and_nothing_private():
    hosts = OutboundHosts.parse(read_outbound_hosts(None, debug=True))
    assert hosts == LOOPBACK
    for host in ("localhost", "127.0.0.1", "[::1]", "::ffff:127.0.0.1"):
        hosts.check(host, 80)
    for host in ("10.0.0.1", "192.168.1.1", "fd00::1"):
        with pytest.raises(HostNotAllowed):
            hosts.check(host, 80)
