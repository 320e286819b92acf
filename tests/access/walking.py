"""Walking the admin: every URL it serves, with real ids, and snapshots of the database and the queues to
compare before and after a person's requests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from django.apps import apps
from django.contrib import admin
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver

ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
REGEX_PARAM = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)\??")
# Rows that a request by a signed-in person may add without anything having been changed: their session
# and a check of the audit chain a reviewer asks for (the audit page's verify button). The audit trail and
# its chain are compared by ``audit_problems``: they may only grow by access entries.
NOT_COMPARED = {"sessions.session", "audit.auditverification"}
AUDIT_TABLES = {"auditlog.logentry", "audit.auditseal", "audit.chainhead"}
ACTIONS = dict(LogEntry.Action.choices)


def model_label(model: type[Model]) -> str:
    return model._meta.label_lower


def registered() -> list[type[Model]]:
    return sorted(admin.site._registry, key=model_label)


def first_pk(model: type[Model]) -> Any:
    if not model._meta.managed:  # django-rq's dashboard: a model without a table
        return None
    first = model._default_manager.order_by("pk").first()
    return None if first is None else first.pk


# Every admin URL ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminUrl:
    route: str  # as the URLconf writes it: "admin/flows/flow/<int:object_id>/run-now/"
    url: str  # with real ids: "/admin/flows/flow/3/run-now/"
    model: str  # the model whose admin serves it ("flows.flow"); "" for the site's own pages
    kind: str  # "changelist", "change", "run-now", "password", "object" (the bare id), or the URL's name
    queues: bool = False  # a page of the job queue dashboard (django-rq), at /admin/rq/ or in the admin

    def __str__(self) -> str:
        return self.url


def leaves(patterns: list[Any], prefix: str) -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from leaves(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


PEOPLES_PAGES = ("admin/", "operations/")  # the admin, and the operators' pages behind its sign-in


def admin_routes() -> list[tuple[str, URLPattern]]:
    """Every URL pattern under /admin/ and /operations/, as the resolver holds them (the admin site, each
    ModelAdmin's own URLs, django-rq's dashboard at /admin/rq/, the fallback entry pages)."""
    return [
        (route, p) for route, p in leaves(get_resolver().url_patterns, "") if route.startswith(PEOPLES_PAGES)
    ]


def fill(route: str, values: dict[str, Any]) -> list[str] | None:
    """The route with each parameter replaced by its value (a list of values gives one URL each); None when
    a parameter has no value."""
    param = REGEX_PARAM if "(?P<" in route else ROUTE_PARAM
    names = param.findall(route)
    if any(values.get(name) is None for name in names):
        return None
    many = [name for name in names if isinstance(values[name], list)]
    choices = values[many[0]] if many else [None]
    urls = []
    for choice in choices:
        current = {**values, **({many[0]: choice} if many else {})}
        url = param.sub(lambda m, current=current: str(current[m[1]]), route)  # type: ignore[misc]
        urls.append("/" + url.replace("^", "").replace("$", "").replace("/?", "/"))
    return urls


def _model_of(route: str) -> tuple[str, str]:
    """(model label, what is left of the route) for a route of a ModelAdmin; ("", route) otherwise."""
    for model in admin.site._registry:
        prefix = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        if route.startswith(prefix):
            return model_label(model), route.removeprefix(prefix)
    return "", route


def _kind(rest: str, pattern: URLPattern, model: str) -> str:
    name = pattern.name or ""
    if not model or (name.startswith("django_rq_") and "dashboard" not in name):
        return (name or "catch-all").removeprefix("django_rq_")
    bare = ROUTE_PARAM.sub("", rest).strip("/")
    return bare or ("object" if "<" in rest else "changelist")


def admin_urls(values: dict[str, Any]) -> tuple[list[AdminUrl], list[str]]:
    """Every admin URL with real ids: ``values`` gives each parameter's value (``object_id`` is the first
    row of the route's model). Also returns the routes left out for want of a value, which a walk
    should treat as a failure."""
    found, missing = [], []
    for route, pattern in admin_routes():
        label, rest = _model_of(route)
        own = dict(values)
        if label:
            model = apps.get_model(label)
            own["object_id"] = first_pk(model) if model._meta.managed else values.get("unmanaged_object_id")
            if label == "auth.user":
                own["id"] = own["object_id"]
        urls = fill(route, own)
        if urls is None:
            missing.append(route)
            continue
        kind = _kind(rest, pattern, label)
        queues = route.startswith("admin/rq/") or label == "django_rq.dashboard"
        found += [
            AdminUrl(route, url, "" if route.startswith("admin/rq/") else label, kind, queues) for url in urls
        ]
    return found, missing


# What a request may leave behind ------------------------------------------------------------------------


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but sessions, verifications asked for, and the audit trail and its chain
    (those are compared by ``audit_problems``)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for model in apps.get_models():
        label = model_label(model)
        if model._meta.proxy or not model._meta.managed or label in NOT_COMPARED | AUDIT_TABLES:
            continue
        rows[label] = [tuple(r.values()) for r in model._base_manager.order_by("pk").values()]
    return rows


def changed_tables(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [label for label in before if before[label] != after.get(label)]


@dataclass(frozen=True)
class AuditState:
    entries: dict[int, tuple[Any, ...]]
    seals: dict[int, tuple[Any, ...]]  # by sequence
    head: tuple[Any, ...] | None


def audit_state() -> AuditState:
    from hub.audit.models import AuditSeal, ChainHead

    entries = {
        row[0]: row[1:]
        for row in LogEntry.objects.order_by("pk").values_list(
            "pk", "action", "content_type_id", "object_pk", "object_repr", "changes", "changes_text",
            "additional_data", "serialized_data", "actor_id", "timestamp", "cid", "remote_addr",
        )
    }  # fmt: skip
    seals = {
        row[0]: row[1:]
        for row in AuditSeal.objects.values_list(
            "sequence", "entry_id", "entry_hash", "chain_hash", "actor_id", "sealed_at"
        )
    }
    head = ChainHead.objects.filter(pk=1).values_list("sequence", "chain_hash", "scanned_to").first()
    return AuditState(entries, seals, head)


def audit_problems(before: AuditState, after: AuditState) -> list[str]:
    """What a read-only person's requests did to the audit trail beyond adding access entries: an entry
    changed or gone, a new entry that is not an access (a create, update or delete got through), a seal
    changed or gone, a new seal of anything but an access entry added now or an entry that waited for its
    seal, or a chain head that moved anywhere but to the newest seal."""
    problems = [
        f"audit entry {pk} changed or deleted"
        for pk in before.entries
        if after.entries.get(pk) != before.entries[pk]
    ]
    added = {pk: row for pk, row in after.entries.items() if pk not in before.entries}
    problems += [
        f"new audit entry {pk} is a {ACTIONS.get(row[0], row[0])} of {row[3]!r}, not an access"
        for pk, row in added.items()
        if row[0] != LogEntry.Action.ACCESS
    ]
    problems += [
        f"audit seal {seq} changed or deleted"
        for seq in before.seals
        if after.seals.get(seq) != before.seals[seq]
    ]
    sealed_before = {row[0] for row in before.seals.values()}
    may_seal = {pk for pk, row in added.items() if row[0] == LogEntry.Action.ACCESS}
    may_seal |= set(before.entries) - sealed_before  # entries that were waiting for their seal
    new_seals = {seq: row for seq, row in after.seals.items() if seq not in before.seals}
    problems += [
        f"new seal {seq} seals entry {row[0]}, which is not an access entry added now"
        for seq, row in new_seals.items()
        if row[0] not in may_seal
    ]
    if after.head != before.head:
        newest = max(new_seals, default=None)
        if newest is None or after.head is None or after.head[:2] != (newest, new_seals[newest][2]):
            problems.append(
                f"the audit chain head moved from {before.head} to {after.head} without new seals to match"
            )
    return problems  # fmt: skip


def queue_state() -> dict[str, tuple[Any, ...]]:
    """Every queue's jobs and registries (what the queue dashboard could clear, delete or requeue)."""
    import django_rq
    from django.conf import settings

    state = {}
    for name in settings.RQ_QUEUES:
        queue = django_rq.get_queue(name)
        registries = (
            queue.started_job_registry, queue.finished_job_registry, queue.failed_job_registry,
            queue.deferred_job_registry, queue.scheduled_job_registry,
        )  # fmt: skip
        # get_jobs drops the ids of jobs that are gone, as the dashboard's pages do when they list them
        jobs = tuple(job.id for job in queue.get_jobs())
        state[name] = (jobs, *(tuple(sorted(r.get_job_ids())) for r in registries))
    return state
