"""Every action of every ModelAdmin (the list's "Action" menu), run as each role on a selected row: the
roles without the permission are refused and nothing changes; the role that may run it can, and it does
something."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from tests.access.conftest import BUSINESS_ADMIN, OPERATOR, ROLES
from tests.access.test_role_walk import FORM_DATA, differences, state
from tests.access.walking import first_pk, model_label

pytestmark = pytest.mark.django_db

# Who may run each action; None: no role (superusers only). Every action of every admin is here on purpose.
ACTIONS: dict[tuple[str, str], str | None] = {
    ("systems.system", "test_connection"): BUSINESS_ADMIN,
    ("systems.system", "test_connection_later"): BUSINESS_ADMIN,
    ("mappings.mapping", "publish"): BUSINESS_ADMIN,
    ("mappings.mappingversion", "restore"): BUSINESS_ADMIN,
    ("flows.flow", "run_now"): BUSINESS_ADMIN,
    ("flows.flow", "flows_pause"): BUSINESS_ADMIN,
    ("flows.flow", "flows_activate"): BUSINESS_ADMIN,
    ("flows.flow", "new_webhook_secret"): BUSINESS_ADMIN,
    ("api.apikey", "revoke"): BUSINESS_ADMIN,
    ("catalog.conflict", "conflicts_accept"): OPERATOR,
    ("catalog.conflict", "conflicts_dismiss"): OPERATOR,
    ("flows.quarantined", "reject"): OPERATOR,
    ("flows.deadletter", "replay"): OPERATOR,
    ("flows.deadletter", "discard"): OPERATOR,
    ("axes.accessattempt", "cleanup_expired_attempts"): None,
    **{
        (label, "delete_selected"): BUSINESS_ADMIN
        for label in [
            "systems.system",
            "systems.secret",
            "catalog.entity",
            "catalog.sourceoftruth",
            "mappings.mapping",
            "flows.flow",
            "api.partner",
            "api.apikey",
        ]
    },
    **{
        (label, "delete_selected"): None
        for label in [
            "auth.user",
            "auth.group",
            "axes.accessattempt",
            "django_rq.dashboard",
            "axes.accesslog",
            "axes.accessfailurelog",
            "catalog.conflict",
            "flows.quarantined",
        ]
    },
}
# Actions on a second row: the first conflict is resolved by the action before; the first dead letter is
# for a target its flow no longer has (the world's), which replay rightly refuses.
SECOND_ROW = {("catalog.conflict", "conflicts_dismiss"), ("flows.deadletter", "replay")}


def request_as(user: Any) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def every_action() -> set[tuple[str, str]]:
    superuser = get_user_model()(is_superuser=True, is_staff=True, is_active=True)
    return {
        (model_label(model), name)
        for model, model_admin in admin.site._registry.items()
        for name in model_admin.get_actions(request_as(superuser))
    }


def post_action(client: Any, label: str, action: str, pk: Any, **data: Any) -> Any:
    url = f"/admin/{label.replace('.', '/')}/"
    return client.post(url, {"action": action, "_selected_action": [pk], **data})


def refused_answer(response: Any, label: str) -> bool:
    """403; the list again, its action menu without that action (200); or Django's "No action selected."
    (302). django-rq's dashboard list is its statistics page, which takes no action."""
    from django.contrib.messages import get_messages

    if response.status_code == 302:
        return "No action selected." in [str(m) for m in get_messages(response.wsgi_request)]
    if response.status_code == 200:
        shown = getattr(response, "template_name", None) or ["django_rq/stats.html"]
        shown = [shown] if isinstance(shown, str) else shown
        return label == "django_rq.dashboard" or any("change_list" in name for name in shown)
    return response.status_code == 403


def unpublish(pk: Any) -> None:
    """Publishing needs rules that differ from the newest version: take that version away."""
    from hub.mappings.models import MappingVersion

    newest = MappingVersion.objects.filter(mapping_id=pk).order_by("-number").first()
    if newest is not None:
        newest.delete()


PREPARE = {("mappings.mapping", "publish"): unpublish}


def test_every_action_is_placed_in_the_matrix():
    assert every_action() == set(ACTIONS)


@pytest.mark.parametrize("role", ROLES)
def test_roles_without_the_permission_cannot_run_an_action(client, world, people, role):
    client.force_login(people[role])
    refused = [key for key, who in ACTIONS.items() if who != role]
    for label, action in refused:
        model = apps.get_model(label)
        assert action not in admin.site._registry[model].get_actions(request_as(people[role])), (
            label,
            action,
        )
        before = state()
        response = post_action(client, label, action, first_pk(model), **FORM_DATA)
        assert refused_answer(response, label), f"{role} ran {action} on {label}: {response.status_code}"
        assert differences(before, state()) == [], f"{role}: {action} on {label} changed something"
    assert len(refused) >= 10


def test_each_role_can_run_its_actions(client, world, people, django_capture_on_commit_callbacks):
    import django_rq
    from django.contrib.messages import get_messages

    from hub.catalog.models import Conflict
    from hub.flows.models import Delivery, DeliveryState, Quarantined

    record, run, target = world["record"], world["run"], world["flow"].targets.first()
    Conflict.objects.create(
        record=record, field="name", system=target, kept_value="a", offered_value="b", run=run
    )
    Delivery.objects.create(
        flow=world["flow"], run=run, record=record, target=target, idempotency_key="j" * 32, content_hash="i" * 32,
        payload={}, state=DeliveryState.DEAD, attempts=3, last_error="HTTP 500",
    )  # fmt: skip
    assert Quarantined.objects.exists()
    queue = django_rq.get_queue("default")
    jobs_before = set(queue.get_job_ids())
    ran = 0
    for (label, action), role in ACTIONS.items():
        if role is None:
            continue
        client.force_login(people[role])
        model = apps.get_model(label)
        rows = model._default_manager.order_by("pk").values_list("pk", flat=True)
        pk = rows[1] if (label, action) in SECOND_ROW else rows[0]
        if action == "delete_selected":  # reaching the confirmation page is enough: deleting is Django's
            response = post_action(client, label, action, pk)
            assert response.status_code == 200, f"{role}: {action} on {label}"
            assert "delete_selected_confirmation" in response.template_name[0]
            continue
        PREPARE.get((label, action), lambda pk: None)(pk)
        before = state()
        with django_capture_on_commit_callbacks(execute=True):
            response = post_action(client, label, action, pk, **FORM_DATA)
        assert response.status_code == 302, f"{role}: {action} on {label} answered {response.status_code}"
        said = [str(m) for m in get_messages(response.wsgi_request)]
        assert differences(before, state()) != [], (
            f"{role} ran {action} on {label}: nothing happened ({said})"
        )
        ran += 1
    assert ran == 14
    for job_id in set(queue.get_job_ids()) - jobs_before:  # what the actions enqueued: nobody runs it here
        job = queue.fetch_job(job_id)
        if job is not None:
            job.delete()
