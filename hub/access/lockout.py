"""Admin sign-in lockout in three tiers, each with its own limit of failures within the cool-off time:

1. one user name from one address (``AXES_FAILURE_LIMIT``, HUB_LOGIN_FAILURE_LIMIT, 5): someone guessing
   one person's password from one place; the person themselves can still sign in from elsewhere;
2. one address, whatever the names (HUB_LOGIN_ADDRESS_FAILURE_LIMIT, 20): one place trying many names;
3. one user name, whatever the addresses (HUB_LOGIN_NAME_FAILURE_LIMIT, 30): many places trying one
   name. This tier locks the person out too (from everywhere), so one place alone must never reach it:
   each address counts towards it at most as many failures as the first tier allows (5), and never more
   than this limit less one. At the defaults it takes failures from at least six addresses; a limit of 1
   therefore never locks.

"An address" in all three tiers is an IPv4 address, or an IPv6 /64 network: one IPv6 subscriber usually
has a whole /64 and can pick any address in it, so counting single IPv6 addresses would let one place
rotate past every tier. (The audit trail and axes' own records keep the full address.)

An attempt refused because a tier is locked is not counted (in settings:
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False): it neither extends the lockout nor adds to another
tier. Without that, one address kept trying a name after its own lockout until the name tier locked the
owner out everywhere, and one attempt every few minutes kept the lockout going for ever. The audit trail
still records each refused attempt (login_failed).

A limit of 0 turns tiers 2 and 3 off. django-axes has one limit for all its lockout parameters, so this
handler counts the three tiers itself and hands axes, as "failures", the count of the tier nearest its own
limit, shifted onto axes' limit: axes then locks exactly when some tier has reached its limit.

A successful sign-in clears only the failures of that name from that exact address (AXES_LOCKOUT_PARAMETERS,
as before): signing in with one's own account never wipes failures against other names from the same
address, and the owner of a name under attack signing in never wipes the failures from other addresses.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections import defaultdict
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest

IPV6_GROUP_PREFIX = 64  # one IPv6 subscriber's network: counted as one address


class TieredLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        limit = get_failure_limit(request, credentials)
        failures = tier_failures(
            username=get_client_username(request, credentials),
            address=getattr(request, "axes_ip_address", None),
            since=get_cool_off_threshold(request),
            pair_limit=limit,
        )
        return max(limit - tier_limit + count for count, tier_limit in failures)


def tier_failures(
    *, username: str | None, address: str | None, since: dt.datetime, pair_limit: int
) -> list[tuple[int, int]]:
    """(failures since ``since``, limit) of each tier that applies: a tier needs its name or address, and a
    limit (0 is none)."""
    address_limit = settings.HUB_LOGIN_ADDRESS_FAILURE_LIMIT
    name_limit = settings.HUB_LOGIN_NAME_FAILURE_LIMIT
    group = address_group(address)
    per_group = _name_failures_by_group(username, address, since)
    tiers = [(per_group.get(group, 0), pair_limit)]
    if address and address_limit:
        tiers.append((_address_failures(address, group, since), address_limit))
    if username and name_limit:
        most = min(pair_limit, name_limit - 1)  # from one address: never the whole limit alone
        tiers.append((sum(min(count, most) for count in per_group.values()), name_limit))
    return tiers


def address_group(address: str | None) -> str | None:
    """The address as the tiers count it: an IPv4 address itself (also when written as IPv6-mapped), an
    IPv6 address its /64 network. Text that is no address stays as it is."""
    if not address:
        return address
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_GROUP_PREFIX), strict=False))
    return str(parsed)


def _name_failures_by_group(
    username: str | None, address: str | None, since: dt.datetime
) -> dict[str | None, int]:
    """The failures of one name since ``since``, by address group (the pair tier reads its own group)."""
    rows = AccessAttempt.objects.filter(attempt_time__gte=since, username=username)
    if not (username and settings.HUB_LOGIN_NAME_FAILURE_LIMIT):
        rows = rows.filter(_group_candidates(address))  # only the pair tier needs them
    return _sum_by_group(rows)


def _address_failures(address: str, group: str | None, since: dt.datetime) -> int:
    rows = AccessAttempt.objects.filter(_group_candidates(address), attempt_time__gte=since)
    return _sum_by_group(rows).get(group, 0)


def _sum_by_group(rows: QuerySet[AccessAttempt]) -> dict[str | None, int]:
    totals: dict[str | None, int] = defaultdict(int)
    for ip_address, failures in rows.values_list("ip_address", "failures_since_start").iterator():
        totals[address_group(ip_address)] += failures
    return totals


def _group_candidates(address: str | None) -> Q:
    """A database filter that keeps at least every row whose address is in the group of ``address``; the
    exact grouping is done in Python (how IPv6 text is shortened differs between databases). For IPv6 it
    keeps the rows whose first 16 bits match, so as not to read every IPv6 failure."""
    if not address:
        return Q(ip_address__isnull=True)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return Q(ip_address=address)
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is None:
        first = int(parsed) >> 112
        return Q(ip_address__contains=":") & (Q(ip_address__istartswith=f"{first:x}:") if first else Q())
    ipv4 = parsed.ipv4_mapped if isinstance(parsed, ipaddress.IPv6Address) else parsed
    return Q(ip_address__in=[str(ipv4), f"::ffff:{ipv4}"])
