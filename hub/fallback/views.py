"""Operators' pages: link health and the outbox backlog, the fallback form, and their entries.

Outside the admin's configuration screens, but in its look and behind its sign-in (``admin_view``: staff
only); each view checks its own permission. Every list is a fixed number of queries, whatever its length.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from hub.catalog.models import Conflict, ConflictState
from hub.fallback.forms import EntryForm, entry_fields
from hub.fallback.models import EntryState, ManualEntry
from hub.fallback.services import (
    MANUAL_KIND,
    EntryError,
    entry_correct,
    entry_problems,
    entry_submit,
    intake_failures,
)
from hub.flows.models import Delivery, DeliveryState, Flow, FlowState
from hub.systems.models import Link, LinkState, System

REFRESH_SECONDS = 10


def _page(request: HttpRequest, template: str, title: str, **context: Any) -> HttpResponse:
    return render(request, template, {**admin.site.each_context(request), "title": title, **context})


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


@dataclass
class LinkRow:
    system: System
    state: str
    state_label: str
    since: datetime | None
    failures: int
    last_error: str
    retry_at: datetime | None
    backlog: int = 0
    oldest: datetime | None = None


def link_rows(only: System | None = None) -> list[LinkRow]:
    """Every system's link (or ``only`` that system's) and the deliveries waiting for it: three queries."""
    systems = [only] if only is not None else list(System.objects.exclude(kind=MANUAL_KIND).order_by("name"))
    ids = [system.pk for system in systems]
    links = {link.system_id: link for link in Link.objects.filter(system__in=ids)}
    waiting = {
        row["target_id"]: row
        for row in Delivery.objects.filter(state=DeliveryState.PENDING, target__in=ids)
        .values("target_id")
        .annotate(n=Count("pk"), oldest=Min("created_at"))
    }
    rows = []
    for system in systems:
        link = links.get(system.pk)
        state = link.state if link else LinkState.UP
        backlog = waiting.get(system.pk, {})
        row = LinkRow(system, state, LinkState(state).label, None, 0, "", None)
        if link is not None:
            row.since, row.failures, row.last_error = link.since, link.failures, link.last_error
            row.retry_at = link.retry_at if state == LinkState.DOWN else None
        row.backlog, row.oldest = backlog.get("n", 0), backlog.get("oldest")
        rows.append(row)
    return rows


def operations(request: HttpRequest) -> HttpResponse:
    _require(request, "systems.view_system")
    rows = link_rows()
    by_system = {row.system.pk: row for row in rows}
    flows = [
        (flow, by_system.get(flow.source_id))
        for flow in Flow.objects.filter(state=FlowState.ACTIVE).select_related("source", "entity")
    ]
    return _page(
        request, "fallback/operations.html", "Operations: links, outbox and fallback entry",
        links=rows, flows=flows, refresh=REFRESH_SECONDS,
        can_enter=request.user.has_perm("fallback.add_manualentry"),
    )  # fmt: skip


def entry_form(request: HttpRequest, flow_id: int) -> HttpResponse:
    _require(request, "fallback.add_manualentry")
    flow = get_object_or_404(Flow.objects.select_related("source", "entity"), pk=flow_id)
    problem = entry_problems(flow)
    form = EntryForm(request.POST or None, flow=flow)
    if request.method == "POST" and problem is None and form.is_valid():
        try:
            entry, created = entry_submit(
                flow=flow, values=form.cleaned_values, submission_key=form.submission_key,
                actor=request.user,
            )  # fmt: skip
        except EntryError as error:
            form.add_error(None, str(error))
        else:
            if created:
                messages.success(request, f"Saved: entry {entry.pk} is stored and will be delivered.")
            else:
                messages.info(request, f"This form was already sent: it is entry {entry.pk}, stored once.")
            return HttpResponseRedirect(reverse("fallback:entry", args=[entry.pk]))
    return _page(
        request, "fallback/entry_form.html", f"Enter {flow.entity.name} by hand",
        flow=flow, form=form, problem=problem, link=_link_of(flow.source), required=form.required_names,
    )  # fmt: skip


def _link_of(system: System) -> LinkRow:
    return link_rows(only=system)[0]


@dataclass
class EntryRow:
    entry: ManualEntry
    deliveries: list[Delivery] = field(default_factory=list)
    conflicts: int = 0
    intake_error: str = ""  # why the flow's last run for entries failed, while this one waits

    @property
    def summary(self) -> str:
        entry = self.entry
        if entry.state == EntryState.WAITING and self.intake_error:
            return f"The hub could not take entries in for this flow: {self.intake_error}"
        if entry.state == EntryState.WAITING:
            return "waiting to be taken in"
        if entry.state == EntryState.INVALID:
            return "needs correcting"
        parts = []
        for delivery in self.deliveries:
            name = delivery.target.name
            if delivery.state == DeliveryState.DELIVERED and delivery.delivered_at:
                parts.append(f"delivered to {name} at {delivery.delivered_at:%Y-%m-%d %H:%M:%S}")
            elif delivery.state == DeliveryState.PENDING:
                parts.append(f"waiting for {name}")
            elif delivery.state == DeliveryState.DEAD:
                parts.append(f"not delivered to {name}: a dead letter for a person")
            else:
                parts.append(f"{delivery.get_state_display().lower()} for {name}")
        if self.conflicts:
            parts.append(f"conflict: {self.conflicts} value(s) for a person to decide")
        if entry.state == EntryState.RECONCILED:
            parts.insert(0, f"reconciled with {entry.reconciled_with}")
        return "; ".join(parts) or "in the hub's records; nothing to deliver"


def entry_rows(entries: list[ManualEntry]) -> list[EntryRow]:
    """Entries with the latest delivery per target, their open conflicts and, while they wait, why their
    flow's last run for entries failed: three queries for the page."""
    rows = [EntryRow(entry) for entry in entries]
    waiting = {e.flow_id for e in entries if e.state == EntryState.WAITING}
    failures = intake_failures(waiting) if waiting else {}
    records = {e.record_id for e in entries if e.record_id}
    latest: dict[tuple[int, int, int], Delivery] = {}
    for delivery in (
        Delivery.objects.filter(record__in=records, flow__in={e.flow_id for e in entries})
        .select_related("target")
        .order_by("pk")
    ):
        latest[(delivery.flow_id, delivery.record_id, delivery.target_id)] = delivery
    by_record: dict[tuple[int, int], list[Delivery]] = defaultdict(list)
    for (flow_id, record_id, _), delivery in sorted(latest.items(), key=lambda kv: kv[1].target.name):
        by_record[(flow_id, record_id)].append(delivery)
    open_conflicts = dict(
        Conflict.objects.filter(record__in=records, state=ConflictState.OPEN)
        .values_list("record_id")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        if row.entry.state == EntryState.WAITING:
            row.intake_error = failures.get(row.entry.flow_id, "")
        if row.entry.record_id:
            row.deliveries = by_record.get((row.entry.flow_id, row.entry.record_id), [])
            row.conflicts = open_conflicts.get(row.entry.record_id, 0)
    return rows


def entries(request: HttpRequest) -> HttpResponse:
    _require(request, "fallback.view_manualentry")
    everyone = request.GET.get("who") == "all"
    found = ManualEntry.objects.select_related("flow", "flow__entity", "entered_by")
    if not everyone:
        found = found.filter(entered_by_id=request.user.pk)
    state = request.GET.get("state", "")
    if state in EntryState.values:
        found = found.filter(state=state)
    page = Paginator(found.order_by("-entered_at", "-pk"), 50).get_page(request.GET.get("page"))
    return _page(
        request, "fallback/entries.html", "Everyone's manual entries" if everyone else "My manual entries",
        page=page, rows=entry_rows(list(page.object_list)), everyone=everyone, state=state,
        states=EntryState.choices, refresh=REFRESH_SECONDS,
    )  # fmt: skip


def entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    _require(request, "fallback.view_manualentry")
    found = get_object_or_404(
        ManualEntry.objects.select_related("flow", "flow__entity", "flow__source", "entered_by", "record"),
        pk=entry_id,
    )
    mine = found.entered_by_id == request.user.pk or request.user.is_superuser
    can_correct = (
        mine and request.user.has_perm("fallback.change_manualentry") and found.state != EntryState.RECONCILED
    )
    form = None
    if can_correct:
        form = EntryForm(request.POST or None, flow=found.flow, initial_values=found.values)
        if request.method == "POST" and form.is_valid():
            try:
                entry_correct(entry=found, values=form.cleaned_values, actor=request.user)
            except EntryError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"Corrected: entry {found.pk} will be delivered as it is now.")
                return HttpResponseRedirect(reverse("fallback:entry", args=[found.pk]))
    elif request.method == "POST":
        raise PermissionDenied
    specs = {spec.name: spec for spec in entry_fields(found.flow)}
    shown = [(specs[n].label or n if n in specs else n, v) for n, v in found.values.items()]
    return _page(
        request, "fallback/entry.html", f"Manual entry {found.pk}",
        entry=found, row=entry_rows([found])[0], values=shown, form=form,
        problems=found.problems, link=_link_of(found.flow.source),
    )  # fmt: skip
