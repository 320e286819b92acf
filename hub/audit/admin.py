"""The audit trail in the admin, where compliance reviewers work: list, entry, export, and the chain check.

Why a ModelAdmin with its own list and entry views rather than the admin's ChangeList (or auditlog's
LogEntryAdmin, which is unregistered here):

- the ChangeList counts the rows of every list it shows (``COUNT(*)``, twice when filtered) and pages with
  OFFSET: over millions of entries both grow with the trail. Our list reads one page by keyset (newest
  first, older/newer than the (timestamp, id) of the page's edge) and never counts;
- the ChangeList answers a bad filter value with a redirect to ``?e=1``; ours is a form, so a malformed
  date or an object id without its type is a message on the page (status 200), never a 500;
- the entry page shows the diff and where it came from (address, user agent, request, run) in words.

Registering a ModelAdmin keeps what the admin gives for free: the index entry, the URLs
(``admin:auditlog_logentry_changelist`` / ``_change``) and the view permission, which is all a reviewer
needs to read and export. Nobody adds, changes or deletes entries here, superusers included.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from auditlog.models import LogEntry
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from hub.audit import exporting
from hub.audit.models import AuditVerification
from hub.audit.verifying import verification_request
from hub.audit.views import (
    entry_context,
    entry_diff,
    entry_reason,
    entry_row,
    entry_run_id,
    entry_what,
    entry_who,
    parse_cursor,
    run_links,
    trail_entries,
    trail_filter,
    trail_filter_words,
    trail_page,
)

if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditTrailAdmin(admin.ModelAdmin):
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("export/", wrap(self.export_view), name="auditlog_logentry_export"),
            path("verify/", wrap(self.verify_view), name="auditlog_logentry_verify"),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, title: str) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "title": title, "opts": self.model._meta}

    def _require_view(self, request: HttpRequest) -> None:
        if not self.has_view_permission(request):
            raise PermissionDenied

    # The list -------------------------------------------------------------------------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._require_view(request)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        form = trail_filter(request.GET)
        context = self._context(request, "Audit trail")
        list_url = reverse("admin:auditlog_logentry_changelist")
        if form.is_valid():
            before, after = request.GET.get("before", ""), request.GET.get("after", "")
            page = trail_page(trail_entries(form.cleaned_data), before=before, after=after)
            query = {k: v for k, v in request.GET.items() if k not in ("before", "after") and v}
            context.update(
                rows=[entry_row(entry, list_url) for entry in page.entries],
                newer_url=f"?{urlencode({**query, 'after': page.newer})}" if page.newer else "",
                older_url=f"?{urlencode({**query, 'before': page.older})}" if page.older else "",
                first_url=f"?{urlencode(query)}" if before or after else "",
                export_query=urlencode(query),
                filtered=bool(query),
                bad_cursor=any(c and parse_cursor(c) is None for c in (before, after)),
            )
        context.update(form=form, list_url=list_url, can_export=True)
        return TemplateResponse(request, "admin/audit/trail_list.html", context)

    # One entry --------------------------------------------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self._require_view(request)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        if not re.fullmatch(r"[0-9]{1,18}", object_id):
            return HttpResponseBadRequest("An audit entry's id is a number.")
        entry = get_object_or_404(LogEntry.objects.select_related("actor", "content_type"), pk=int(object_id))
        context = self._context(request, f"Audit entry {entry.pk}")
        context.update(
            entry=entry,
            who=entry_who(entry),
            what=entry_what(entry),
            reason=entry_reason(entry),
            diff=entry_diff(entry),
            details=entry_context(entry),
            run_id=entry_run_id(entry),
            run=run_links(entry_run_id(entry)),
            object_type=entry.content_type.name if entry.content_type else "",
            list_url=reverse("admin:auditlog_logentry_changelist"),
        )
        return TemplateResponse(request, "admin/audit/trail_entry.html", context)

    # Export ---------------------------------------------------------------------------------------------

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        """The filtered trail as CSV or JSON, streamed; the export is itself an audit entry."""
        self._require_view(request)
        fmt = request.GET.get("format", "csv")
        if fmt not in exporting.FORMATS:
            return HttpResponseBadRequest("Choose format=csv or format=json.", content_type="text/plain")
        form = trail_filter(request.GET)
        if not form.is_valid():
            problems = "; ".join(
                f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items()
            )
            return HttpResponseBadRequest(f"The filter is not valid: {problems}", content_type="text/plain")
        entries = exporting.export_snapshot(trail_entries(form.cleaned_data))
        exporting.trail_export_record(
            actor=request.user, fmt=fmt, filter_words=trail_filter_words(form.cleaned_data),
            remote_addr=request.META.get("REMOTE_ADDR"),
        )  # fmt: skip
        stream = exporting.csv_stream(entries) if fmt == "csv" else exporting.json_stream(entries)
        response = StreamingHttpResponse(stream, content_type=exporting.FORMATS[fmt])
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.{fmt}"'
        return response

    # The chain check ------------------------------------------------------------------------------------

    def verify_view(self, request: HttpRequest) -> HttpResponse:
        """Ask a worker to check the whole hash chain (POST), and show the latest checks (GET)."""
        self._require_view(request)
        if request.method == "POST":
            verification_request(actor=request.user)
            return HttpResponseRedirect(reverse("admin:auditlog_logentry_verify"))
        context = self._context(request, "Verify the audit trail")
        context["list_url"] = reverse("admin:auditlog_logentry_changelist")
        context["verifications"] = list(AuditVerification.objects.select_related("requested_by")[:5])
        return TemplateResponse(request, "admin/audit/trail_verify.html", context)
