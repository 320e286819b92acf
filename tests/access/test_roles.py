"""The roles themselves: the groups the migration makes, every admin model placed in the matrix, and the
writes outside the admin (partner API, webhook, queue dashboard) refused to a session.

The roles and their permissions come from hub/access/migrations/0001_roles.py (its docstring holds the
matrix; tests/access/conftest.py holds it as the tests read it). A person in a role has is_staff and that
one group. Every admin URL as each role: test_role_walk.py; every admin action: test_role_actions.py.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import get_resolver

from tests.access.conftest import BUSINESS_ADMIN, CONFIGURATION, OPERATIONS, OPERATOR, REVIEW_ONLY, REVIEWER
from tests.access.walking import (
    audit_problems,
    audit_state,
    changed_tables,
    fill,
    first_pk,
    leaves,
    model_label,
    registered,
    snapshot,
)

pytestmark = pytest.mark.django_db


def test_the_migration_made_the_three_groups():
    names = set(Group.objects.values_list("name", flat=True))
    assert {BUSINESS_ADMIN, OPERATOR, REVIEWER} <= names
    reviewer = Group.objects.get(name=REVIEWER)
    assert all(code.startswith("view_") for code in reviewer.permissions.values_list("codename", flat=True))
    assert reviewer.permissions.filter(codename="view_logentry", content_type__app_label="auditlog").exists()


def test_every_model_is_in_the_matrix():
    """A model added to the admin later must be placed in a role on purpose."""
    known = CONFIGURATION | OPERATIONS | REVIEW_ONLY | {"django_rq.dashboard"}
    assert {model_label(m) for m in registered()} <= known


def test_the_partner_api_and_the_webhook_take_no_session(client, world, people):
    """The API authenticates by key only (REST_FRAMEWORK's authentication classes), the webhook by its
    signature: a reviewer's session is neither, so every write to every route of theirs is refused."""
    from hub.api.models import PartnerBatch

    values = {"flow_id": world["flow"].pk, "letter_id": first_pk(world["flow"].deliveries.model),
              "record_id": world["record"].pk, "entity": "Customer", "batch_id": first_pk(PartnerBatch) or 1}  # fmt: skip
    routes = [r for r, _ in leaves(get_resolver().url_patterns, "") if r.startswith(("api/", "hooks/"))]
    client.force_login(people[REVIEWER])
    before, audit_before, tried = snapshot(), audit_state(), 0
    for route in routes:
        for url in fill(route, values) or []:
            for method in ("post", "put", "patch", "delete"):
                response = getattr(client, method)(
                    url, {"records": [{"id": "1"}]}, content_type="application/json"
                )
                assert response.status_code in {400, 401, 403, 404, 405, 409}, (
                    f"{method} {url}: {response.status_code}"
                )
                tried += 1
    assert tried >= 4 * 10
    assert changed_tables(before, snapshot()) == []
    assert audit_problems(audit_before, audit_state()) == []


def test_the_queue_dashboard_refuses_changes_but_from_operators(client, people):
    client.force_login(people[REVIEWER])
    assert client.post("/admin/rq/queues/0/empty/").status_code == 403
    assert client.post("/admin/rq/queues/0/requeue-all/").status_code == 403


def test_only_those_who_may_delete_sign_in_attempts_may_clean_them_up(rf, people, business_admin):
    from axes.models import AccessAttempt

    model_admin = admin.site._registry[AccessAttempt]
    request = rf.get("/admin/axes/accessattempt/")
    request.user = people[REVIEWER]
    assert "cleanup_expired_attempts" not in model_admin.get_actions(request)
    request.user = business_admin  # a superuser
    assert "cleanup_expired_attempts" in model_admin.get_actions(request)
