"""Pages whose query count does not grow with their rows: dead letters, the partner and key admin pages."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from hub.api.keys import api_key_issue
from hub.api.models import ApiKey, EntityGrant, FlowGrant
from hub.catalog.models import Entity
from hub.flows.models import Flow, Run
from hub.flows.runs import run_execute
from tests.api.conftest import order
from tests.api.test_push import push


def queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers or None)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


def test_listing_dead_letters_costs_the_same_for_two_or_five(client, keys, world):
    world.reject_when(lambda item: item.get("key") in {"SO-1", "SO-2", "SO-3", "SO-4", "SO-5"})
    header = keys.header("acme_orders")
    push(client, keys, {"records": [order(n) for n in range(1, 3)]}, ikey="a")
    run_execute(Run.objects.get().pk, worker="test")
    queries(client, "/api/v1/dead-letters/", **header)  # the key's last use is written once a minute
    two = queries(client, "/api/v1/dead-letters/", **header)
    push(client, keys, {"records": [order(n) for n in range(3, 6)]}, ikey="b")
    run_execute(Run.objects.get(state="queued").pk, worker="test")
    five = queries(client, "/api/v1/dead-letters/", **header)
    assert five == two


def test_the_partner_page_costs_the_same_for_three_keys_or_thirteen(client, keys, business_admin):
    acme = keys.rows["acme"].partner
    client.force_login(business_admin)
    for number in range(2):
        api_key_issue(key=ApiKey(partner=acme, name=f"k{number}"))
    few = queries(client, f"/admin/api/partner/{acme.pk}/change/")
    for number in range(2, 12):
        api_key_issue(key=ApiKey(partner=acme, name=f"k{number}"))
    assert queries(client, f"/admin/api/partner/{acme.pk}/change/") == few


def test_the_key_page_costs_the_same_for_one_grant_or_five(client, keys, business_admin):
    client.force_login(business_admin)
    key = keys.rows["acme"]
    one = queries(client, f"/admin/api/apikey/{key.pk}/change/")
    for flow in Flow.objects.all():
        FlowGrant.objects.get_or_create(key=key, flow=flow)
    EntityGrant.objects.create(key=key, entity=Entity.objects.get(name="Customer"), can_read=True)
    assert queries(client, f"/admin/api/apikey/{key.pk}/change/") == one
