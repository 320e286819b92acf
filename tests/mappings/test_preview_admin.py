"""The admin's mapping preview on the demo's dirty records, pasted and fetched from the real CRM."""

from __future__ import annotations

import json

import pytest

from hub.mappings.models import Mapping

pytestmark = pytest.mark.django_db

SCHEMA_BREAKER = {  # the CRM's C-1013, as the sample CRM serves it
    "id": "C-1013",
    "first_name": 42,
    "last_name": "Nowak",
    "email": "not-an-email",
    "phone": "+49 40 5550100",
    "status": "A",
    "updated_at": "2026-11-02T10:00:00Z",
}


def preview(client, mapping: Mapping, **data):
    response = client.post(f"/admin/mappings/mapping/{mapping.pk}/preview/", data)
    assert response.status_code == 200
    return response


def crm_inbound() -> Mapping:
    return Mapping.objects.get(system__name="CRM", entity__name="Customer", direction="inbound")


def test_a_record_that_breaks_the_schema_shows_every_problem_by_field(client, business_admin, demo):
    client.force_login(business_admin)
    response = preview(client, crm_inbound(), sample=json.dumps(SCHEMA_BREAKER), version="1")
    result = response.context["preview"]
    problems = {row.target: row.errors for row in result.rows if row.errors}
    assert set(problems) == {"email", "first_name"}
    assert "expected text" in " ".join(problems["first_name"]).lower()
    page = response.content.decode()
    assert "the record has problems" in page
    assert "+49405550100" in page  # the phone was put into E.164


def test_a_sample_fetched_from_the_real_crm_is_mapped(client, business_admin, demo):
    client.force_login(business_admin)
    response = preview(client, crm_inbound(), _fetch="1", sample="", version="")
    form = response.context["form"]
    sample = json.loads(form.data["sample"])
    assert sample["id"].startswith("C-")
    assert response.context["preview"] is not None
    assert response.context["fetch_error"] == ""


def test_not_json_is_refused_with_where_it_went_wrong(client, business_admin, demo):
    client.force_login(business_admin)
    response = preview(client, crm_inbound(), sample='{"email": "a@b.de",}', version="")
    assert "This is not valid JSON" in response.content.decode()
    assert "line 1, column" in response.content.decode()


def test_fetching_from_an_unreachable_system_says_so(client, business_admin, demo):
    client.force_login(business_admin)
    mapping = crm_inbound()
    system = mapping.system
    system.params = {**system.params, "base_url": "http://127.0.0.1:9"}
    system.save(update_fields=["params"])
    response = preview(client, mapping, _fetch="1", sample="", version="")
    assert "Could not fetch a sample from CRM" in response.context["fetch_error"]


def test_a_fetched_sample_comes_from_the_mappings_own_resource(client, business_admin, demo):
    client.force_login(business_admin)
    orders = Mapping.objects.get(system__name="ERP", entity__name="Order", direction="inbound")
    response = preview(client, orders, _fetch="1", sample="", version="")
    sample = json.loads(response.context["form"].data["sample"])
    assert sample["order_no"].startswith("SO-")
