"""Every admin URL, with real ids, requested as each role: GET, then POST (the way a form or a forged
request would), each answer checked against the role matrix (tests/access/conftest.py, from
hub/access/migrations/0001_roles.py), and, wherever the role may not write, the database, the audit trail
and the job queues exactly as they were (the audit trail may only have grown by access entries)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from tests.access.conftest import ADDS_DELETES, OPERATOR, QUEUE_WRITERS, ROLES, VISIBLE, WRITES
from tests.access.walking import (
    AdminUrl,
    admin_urls,
    audit_problems,
    audit_state,
    changed_tables,
    fill,
    queue_state,
    snapshot,
)

pytestmark = pytest.mark.django_db

READS = {"changelist", "change", "history", "preview", "export", "verify"}
# Answer every staff member with a redirect (to the object's page); only a POST by who may does anything.
REDIRECTS = {"object", "run-now", "test-connection", "view_on_site"}
FORM_DATA = {"confirmed": "yes", "reason": "checking roles", "note": "checking roles", "post": "yes"}
SITE_GET = {
    "index": {200}, "login": {302}, "logout": {405}, "password_change": {200}, "password_change_done": {200},
    "autocomplete": {403}, "jsi18n": {200}, "view_on_site": {302}, "catch-all": {404},
}  # fmt: skip
# stop: POST only; a wrong API token; the bulk actions' pages redirect to the queue without a choice
QUEUE_GET = {"stop_job": {405}, "home_json": {200, 302, 404}, "confirm_action": {302}, "actions": {302}}
# Pages that fail for everyone in code the hub does not own; the walk expects the failure (and that a POST
# changes nothing), so that a fix shows up here and the entry is removed.
BROKEN = {
    "scheduler_jobs": "django-rq's page for rq-scheduler, which the hub does not install",
    "django_rq.dashboard history": "django-rq's dashboard is a model without a table",
    "django_rq.dashboard delete": "django-rq's dashboard is a model without a table",
    "django_rq.dashboard change": "django-rq's dashboard is a model without a table",
}


def admin_allows(model_label: str, kind: str) -> bool:
    """Whether the model's admin lets anyone (a superuser) add or delete at all: histories never."""
    from django.apps import apps

    request = RequestFactory().get("/admin/")
    request.user = get_user_model()(is_superuser=True, is_staff=True, is_active=True)
    model_admin = admin.site._registry[apps.get_model(model_label)]
    if kind == "add":
        return model_admin.has_add_permission(request)
    return getattr(model_admin, f"has_{kind}_permission")(request)


def broken(u: AdminUrl) -> str:
    return BROKEN.get(u.kind) or BROKEN.get(f"{u.model} {u.kind}", "")


# The operators' pages (hub/fallback/urls.py): the overview and the entries are for everyone who reads
# operations; the entry form and corrections are operators' (fallback.add/change_manualentry).
OPERATIONS_GET = {"operations": {200}, "entries": {200}, "entry": {200}}
OPERATIONS_WRITERS = {OPERATOR}


def operations_page(u: AdminUrl) -> bool:
    return u.route.startswith("operations/")


def may_write(role: str, u: AdminUrl) -> bool:
    if u.queues:
        return role in QUEUE_WRITERS
    if operations_page(u):
        return role in OPERATIONS_WRITERS
    return u.model in WRITES[role]


def expected_get(role: str, u: AdminUrl) -> set[int]:
    if broken(u):
        return {500}
    if u.queues and u.kind not in {"changelist", "add", "object"}:
        return QUEUE_GET.get(u.kind, {200})
    if operations_page(u):
        return OPERATIONS_GET.get(u.kind) or ({200} if role in OPERATIONS_WRITERS else {403})
    if u.kind == "app_list":
        apps_seen = {label.split(".")[0] for label in VISIBLE[role]} | (
            {"django_rq"} if role == OPERATOR else set()
        )
        return {200} if u.url.strip("/").split("/")[-1] in apps_seen else {404}
    if not u.model:
        return SITE_GET[u.kind]
    if u.kind in REDIRECTS:
        return {302}
    if u.kind in READS or (u.model == "django_rq.dashboard" and u.kind == "changelist"):
        return {200} if u.model in VISIBLE[role] or u.model == "django_rq.dashboard" else {403}
    if u.kind in {"add", "delete"}:
        return {200} if u.model in ADDS_DELETES[role] and admin_allows(u.model, u.kind) else {403}
    assert u.kind == "password", f"{u.route}: a route the walk does not know: say who may use it"
    return {403}  # only superusers set other people's passwords


def expected_refused_post(u: AdminUrl) -> set[int]:
    if broken(u) and not u.queues:
        return {500}
    if u.kind in {"add", "change", "delete", "password"}:
        return {403, 405}
    return {200, 302, 403, 404, 405}


