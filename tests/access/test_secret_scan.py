"""The secrets scan itself (tests/access/secret_scan.py): it sees secrets being made, finds them in log
lines, responses and audit entries, and lets through only its two documented exceptions."""

from __future__ import annotations

import logging

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from hub.systems import vault
from tests.access.secret_scan import API_KEY, SCAN, VAULT, audit_haystacks

pytestmark = pytest.mark.django_db

PLAINTEXT = "scan-self-test-3f9Qw7Lk2"


def test_secrets_are_observed_where_they_are_made():
    from hub.api.keys import api_key_issue
    from hub.api.models import ApiKey, Partner

    token = vault.encrypt(PLAINTEXT)
    assert vault.decrypt(token) == PLAINTEXT  # observed, not replaced
    raw = api_key_issue(key=ApiKey(partner=Partner.objects.create(name="Scan"), name="k"))
    assert SCAN.needles[PLAINTEXT] == VAULT
    assert SCAN.needles[raw] == API_KEY
    vault.encrypt("short")
    assert "short" not in SCAN.needles


def test_a_secret_in_a_log_line_is_found_unless_the_filter_redacted_it():
    vault.encrypt(PLAINTEXT)
    with SCAN.expecting_leaks() as found:
        logging.getLogger("hub.test").warning("sending %s", PLAINTEXT)
    assert len(found) == 1
    assert "log record from hub.test" in found[0]
    assert PLAINTEXT not in found[0]
    with SCAN.expecting_leaks() as found:
        logging.getLogger("hub.test").warning("sending password=%s", PLAINTEXT)
    assert found == []


def test_a_secret_in_a_response_is_found(client):
    vault.encrypt(PLAINTEXT)
    with SCAN.expecting_leaks() as found:
        client.get(f"/api/v1/no-such-thing/{PLAINTEXT}/")
    assert [hit for hit in found if "response to GET /api/v1/no-such-thing/" in hit]


def test_a_secret_in_an_audit_entry_is_found(business_admin):
    vault.encrypt(PLAINTEXT)
    entry = LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(business_admin), object_pk=str(business_admin.pk),
        object_repr="x", action=LogEntry.Action.ACCESS, additional_data={"leaked": PLAINTEXT},
    )  # fmt: skip
    hits = [hit for haystack in audit_haystacks() for hit in SCAN.found_in(haystack)]
    assert hits == [f"{SCAN.test}: audit entry {entry.pk} (x): {PLAINTEXT[:4]}… ({VAULT})"]
    entry.delete()  # or the scan would (rightly) fail this session


def test_a_new_api_key_may_be_shown_once_to_its_creator_and_nowhere_else(client, business_admin):
    from hub.api.models import ApiKey, Partner

    partner = Partner.objects.create(name="Acme")
    client.force_login(business_admin)
    with SCAN.expecting_leaks() as found:
        page = client.post("/admin/api/apikey/add/", _key_form(partner.pk))
    assert page.templates[0].name == "api/key_created.html"
    assert found == []
    raw = next(
        n
        for n, origin in SCAN.needles.items()
        if origin == API_KEY and n.startswith(ApiKey.objects.get().prefix)
    )
    with SCAN.expecting_leaks() as found:
        client.get(f"/api/v1/no-such-thing/{raw}/")
    assert found


def test_a_new_webhook_secret_may_be_shown_once_after_the_action(client, business_admin, demo):
    from hub.flows.models import Flow

    flow = Flow.objects.order_by("pk")[0]
    client.force_login(business_admin)
    data = {"action": "new_webhook_secret", "_selected_action": [flow.pk], "confirmed": "yes"}
    with SCAN.expecting_leaks() as found:
        page = client.post("/admin/flows/flow/", data, follow=True)
    assert "The secret, shown this once: " in page.content.decode()
    assert found == []


def _key_form(partner_id: int) -> dict[str, object]:
    management = {
        f"{prefix}-{name}": value
        for prefix in ("entity_grants", "flow_grants")
        for name, value in (
            ("TOTAL_FORMS", 0),
            ("INITIAL_FORMS", 0),
            ("MIN_NUM_FORMS", 0),
            ("MAX_NUM_FORMS", 1000),
        )
    }
    return {"partner": partner_id, "name": "orders", "rate_limit_per_minute": 600, "expires_at_0": "",
            "expires_at_1": "", **management}  # fmt: skip


def test_a_secret_in_a_worker_processs_log_is_found(tmp_path):
    """A worker is another process: what it writes reaches the scan through the file it logs to (as
    tests/flows/test_engine_workers.py's workers do), read up to its last complete line at each flush."""
    import subprocess
    import sys

    vault.encrypt(PLAINTEXT)
    log = tmp_path / "worker-1.log"
    SCAN.watch(log)
    script = (
        f"import sys; sys.stdout.write('INFO rq.worker sending {PLAINTEXT}\\\\nhalf a line {PLAINTEXT[:3]}')"
    )
    with SCAN.expecting_leaks() as found, log.open("wb") as out:
        subprocess.run([sys.executable, "-c", script], stdout=out, check=True, timeout=60)
    assert len(found) == 1
    assert f"output of the worker logging to {log}" in found[0]
    assert PLAINTEXT not in found[0]
    SCAN.watched.pop(log)
