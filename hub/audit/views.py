"""Reading the audit trail: the reviewer's filters, one page of entries, and each entry in plain words.

The filters are a form (``TrailFilter``) so that a bad value (a malformed date, an object without its type)
becomes a message on the page rather than an error. ``trail_entries`` turns valid filters into a queryset;
``trail_page`` reads one page of it by keyset (newest first, ``before``/``after`` a (timestamp, id) cursor)
so that no page counts the trail or skips rows with OFFSET: the first page, a filtered page and a page a
million entries deep cost the same few queries. The admin (``hub/audit/admin.py``) only wires these in.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from auditlog.models import LogEntry
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from hub.audit.events import EVENT_KEY, Event

PAGE_SIZE = 50
ORDER = ("-timestamp", "-id")

# Actions as a reviewer names them: auditlog's three changes, then each access event of events.Event.
CHANGES = {
    "created": LogEntry.Action.CREATE,
    "changed": LogEntry.Action.UPDATE,
    "deleted": LogEntry.Action.DELETE,
}
ACTION_CHOICES = [("", "any action"), *((name, name) for name in CHANGES), *Event.choices]
ACTION_WORDS = {
    LogEntry.Action.CREATE: "created",
    LogEntry.Action.UPDATE: "changed",
    LogEntry.Action.DELETE: "deleted",
}
WHO_CHOICES = [
    ("", "anyone"),
    ("person", "a person"),
    ("api", "an API key"),
    ("worker", "a worker (run, outbox, connection test)"),
    ("system", "the hub itself (system)"),
]
RUN_IN_TEXT = re.compile(r"\brun (\d+)\b")
API_CID = "api-key:"
BY_KEY = "by"
RUN_CID = "run:"


class TrailFilter(forms.Form):
    """What a reviewer can narrow the trail by. Every field is optional; an invalid one is reported."""

    q = forms.CharField(required=False, label="Search", help_text="In the object, the reason and the cid.")
    who = forms.ChoiceField(required=False, choices=WHO_CHOICES, label="Done by")
    actor = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"), required=False, label="Person"
    )
    api_key = forms.ChoiceField(required=False, label="API key")
    partner = forms.ChoiceField(required=False, label="Partner")
    run = forms.IntegerField(required=False, min_value=1, label="Run", help_text="A run's number.")
    content_type = forms.ModelChoiceField(
        queryset=ContentType.objects.order_by("app_label", "model"), required=False, label="Object type"
    )
    object_pk = forms.CharField(
        required=False, max_length=255, label="Object id", help_text="With the object type."
    )
    action = forms.ChoiceField(required=False, choices=ACTION_CHOICES)
    date_from = forms.DateField(
        required=False,
        label="From",
        input_formats=["%Y-%m-%d"],
        help_text="YYYY-MM-DD, from the day's start.",
    )
    date_to = forms.DateField(
        required=False, label="To", input_formats=["%Y-%m-%d"], help_text="YYYY-MM-DD, up to the day's end."
    )
    cid = forms.CharField(required=False, max_length=255, label="Correlation id")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from hub.api.models import ApiKey, Partner

        keys = ApiKey.objects.select_related("partner").order_by("partner__name", "prefix")
        key_choices = [(k.prefix, f"{k.prefix} of {k.partner.name}") for k in keys]
        cast(forms.ChoiceField, self.fields["api_key"]).choices = [("", "any key"), *key_choices]
        partners = Partner.objects.order_by("name").values_list("pk", "name")
        partner_choices = [(str(pk), name) for pk, name in partners]
        cast(forms.ChoiceField, self.fields["partner"]).choices = [("", "any partner"), *partner_choices]
        for name in ("date_from", "date_to"):
            self.fields[name].error_messages["invalid"] = "Enter a date as YYYY-MM-DD, e.g. 2026-03-31."
            self.fields[name].widget.input_type = "date"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("object_pk") and not data.get("content_type"):
            self.add_error("object_pk", "Choose the object type too: an id alone names no object.")
        start, end = data.get("date_from"), data.get("date_to")
        for name, day in (("date_from", start), ("date_to", end)):
            if day is not None and not (dt.date(1900, 1, 1) <= day <= dt.date(9998, 12, 31)):
                self.add_error(name, "Enter a date between 1900-01-01 and 9998-12-31.")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data


def trail_filter(params: Any) -> TrailFilter:
    """The filter form bound to a query string (always bound, so an empty query is a valid 'everything')."""
    return TrailFilter(params or {})


def trail_entries(filters: dict[str, Any]) -> QuerySet[Any]:
    """Every entry matching valid filters (``TrailFilter.cleaned_data``), newest first."""
    entries = LogEntry.objects.select_related("actor", "content_type").order_by(*ORDER)
    for condition in _conditions(filters):
        entries = entries.filter(condition)
    return entries


def _conditions(f: dict[str, Any]) -> list[Q]:
    conditions = [_who(f.get("who") or "")]
    if f.get("actor"):
        conditions.append(Q(actor=f["actor"]))
    if f.get("api_key"):
        conditions.append(Q(cid=API_CID + f["api_key"]))
    if f.get("partner"):
        conditions.append(_partner(int(f["partner"])))
    if f.get("run"):
        conditions.append(_run(f["run"]))
    if f.get("content_type"):
        conditions.append(Q(content_type=f["content_type"]))
    if f.get("object_pk"):
        conditions.append(Q(object_pk=f["object_pk"].strip()))
    conditions.append(_action(f.get("action") or ""))
    conditions.append(_dates(f.get("date_from"), f.get("date_to")))
    if f.get("cid"):
        conditions.append(Q(cid=f["cid"].strip()))
    if f.get("q"):
        q = f["q"].strip()
        conditions.append(
            Q(object_repr__icontains=q) | Q(additional_data__reason__icontains=q) | Q(cid__icontains=q)
        )
    return conditions


def _who(kind: str) -> Q:
    """Work outside a person's request (a run, the outbox, a connection test) says who did it in "by"."""
    worker = Q(additional_data__has_key=BY_KEY) | Q(cid__startswith=RUN_CID)
    if kind == "person":
        return Q(actor__isnull=False)
    if kind == "api":
        return Q(cid__startswith=API_CID)
    if kind == "worker":
        return worker
    if kind == "system":
        return Q(actor__isnull=True) & ~Q(cid__startswith=API_CID) & ~worker
    return Q()


