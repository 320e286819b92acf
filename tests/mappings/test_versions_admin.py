"""Publishing makes a new version after a confirmation; an earlier version can be restored."""

from __future__ import annotations

import pytest

from hub.mappings.models import Mapping, MappingRule, MappingVersion

pytestmark = pytest.mark.django_db


def crm_inbound() -> Mapping:
    return Mapping.objects.get(system__name="CRM", entity__name="Customer", direction="inbound")


def run_action(client, url: str, action: str, pk: int, **extra):
    return client.post(url, {"action": action, "_selected_action": [pk], **extra})


def test_publish_asks_first_then_makes_version_two_and_restore_brings_back_version_one(
    client, business_admin, demo
):
    client.force_login(business_admin)
    mapping = crm_inbound()
    MappingRule.objects.filter(mapping=mapping, target="company").update(transforms=["trim", "upper"])
    page = client.get(f"/admin/mappings/mapping/{mapping.pk}/change/").content.decode()
    assert "differ from version 1" in page

    confirm = run_action(client, "/admin/mappings/mapping/", "publish", mapping.pk)
    assert confirm.status_code == 200
    assert "Yes, publish" in confirm.content.decode()
    assert mapping.versions.count() == 1  # nothing happens before the confirmation

    done = run_action(
        client, "/admin/mappings/mapping/", "publish", mapping.pk, confirmed="yes", note="Upper"
    )
    assert done.status_code == 302
    latest = mapping.versions.get(number=2)
    assert latest.published_by == business_admin
    assert latest.note == "Upper"
    assert {"source": "company", "target": "company", "transforms": ["trim", "upper"]} in latest.rules

    first = mapping.versions.get(number=1)
    url = "/admin/mappings/mappingversion/"
    assert run_action(client, url, "restore", first.pk, confirmed="yes").status_code == 302
    assert MappingRule.objects.get(mapping=mapping, target="company").transforms == ["trim"]
    assert MappingVersion.objects.filter(mapping=mapping).count() == 2  # restoring does not publish


def test_a_draft_that_no_longer_fits_the_entity_is_not_published(client, business_admin, demo):
    client.force_login(business_admin)
    mapping = crm_inbound()
    MappingRule.objects.filter(mapping=mapping, target="company").update(target="firm")
    response = run_action(client, "/admin/mappings/mapping/", "publish", mapping.pk, confirmed="yes", note="")
    messages = " ".join(str(m) for m in response.wsgi_request._messages)
    assert "'firm' is not a field of Customer" in messages
    assert mapping.versions.count() == 1
