"""Every entry a request writes says where it came from: the address (only trusted proxies believed), the
request's id and the browser; a caller cannot choose its address or its correlation id."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

pytestmark = pytest.mark.django_db


def test_an_entry_written_by_a_request_carries_its_id_browser_and_trusted_address(client, business_admin):
    client.force_login(business_admin)
    # Forged forwarding and a forged correlation id from a caller that is not a trusted proxy: ignored.
    response = client.get(
        "/admin/auditlog/logentry/export/?format=csv", REMOTE_ADDR="192.0.2.10",
        HTTP_X_FORWARDED_FOR="203.0.113.66", HTTP_X_CORRELATION_ID="forged", HTTP_USER_AGENT="Reviewer-Test/1.0",
    )  # fmt: skip
    assert response.status_code == 200
    b"".join(response.streaming_content)
    exported = LogEntry.objects.filter(additional_data__event="exported").get()
    assert exported.remote_addr == "192.0.2.10"
    assert exported.additional_data["user_agent"] == "Reviewer-Test/1.0"
    assert exported.cid == f"request:{exported.additional_data['request_id']}"
    assert response["X-Request-ID"] == exported.additional_data["request_id"]


def test_behind_a_trusted_proxy_the_forwarded_address_is_kept(client, business_admin, settings):
    settings.HUB_TRUSTED_PROXIES = ["10.0.0.0/8"]
    client.force_login(business_admin)
    response = client.get(
        "/admin/auditlog/logentry/export/?format=json",
        REMOTE_ADDR="10.1.2.3",
        HTTP_X_FORWARDED_FOR="203.0.113.66",
    )
    b"".join(response.streaming_content)
    assert LogEntry.objects.filter(additional_data__event="exported").get().remote_addr == "203.0.113.66"
