"""Walking the admin: every URL each ModelAdmin serves, and a snapshot of the database to compare."""

from __future__ import annotations

import re
from typing import Any

from auditlog.models import LogEntry
from django.apps import apps
from django.contrib import admin
from django.db.models import Model

OBJECT_ID = re.compile(r"<(?:path|int):object_id>")
# Rows that a request by a signed-in person may add without anything having been changed: their session,
# access entries, and a check of the audit chain a reviewer asks for (the audit page's verify button).
NOT_COMPARED = {"sessions.session", "auditlog.logentry", "audit.auditverification"}


def model_label(model: type[Model]) -> str:
    return model._meta.label_lower


def registered() -> list[type[Model]]:
    return sorted(admin.site._registry, key=model_label)


def first_pk(model: type[Model]) -> Any:
    if not model._meta.managed:  # django-rq's dashboard: a model without a table
        return None
    first = model._default_manager.order_by("pk").first()
    return None if first is None else first.pk


def routes(model: type[Model]) -> dict[str, str]:
    """Every URL of the model's admin, by the last part of its route ("", "add/", "change/", "run-now/"...),
    with the first row's id where the route needs one."""
    opts, pk = model._meta, first_pk(model)
    base = f"/admin/{opts.app_label}/{opts.model_name}/"
    found: dict[str, str] = {}
    for pattern in admin.site._registry[model].get_urls():
        route = str(pattern.pattern)
        if "<" in route:
            if pk is None or not OBJECT_ID.match(route) or route.count("<") > 1:
                continue
            kind = OBJECT_ID.sub("", route).strip("/") or "object"
            found[kind] = base + OBJECT_ID.sub(str(pk), route)
        else:
            found[route.strip("/") or "changelist"] = base + route
    return found


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but sessions and the audit trail, which only grow)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed or model_label(model) in NOT_COMPARED:
            continue
        rows[model_label(model)] = [tuple(r.values()) for r in model._base_manager.order_by("pk").values()]
    return rows


def changed_tables(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [label for label in before if before[label] != after.get(label)]


def audit_rows() -> dict[int, tuple[Any, ...]]:
    return {e.pk: (e.action, e.changes, e.additional_data) for e in LogEntry.objects.all()}


def write_entries_since(pk: int) -> list[str]:
    """Create/update/delete entries made after entry ``pk``: any is a write that got through."""
    writes = LogEntry.objects.filter(pk__gt=pk).exclude(action=LogEntry.Action.ACCESS)
    return [f"{e.get_action_display()} {e.object_repr}" for e in writes]