def state() -> tuple[Any, ...]:
    return snapshot(), audit_state(), queue_state()


def differences(before: tuple[Any, ...], after: tuple[Any, ...]) -> list[str]:
    problems = [f"table {label} changed" for label in changed_tables(before[0], after[0])]
    problems += audit_problems(before[1], after[1])
    return problems + [
        f"job queue {name} changed: {before[2][name]} -> {after[2].get(name)}"
        for name in before[2]
        if before[2][name] != after[2].get(name)
    ]


def walk(client: Client, user: Any, role: str, urls: list[AdminUrl], restore: Callable[..., dict[str, str]],
         values: dict[str, Any]) -> int:  # fmt: skip
    """Every URL, by the group of pages it belongs to (a model's admin, the queues, the operators' pages, the
    site's own): first all groups the role may not write to, between two snapshots (two, not two per group:
    the walk runs in CI), the site's pages last (signing out is its last URL); then the others."""
    client.force_login(user)
    client.raise_request_exception = False  # a 500 is an answer to check, not an exception
    groups: dict[str, list[AdminUrl]] = {}
    for u in sorted(urls, key=lambda u: u.kind == "logout"):
        group = "queues" if u.queues else "operations" if operations_page(u) else u.model
        groups.setdefault(group, []).append(u)
    refused = sorted((g for g in groups if not g or not may_write(role, groups[g][0])), key=lambda g: g == "")
    before = state()
    for group in refused:
        for u in groups[group]:
            _get(client, role, u, u.url)
            _post(client, role, u, u.url, refused=True)
    problems = differences(before, state())
    assert problems == [], f"{role}, only reading, changed something through {', '.join(refused)}: {problems}"
    client.force_login(user)  # after /admin/logout/
    allowed = [u for g in groups if g not in refused for u in groups[g]]
    for u in allowed:
        url = u.url
        if u.queues and ("job_id" in u.route or "result_id" in u.route):
            again = restore(failed=u.kind == "requeue_job")  # what an earlier POST removed
            url = (fill(u.route, {**values, **again}) or [url])[0]
        _get(client, role, u, url)
        _post(client, role, u, url, refused=False)
    return 2 * (sum(len(groups[g]) for g in refused) + len(allowed))


def _get(client: Client, role: str, u: AdminUrl, url: str) -> None:
    status = client.get(url).status_code
    assert status in expected_get(role, u), (
        f"{role}: GET {url} answered {status}, not {expected_get(role, u)}"
    )


def _post(client: Client, role: str, u: AdminUrl, url: str, *, refused: bool) -> None:
    if refused:
        status = client.post(url, FORM_DATA).status_code
        assert status in expected_refused_post(u), f"{role}: POST {url} answered {status}"
        return
    # What a person who may would send first: an empty form (the delete page deletes on any data at all).
    status = client.post(url, {}).status_code
    allowed = {500} if broken(u) else {200, 302, *({404} if u.kind == "home_json" else ())}
    if u.kind == "entry":
        allowed.add(403)  # the world's manual entry is not this operator's: only its author corrects it
    writes = not broken(u) and u.kind in {"add", "change", "delete"}
    if writes and (
        not admin_allows(u.model, u.kind) or (u.kind != "change" and u.model not in ADDS_DELETES[role])
    ):
        allowed = {403}  # a history (read-only for everyone), or an operator adding or deleting
    assert status in allowed, f"{role}: POST {url} answered {status}"


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_url_as_each_role(client, people, url_values, queues, role):
    urls, missing = admin_urls(url_values)
    assert missing == [], f"routes without a value for their parameters: {missing}"
    started = time.perf_counter()
    requests = walk(client, people[role], role, urls, queues["restore"], url_values)
    assert requests == 2 * len(urls) >= 2 * 200
    print(f"{role}: {requests} requests in {time.perf_counter() - started:.1f} s")


def test_the_walk_reaches_every_kind_of_route(url_values):
    """The routes that need more than an object's id are walked too, with ids that exist."""
    urls, _ = admin_urls(url_values)
    walked = {u.route for u in urls}
    for route in [
        "admin/auth/user/<id>/password/", "admin/flows/flow/<int:object_id>/run-now/",
        "admin/systems/system/<int:object_id>/test-connection/", "admin/mappings/mapping/<int:object_id>/preview/",
        "admin/auditlog/logentry/export/", "admin/r/<path:content_type_id>/<path:object_id>/",
        "admin/rq/queues/<int:queue_index>/<str:job_id>/results/<str:result_id>/",
        "admin/rq/cron-schedulers/<int:connection_index>/<str:scheduler_name>/jobs/<path:cron_job_name>/",
        "admin/rq/workers/<int:queue_index>/<str:key>/",
    ]:  # fmt: skip
        assert route in walked, route
