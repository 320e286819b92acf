"""Holes a review found in issue 6's first version, each closed and kept closed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User

from connectors.base import ConnectorError
from hub.systems.models import System
from hub.systems.services import system_connector

pytestmark = pytest.mark.django_db


def viewer(*codenames: str) -> User:
    user = User.objects.create_user("vera", password="a-long-password-42", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_someone_who_may_only_view_mappings_is_not_offered_publish(client, demo):
    from hub.mappings.models import Mapping

    client.force_login(viewer("view_mapping"))
    mapping = Mapping.objects.order_by("pk").first()
    assert mapping is not None
    page = client.get("/admin/mappings/mapping/")
    assert page.status_code == 200
    assert 'value="publish"' not in page.content.decode()
    before = mapping.versions.count()
    client.post("/admin/mappings/mapping/", {"action": "publish", "_selected_action": [mapping.pk]})
    assert mapping.versions.count() == before


@pytest.mark.parametrize("prefix", ["/admin/rq/", "/admin/django_rq/dashboard/"])
def test_the_job_queues_refuse_changes_from_people_without_the_queue_permission(client, prefix):
    client.force_login(viewer("view_mapping"))
    assert client.post(f"{prefix}queues/0/empty/").status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "date_to=9999-12-31",
        "date_from=0001-01-01",
        "before=0001-01-01T00:00:00%2B14:00~1",
        "after=9999-12-31T23:59:59-14:00~1",
        "before=2026-01-01T00:00:00%2B00:00~99999999999999999999999",
    ],
)
def test_extreme_filters_and_cursors_are_a_message_never_a_500(client, business_admin, query):
    client.force_login(business_admin)
    assert client.get(f"/admin/auditlog/logentry/?{query}").status_code == 200
    assert client.get(f"/admin/auditlog/logentry/export/?format=csv&{query}").status_code in (200, 400)


def test_an_entry_id_that_is_not_a_plain_number_is_refused_not_a_500(client, business_admin):
    client.force_login(business_admin)
    assert client.get("/admin/auditlog/logentry/%C2%B2/change/").status_code in (400, 404)


def test_an_sql_system_cannot_be_the_hubs_own_database(db):
    own = Path(str(settings.DATABASES["default"]["NAME"])).resolve()
    system = System.objects.create(
        name="Sneaky", kind="sql", params={"url": f"sqlite:///{own}", "table": "auth_user"}
    )
    with pytest.raises(ConnectorError, match="hub's own database"):
        system_connector(system=system, reason="test")
    inside = Path(settings.VAR_DIR).resolve() / "anything.sqlite3"
    System.objects.filter(pk=system.pk).update(params={"url": f"sqlite:///{inside}", "table": "t"})
    system.refresh_from_db()
    with pytest.raises(ConnectorError, match="private folder"):
        system_connector(system=system, reason="test")


def test_a_webhook_secret_never_reaches_the_audit_trail(demo):
    from auditlog.models import LogEntry

    from hub.flows.inbound import webhook_secret_set
    from hub.flows.models import Flow

    flow = Flow.objects.order_by("pk").first()
    if flow is None:
        pytest.skip("needs a flow")
    webhook_secret_set(flow=flow)
    assert not LogEntry.objects.filter(changes_text__icontains="webhook_secret").exists()
