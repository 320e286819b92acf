"""People in each role, and a hub with a row in every admin list (so that every change page exists)."""

from __future__ import annotations

from typing import Any

import pytest

BUSINESS_ADMIN, OPERATOR, REVIEWER = "Business admin", "Operator", "Compliance reviewer"


def person(username: str, role: str) -> Any:
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username, f"{username}@example.com", "a-long-password-42", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    return {
        BUSINESS_ADMIN: person("bianca", BUSINESS_ADMIN),
        OPERATOR: person("oscar", OPERATOR),
        REVIEWER: person("rita", REVIEWER),
    }


@pytest.fixture
def world(demo: Any, business_admin: Any) -> dict[str, Any]:
    """The demo, plus one of everything a run, a partner and a failed sign-in leave behind."""
    from axes.models import AccessAttempt

    from hub.api.keys import api_key_issue
    from hub.api.models import ApiKey, Partner
    from hub.catalog.models import Conflict, Entity, Record
    from hub.flows.models import (
        Delivery,
        DeliveryAttempt,
        DeliveryState,
        Flow,
        Quarantined,
        RecordOutcome,
        Run,
    )
    from hub.systems.models import System

    flow = Flow.objects.order_by("pk").first()
    assert flow is not None
    crm, erp = System.objects.get(name="CRM"), System.objects.get(name="ERP")
    run = Run.objects.create(flow=flow, trigger="manual", state="succeeded")
    record = Record.objects.create(
        entity=Entity.objects.get(name="Customer"), data={"email": "a@example.com"}
    )
    RecordOutcome.objects.create(
        run=run, system=crm, external_id="c-1", page=1, outcome="created", record=record
    )
    Conflict.objects.create(
        record=record, field="email", system=erp, kept_value="a", offered_value="b", run=run
    )
    Quarantined.objects.create(flow=flow, run=run, system=crm, external_id="c-2", payload={"id": "c-2"})
    delivery = Delivery.objects.create(
        flow=flow, run=run, record=record, target=erp, idempotency_key="k" * 32, content_hash="h" * 32,
        payload={"email": "a@example.com"}, state=DeliveryState.DEAD, attempts=3, last_error="HTTP 500",
    )  # fmt: skip
    DeliveryAttempt.objects.create(
        delivery=delivery, at=run.queued_at, ok=False, error="HTTP 500", duration_ms=5
    )
    partner = Partner.objects.create(name="Acme", contact="it@acme.example")
    api_key_issue(key=ApiKey(partner=partner, name="orders"))
    AccessAttempt.objects.create(
        username="mallory", ip_address="192.0.2.1", user_agent="curl", failures_since_start=1,
        get_data="", post_data="", http_accept="*/*", path_info="/admin/login/",
    )  # fmt: skip
    return {"flow": flow, "record": record, "run": run}
