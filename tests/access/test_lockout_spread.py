"""Sign-in lockout (hub/access/lockout.py) against one place posing as many: attempts refused during a
lockout count nowhere, one address never locks a name for its owner elsewhere, and an IPv6 /64 is one
address. Through the real admin login page, with the limits lowered as in test_lockout_tiers.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F

from tests.access.test_signin import PASSWORD, WRONG, entries, sign_in

pytestmark = pytest.mark.django_db

PAIR_LIMIT, ADDRESS_LIMIT, NAME_LIMIT = 5, 7, 9
HOME, ELSEWHERE = "203.0.113.7", "192.0.2.10"
NETWORK = "2001:db8:1:2"  # one IPv6 /64


@pytest.fixture(autouse=True)
def limits(settings):
    settings.HUB_LOGIN_ADDRESS_FAILURE_LIMIT = ADDRESS_LIMIT
    settings.HUB_LOGIN_NAME_FAILURE_LIMIT = NAME_LIMIT
    assert settings.AXES_FAILURE_LIMIT == PAIR_LIMIT
    return settings


def wrong(client, count: int, *, address: str = HOME, username: str = "beatrice", **meta) -> list[int]:
    return [
        sign_in(client, WRONG, username=username, address=address, **meta).status_code for _ in range(count)
    ]


def locked_after(allowed: int, count: int) -> list[int]:
    return [200] * allowed + [429] * (count - allowed)


def time_passes(minutes: int) -> None:
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes))


def test_one_address_cannot_lock_a_name_for_others_however_many_attempts(client, business_admin):
    assert wrong(client, 3 * NAME_LIMIT) == locked_after(PAIR_LIMIT - 1, 3 * NAME_LIMIT)
    assert wrong(client, NAME_LIMIT, HTTP_USER_AGENT="another browser") == [429] * NAME_LIMIT
    assert sign_in(client, PASSWORD, address=ELSEWHERE).status_code == 302


def test_attempts_refused_during_a_lockout_count_towards_no_other_tier(client, business_admin):
    assert wrong(client, PAIR_LIMIT + 10) == locked_after(PAIR_LIMIT - 1, PAIR_LIMIT + 10)
    # The address has PAIR_LIMIT failures, not PAIR_LIMIT + 10: it may still fail with other names up to
    # its own limit.
    others = [
        sign_in(client, WRONG, username=f"name-{n}").status_code for n in range(ADDRESS_LIMIT - PAIR_LIMIT)
    ]
    assert others == locked_after(ADDRESS_LIMIT - PAIR_LIMIT - 1, ADDRESS_LIMIT - PAIR_LIMIT)


def test_attempts_refused_during_a_lockout_do_not_extend_it(client, business_admin):
    assert wrong(client, PAIR_LIMIT) == locked_after(PAIR_LIMIT - 1, PAIR_LIMIT)
    time_passes(10)
    assert wrong(client, 1) == [429]
    time_passes(6)  # 16 minutes after the last counted failure: the 15-minute lockout is over
    assert sign_in(client, PASSWORD).status_code == 302


def test_one_address_counts_less_than_the_whole_name_limit(client, business_admin, limits):
    limits.HUB_LOGIN_NAME_FAILURE_LIMIT = 3  # below the first tier's: one address alone would reach it
    assert wrong(client, PAIR_LIMIT) == locked_after(PAIR_LIMIT - 1, PAIR_LIMIT)
    assert sign_in(client, PASSWORD, address=ELSEWHERE).status_code == 302
    client.logout()
    assert wrong(client, 1, address="198.51.100.1") == [429]  # a second address: now the name is locked


def test_failures_from_enough_addresses_lock_the_name_everywhere(client, business_admin):
    assert wrong(client, PAIR_LIMIT + 10, address="198.51.100.1") == locked_after(
        PAIR_LIMIT - 1, PAIR_LIMIT + 10
    )
    rest = NAME_LIMIT - PAIR_LIMIT
    assert wrong(client, rest, address="198.51.100.2") == locked_after(rest - 1, rest)
    assert sign_in(client, PASSWORD, address=ELSEWHERE).status_code == 429


def test_sixty_addresses_in_one_ipv6_64_are_one_address(client, business_admin):
    codes = [
        sign_in(client, WRONG, username=f"name-{n}", address=f"{NETWORK}::{n:x}").status_code
        for n in range(1, 61)
    ]
    assert codes == locked_after(ADDRESS_LIMIT - 1, 60)
    assert sign_in(client, PASSWORD, address=f"{NETWORK}:ffff:ffff:ffff:ffff").status_code == 429
    assert sign_in(client, PASSWORD, address="2001:db8:1:3::1").status_code == 302  # the next /64


def test_one_name_from_one_ipv6_64_is_the_first_tier(client, business_admin):
    codes = [sign_in(client, WRONG, address=f"{NETWORK}::{n:x}").status_code for n in range(1, 61)]
    assert codes == locked_after(PAIR_LIMIT - 1, 60)
    assert sign_in(client, PASSWORD, address=f"{NETWORK}::abcd").status_code == 429
    # Sixty addresses, but one network: the name is not locked for its owner elsewhere.
    assert sign_in(client, PASSWORD, address="2001:db8:9::1").status_code == 302


def test_an_ipv4_neighbour_is_not_affected(client, business_admin):
    codes = [
        sign_in(client, WRONG, username=f"name-{n}", address="198.51.100.66").status_code for n in range(10)
    ]
    assert codes == locked_after(ADDRESS_LIMIT - 1, 10)
    assert wrong(client, PAIR_LIMIT, address="198.51.100.66") == [429] * PAIR_LIMIT
    assert sign_in(client, PASSWORD, address="198.51.100.67").status_code == 302


def test_the_full_ipv6_address_is_kept(client, business_admin):
    assert wrong(client, 1, address=f"{NETWORK}::5") == [200]
    [entry] = entries("login_failed")
    assert entry.additional_data["ip"] == entry.remote_addr == f"{NETWORK}::5"
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [f"{NETWORK}::5"]