def _partner(partner_id: int) -> Q:
    from hub.api.models import ApiKey

    cids = [
        API_CID + prefix
        for prefix in ApiKey.objects.filter(partner_id=partner_id).values_list("prefix", flat=True)
    ]
    return Q(cid__in=cids) | Q(additional_data__partner_id=partner_id)


def _run(number: int) -> Q:
    """A run's entries: its correlation id, or 'run N of flow F' in who did it or why."""
    words = f"run {number} of "
    return (
        Q(cid=f"{RUN_CID}{number}")
        | Q(additional_data__by__icontains=words)
        | Q(additional_data__by__iexact=f"run {number}")
        | Q(additional_data__reason__icontains=words)
    )


def _action(name: str) -> Q:
    if name in CHANGES:
        return Q(action=CHANGES[name])
    if name:
        return Q(action=LogEntry.Action.ACCESS, **{f"additional_data__{EVENT_KEY}": name})
    return Q()


def _dates(start: dt.date | None, end: dt.date | None) -> Q:
    """From the start of ``start`` to the end of ``end``, in the hub's time zone."""
    condition = Q()
    if start:
        condition &= Q(timestamp__gte=_midnight(start))
    if end:
        condition &= Q(timestamp__lt=_midnight(end + dt.timedelta(days=1)))
    return condition


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def trail_filter_words(filters: dict[str, Any]) -> str:
    """The filters in words, for the export's reason: 'person beatrice; action decrypted'."""
    parts = []
    for name, field in TrailFilter.base_fields.items():
        value = filters.get(name)
        if value not in (None, ""):
            parts.append(f"{(field.label or name).lower()} {getattr(value, 'username', value)}")
    return "; ".join(parts) or "no filter (the whole trail)"


# One page -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    entries: list[Any]
    newer: str | None  # the cursor of the page before (newer entries), if there is one
    older: str | None  # the cursor of the page after (older entries), if there is one


def cursor_of(entry: Any) -> str:
    return f"{entry.timestamp.isoformat()}~{entry.pk}"


def parse_cursor(text: str) -> tuple[dt.datetime, int] | None:
    stamp, _, pk = text.rpartition("~")
    if not re.fullmatch(r"[0-9]{1,18}", pk):
        return None
    try:
        moment = dt.datetime.fromisoformat(stamp)
        if timezone.is_aware(moment):
            moment.astimezone(dt.UTC)  # a far-off offset may not fit in UTC: no cursor, not a 500
    except (ValueError, OverflowError):
        return None
    return (moment, int(pk)) if timezone.is_aware(moment) else None


def trail_page(entries: QuerySet[Any], *, before: str = "", after: str = "") -> Page:
    """One page of ``entries`` (newest first), older than ``before`` or newer than ``after``: one query."""
    if after and (cursor := parse_cursor(after)):
        moment, pk = cursor
        later = entries.filter(timestamp__gte=moment).exclude(timestamp=moment, id__lte=pk)
        rows = list(later.order_by("timestamp", "id")[: PAGE_SIZE + 1])
        more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE][::-1]
        return Page(
            rows, cursor_of(rows[0]) if more and rows else None, cursor_of(rows[-1]) if rows else None
        )
    if before and (cursor := parse_cursor(before)):
        moment, pk = cursor
        entries = entries.filter(timestamp__lte=moment).exclude(timestamp=moment, id__gte=pk)
    rows = list(entries[: PAGE_SIZE + 1])
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    newer = cursor_of(rows[0]) if before and rows else None
    return Page(rows, newer, cursor_of(rows[-1]) if more else None)


