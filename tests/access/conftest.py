"""People in each role, and a hub with a row in every admin list (so that every change page exists)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

BUSINESS_ADMIN, OPERATOR, REVIEWER = "Business admin", "Operator", "Compliance reviewer"
ROLES = [REVIEWER, OPERATOR, BUSINESS_ADMIN]

# The matrix of hub/access/migrations/0001_roles.py, by the models the admin shows.
CONFIGURATION = {
    "systems.system", "systems.secret", "catalog.entity", "catalog.sourceoftruth", "mappings.mapping",
    "mappings.mappingversion", "flows.flow", "api.partner", "api.apikey",
}  # fmt: skip
OPERATIONS = {
    "catalog.record", "catalog.conflict", "flows.run", "flows.recordoutcome", "flows.quarantined",
    "flows.delivery", "flows.deadletter", "fallback.manualentry",
}  # fmt: skip
REVIEW_ONLY = {
    "auditlog.logentry", "audit.auditseal", "audit.auditanchor", "audit.chainhead", "audit.auditverification",
    "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog", "auth.user", "auth.group",
}  # fmt: skip
VISIBLE = {
    BUSINESS_ADMIN: CONFIGURATION | OPERATIONS,
    OPERATOR: CONFIGURATION | OPERATIONS,
    REVIEWER: CONFIGURATION | OPERATIONS | REVIEW_ONLY,
}
# What each role may change (where the model's admin lets anyone change it at all); nothing else.
# Operators deal with what runs leave for a person; the dead-letter list checks flows.change_delivery.
OPERATOR_CHANGES = {"catalog.conflict", "flows.quarantined", "flows.delivery", "flows.deadletter"}
WRITES = {BUSINESS_ADMIN: CONFIGURATION, OPERATOR: OPERATOR_CHANGES, REVIEWER: set()}
ADDS_DELETES = {BUSINESS_ADMIN: CONFIGURATION, OPERATOR: set(), REVIEWER: set()}  # operators only change
QUEUE_WRITERS = {OPERATOR}  # the job queue dashboard's writes (django_rq's "Access admin page")


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
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.apps import apps

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
    sign_in = {"username": "mallory", "ip_address": "192.0.2.1", "user_agent": "curl", "http_accept": "*/*",
               "path_info": "/admin/login/"}  # fmt: skip
    AccessLog.objects.create(**sign_in)
    AccessFailureLog.objects.create(**sign_in, locked_out=False)
    if apps.is_installed("hub.fallback"):  # an operator's manual entry (issue 7)
        apps.get_model("fallback", "ManualEntry").objects.create(
            flow=flow, values={"email": "b@example.com"}, entered_by=business_admin, submission_key="s" * 64
        )
    return {"flow": flow, "record": record, "run": run}


@pytest.fixture
def queues(db: Any) -> Iterator[dict[str, Any]]:
    """One of everything the job queue dashboard shows a page for: a queued job with a result, a worker, a
    cron scheduler with a cron job. All in the test Redis, all removed afterwards."""
    import django_rq
    from rq import Queue, Worker
    from rq.cron import CronScheduler
    from rq.exceptions import InvalidJobOperation
    from rq.job import JobStatus
    from rq.results import Result

    queue = Queue("default", connection=django_rq.get_connection("default"))  # not deferred to a commit
    job = queue.enqueue("builtins.len", "walk", job_id="role-walk-job")  # harmless if a worker ever runs it
    result = Result.create(job, Result.Type.SUCCESSFUL, ttl=600, return_value=4)
    worker = Worker([queue], connection=queue.connection, name="role-walk-worker")
    queue.connection.delete(worker.key)  # one a broken earlier run left behind
    worker.register_birth()
    cron = CronScheduler(connection=queue.connection, name="role-walk-cron")
    cron.register(len, "default", args=("walk",), interval=3600)
    cron.register_birth()
    made: dict[str, Any] = {
        "job": job,
        "result": result,
        "worker": worker,
        "cron": cron,
        "cron_job": "builtins.len",
    }

    def forget() -> None:
        with contextlib.suppress(InvalidJobOperation):  # already deleted by an operator's request
            made["job"].delete()
        queue.remove("role-walk-job")

    def restore(*, failed: bool = False) -> dict[str, str]:
        """The job and its result again, after an operator's request deleted or moved them; ``failed``:
        the job as a failed one (what "requeue" is for)."""
        forget()
        made["job"] = queue.enqueue("builtins.len", "walk", job_id="role-walk-job")
        if failed:
            queue.remove(made["job"])
            made["job"].set_status(JobStatus.FAILED)
            queue.failed_job_registry.add(made["job"], ttl=600, exc_string="failed on purpose")
        made["result"] = Result.create(made["job"], Result.Type.SUCCESSFUL, ttl=600, return_value=4)
        return {"job_id": made["job"].id, "result_id": made["result"].id}

    made["restore"] = restore
    try:
        yield made
    finally:
        forget()
        worker.register_death()
        cron.register_death()
        queue.connection.delete(cron.key, worker.key)


@pytest.fixture
def url_values(world: dict[str, Any], queues: dict[str, Any]) -> dict[str, Any]:
    """A real value for each parameter of an admin URL (``object_id`` of a ModelAdmin's URL is its model's
    first row; see walking.admin_urls)."""
    from django.contrib import admin
    from django.contrib.contenttypes.models import ContentType

    return {
        "queue_index": 0, "scheduler_index": 0, "connection_index": 0,
        "job_id": queues["job"].id, "result_id": queues["result"].id, "key": queues["worker"].key,
        "scheduler_name": queues["cron"].name, "cron_job_name": queues["cron_job"],
        "content_type_id": ContentType.objects.get_for_model(world["flow"]).pk, "object_id": world["flow"].pk,
        "app_label": sorted({m._meta.app_label for m in admin.site._registry}),
        "flow_id": world["flow"].pk, "entry_id": _first_manual_entry(),
        "token": "not-the-token", "url": "no-such-page/", "unmanaged_object_id": "1",
    }  # fmt: skip


def _first_manual_entry() -> Any:
    from django.apps import apps

    if not apps.is_installed("hub.fallback"):
        return None
    first = apps.get_model("fallback", "ManualEntry").objects.order_by("pk").first()
    return None if first is None else first.pk
