"""The second and third sign-in lockout tiers (hub/access/lockout.py): one address trying many names, and
one name tried from many addresses; what a successful sign-in clears. Through the real admin login page.

The limits are lowered here (the settings fixture) only to keep the tests short; the defaults are checked
in test_signin.py. Each test stays under the other tiers' limits, so that only the tier it is about can lock.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.access.test_signin import PASSWORD, WRONG, sign_in

pytestmark = pytest.mark.django_db

ADDRESS_LIMIT, NAME_LIMIT = 7, 9
HOME = "203.0.113.7"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.HUB_LOGIN_ADDRESS_FAILURE_LIMIT = ADDRESS_LIMIT
    settings.HUB_LOGIN_NAME_FAILURE_LIMIT = NAME_LIMIT
    assert settings.AXES_FAILURE_LIMIT == 5
    return settings


@pytest.fixture
def mallory(db):
    """An insider with a real account of her own."""
    return get_user_model().objects.create_user("mallory", password="mallorys-own-password-1", is_staff=True)


def spray(client, count: int, *, address: str = HOME, first: int = 0) -> list[int]:
    """One wrong password for each of ``count`` different names from one address."""
    return [
        sign_in(client, WRONG, username=f"name-{n}", address=address).status_code
        for n in range(first, first + count)
    ]


def rotate(client, count: int, *, username: str = "beatrice", first: int = 0) -> list[int]:
    """One wrong password for one name from each of ``count`` different addresses."""
    return [
        sign_in(client, WRONG, username=username, address=f"198.51.100.{n}").status_code
        for n in range(first, first + count)
    ]


def test_one_address_trying_many_names_is_locked_at_the_address_limit(client, business_admin):
    assert spray(client, ADDRESS_LIMIT - 1) == [200] * (ADDRESS_LIMIT - 1)
    assert spray(client, 1, first=100) == [429]
    # Every name is refused from that address now, the right password included...
    assert sign_in(client, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # ...and nobody else is affected.
    assert sign_in(client, PASSWORD, address="192.0.2.10").status_code == 302


def test_one_name_tried_from_many_addresses_is_locked_everywhere_at_the_name_limit(client, business_admin):
    assert rotate(client, NAME_LIMIT - 1) == [200] * (NAME_LIMIT - 1)
    assert rotate(client, 1, first=100) == [429]
    # The name is refused from an address that never failed (the owner's too: the price of this tier)...
    assert sign_in(client, PASSWORD, address="192.0.2.10").status_code == 429
    # ...other names are not.
    get_user_model().objects.create_user("carla", password=PASSWORD, is_staff=True)
    assert sign_in(client, PASSWORD, username="carla", address="192.0.2.10").status_code == 302


def test_signing_in_with_ones_own_account_does_not_clear_the_address(client, business_admin, mallory):
    assert spray(client, ADDRESS_LIMIT - 1) == [200] * (ADDRESS_LIMIT - 1)
    assert sign_in(client, "mallorys-own-password-1", username="mallory").status_code == 302
    client.logout()
    assert spray(client, 1, first=100) == [429]


def test_the_owner_signing_in_does_not_clear_failures_from_other_addresses(client, business_admin):
    assert rotate(client, NAME_LIMIT - 1) == [200] * (NAME_LIMIT - 1)
    assert sign_in(client, PASSWORD, address="192.0.2.10").status_code == 302
    client.logout()
    assert rotate(client, 1, first=100) == [429]


def test_a_success_clears_that_names_failures_from_that_address(client, business_admin):
    # Four typos from home, then the right password: those four no longer count towards any tier.
    for _ in range(4):
        assert sign_in(client, WRONG).status_code == 200
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    assert rotate(client, NAME_LIMIT - 1) == [200] * (NAME_LIMIT - 1)
    assert spray(client, ADDRESS_LIMIT - 1) == [200] * (ADDRESS_LIMIT - 1)


def test_a_limit_of_zero_turns_a_tier_off(client, business_admin, limits):
    limits.HUB_LOGIN_ADDRESS_FAILURE_LIMIT = 0
    limits.HUB_LOGIN_NAME_FAILURE_LIMIT = 0
    assert spray(client, ADDRESS_LIMIT + 1) == [200] * (ADDRESS_LIMIT + 1)
    assert rotate(client, NAME_LIMIT + 1) == [200] * (NAME_LIMIT + 1)
    assert sign_in(client, PASSWORD, address="198.51.100.1").status_code == 302
