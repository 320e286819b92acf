"""Every admin page renders with the demo loaded, and no list issues a query per row."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 30


def admin_urls(model) -> dict[str, str]:
    opts = model._meta
    base = f"/admin/{opts.app_label}/{opts.model_name}/"
    urls = {"changelist": base}
    first = model._default_manager.order_by("pk").first()
    if first is not None:
        urls["change"] = f"{base}{first.pk}/change/"
    model_admin = admin.site._registry[model]
    if model_admin.has_add_permission(_superuser_request()):
        urls["add"] = f"{base}add/"
    return urls


def _superuser_request():
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = get_user_model()(is_superuser=True, is_staff=True, is_active=True)
    return request


def hub_models():
    return [m for m in admin.site._registry if m.__module__.startswith(("hub.", "demo."))]


def test_every_hub_admin_page_renders_within_a_query_budget(client, business_admin, demo):
    client.force_login(business_admin)
    checked = 0
    for model in hub_models():
        for kind, url in admin_urls(model).items():
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, f"{kind} {url}: {response.status_code}"
            assert len(queries) <= QUERY_BUDGET, f"{url} ran {len(queries)} queries"
            checked += 1
    assert checked >= 19  # 7 models: every list, change and (where allowed) add page


def test_lists_cost_the_same_with_more_rows(client, business_admin, demo):
    """Add rows to every list; a list that queries per row would need more queries."""
    from hub.catalog.models import Entity, EntityField, SourceOfTruth
    from hub.flows.models import Flow
    from hub.mappings.models import Mapping
    from hub.systems.models import System

    client.force_login(business_admin)
    lists = ["systems/system", "systems/secret", "catalog/entity", "catalog/sourceoftruth",
             "mappings/mapping",
             "mappings/mappingversion", "flows/flow"]  # fmt: skip
    before = {name: _count(client, f"/admin/{name}/") for name in lists}
    crm = System.objects.get(name="CRM")
    for n in range(5):
        entity = Entity.objects.create(name=f"Extra{n}")
        field = EntityField.objects.create(entity=entity, name="code")
        SourceOfTruth.objects.create(entity=entity, field=field, system=crm)
        Mapping.objects.create(entity=entity, system=crm, direction="inbound")
        flow = Flow.objects.create(
            name=f"Extra flow {n}", source=crm, entity=entity, business_outcome="x", freshness_minutes=5
        )
        flow.targets.add(System.objects.create(name=f"Extra system {n}", kind="http_json"))
    after = {name: _count(client, f"/admin/{name}/") for name in lists}
    assert after == before


def test_change_pages_cost_the_same_with_more_inline_rows(client, business_admin, demo):
    from hub.catalog.models import Entity, EntityField
    from hub.mappings.models import Mapping, MappingRule

    client.force_login(business_admin)
    customer = Entity.objects.get(name="Customer")
    mapping = Mapping.objects.filter(entity=customer, direction="inbound").earliest("pk")
    urls = [f"/admin/catalog/entity/{customer.pk}/change/", f"/admin/mappings/mapping/{mapping.pk}/change/"]
    before = [_count(client, url) for url in urls]
    for n in range(8):
        EntityField.objects.create(entity=customer, name=f"extra_{n}")
        MappingRule.objects.create(mapping=mapping, source=f"x{n}", target=f"extra_{n}", position=90 + n)
    assert [_count(client, url) for url in urls] == before


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)