# Each entry in words ------------------------------------------------------------------------------------


def entry_who(entry: Any) -> str:
    """A person, "API key abc of Acme", "run 12 of flow X", or "system"."""
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    cid = entry.cid or ""
    if cid.startswith(API_CID):
        prefix = data.get("api_key") or cid.removeprefix(API_CID)
        return f"API key {prefix} of {data['partner']}" if data.get("partner") else f"API key {prefix}"
    if entry.actor_id is not None and entry.actor is not None:
        return entry.actor.get_full_name() or entry.actor.get_username()
    if entry.actor_email:
        return f"{entry.actor_email} (user since deleted)"
    if data.get("by"):
        return str(data["by"])
    if cid.startswith(RUN_CID):
        return f"run {cid.removeprefix(RUN_CID)}"
    return "system"


def entry_what(entry: Any) -> str:
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    if entry.action == LogEntry.Action.ACCESS:
        event = str(data.get(EVENT_KEY) or Event.ACCESSED)
        label = Event(event).label if event in Event.values else event
        return f"{label} {data.get('accessed') or ''}".strip()
    word = ACTION_WORDS.get(entry.action, "?")
    if entry.action == LogEntry.Action.UPDATE and isinstance(entry.changes, dict) and entry.changes:
        return f"{word} {', '.join(sorted(entry.changes))}"
    return word


def entry_reason(entry: Any) -> str:
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    return str(data.get("reason") or "")


def entry_run_id(entry: Any) -> int | None:
    """The run an entry belongs to: its ``run:N`` correlation id, or 'run N' in who did it or why."""
    cid = entry.cid or ""
    if cid.startswith(RUN_CID) and cid.removeprefix(RUN_CID).isdigit():
        return int(cid.removeprefix(RUN_CID))
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    for key in ("by", "reason"):
        match = RUN_IN_TEXT.search(str(data.get(key) or ""))
        if match:
            return int(match.group(1))
    return None


def run_links(run_id: int | None) -> dict[str, str]:
    if run_id is None:
        return {}
    return {
        "run": reverse("admin:flows_run_change", args=[run_id]),
        "outcomes": reverse("admin:flows_recordoutcome_changelist") + f"?run__id__exact={run_id}",
    }


def entry_row(entry: Any, list_url: str) -> dict[str, Any]:
    """What the list shows of one entry; links are built from the row, without a query."""
    object_filter = urlencode({"content_type": entry.content_type_id, "object_pk": entry.object_pk})
    return {
        "entry": entry,
        "who": entry_who(entry),
        "what": entry_what(entry),
        "object_type": entry.content_type.name if entry.content_type else "",
        "reason": entry_reason(entry),
        "url": reverse("admin:auditlog_logentry_change", args=[entry.pk]),
        "object_url": f"{list_url}?{object_filter}",
        "run": run_links(entry_run_id(entry)),
    }


CONTEXT_KEYS = {"user_agent": "user agent", "request_id": "request id"}
SHOWN_ELSEWHERE = {EVENT_KEY, "reason", "accessed", "by", *CONTEXT_KEYS}


def entry_diff(entry: Any) -> list[tuple[str, str, str]]:
    """(field, before, after) per changed field, as auditlog stored it (masked values stay masked)."""
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    rows = []
    for field, change in sorted(changes.items()):
        if isinstance(change, list) and len(change) == 2:
            rows.append((field, _text(change[0]), _text(change[1])))
        elif isinstance(change, dict) and change.get("type") == "m2m":
            objects = ", ".join(str(o) for o in change.get("objects", []))
            verb = "added" if change.get("operation") == "add" else "removed"
            rows.append((field, "", f"{verb}: {objects}"))
        else:
            rows.append((field, "", _text(change)))
    return rows


def _text(value: Any) -> str:
    return "—" if value is None else str(value)


def entry_context(entry: Any) -> list[tuple[str, str]]:
    """Where the entry came from: address, user agent, request id, correlation id and any other detail."""
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    rows = [("IP address", entry.remote_addr or "—")]
    if entry.remote_port:
        rows.append(("port", str(entry.remote_port)))
    rows += [(label, str(data[key])) for key, label in CONTEXT_KEYS.items() if data.get(key)]
    rows.append(("correlation id", entry.cid or "—"))
    if data.get("by"):
        rows.append(("done by", str(data["by"])))
    rows += [
        (key.replace("_", " "), _text(value))
        for key, value in sorted(data.items())
        if key not in SHOWN_ELSEWHERE
    ]
    return rows
