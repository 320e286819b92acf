"""Cursors of the API: opaque to clients, checked when they come back (a forged cursor is a 400, not a 500).

Records page on a real keyset, (updated_at, pk): however many records share a moment, each is on exactly one
page. Dead letters page on their id alone (DRF's cursor, with its position checked).
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from hub.api.problems import Problem

ROW_ID = re.compile(r"^[0-9]{1,18}$")


def cursor_refused(
    detail: str = "The cursor is not one this API gave: use the next or previous link.",
) -> Problem:
    return Problem(
        detail,
        status_code=400,
        kind="validation",
        errors=[{"parameter": "cursor", "detail": "Not a valid cursor.", "code": "invalid"}],
    )


class IdCursor(CursorPagination):
    """DRF's cursor on ``-pk``, with the position checked to be a row id."""

    ordering = ("-pk",)
    page_size = 100

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except Exception:  # DRF's NotFound for a cursor it cannot read
            raise cursor_refused() from None
        if cursor is not None and cursor.position is not None and not ROW_ID.match(str(cursor.position)):
            raise cursor_refused()
        return cursor


class KeysetCursor(CursorPagination):
    """Oldest change first, on (updated_at, pk); ``next`` and ``previous`` like DRF's cursor pagination."""

    ordering = ("updated_at", "pk")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: Any = None) -> list[Any]:
        self.request = request
        self.base_url = self.page_url = request.build_absolute_uri()
        size = self.get_page_size(request) or self.page_size
        backwards, after = self._decode(request.query_params.get(self.cursor_query_param))
        rows = queryset
        if after is not None:
            at, pk = after
            if backwards:
                rows = rows.filter(Q(updated_at__lt=at) | Q(updated_at=at, pk__lt=pk))
            else:
                rows = rows.filter(Q(updated_at__gt=at) | Q(updated_at=at, pk__gt=pk))
        rows = rows.order_by("-updated_at", "-pk") if backwards else rows.order_by("updated_at", "pk")
        page = list(rows[: size + 1])
        more = len(page) > size
        page = page[:size]
        if backwards:
            page.reverse()
        self.page = page
        self._next = page[-1] if page and (after is not None if backwards else more) else None
        self._previous = page[0] if page and (more if backwards else after is not None) else None
        return page

    def get_next_link(self) -> str | None:
        return None if self._next is None else self._link(False, self._next)

    def get_previous_link(self) -> str | None:
        return None if self._previous is None else self._link(True, self._previous)

    def _link(self, backwards: bool, row: Any) -> str:
        text = f"{int(backwards)}|{row.updated_at.isoformat()}|{row.pk}"
        encoded = base64.urlsafe_b64encode(text.encode()).decode()
        return replace_query_param(self.page_url, self.cursor_query_param, encoded)

    def _decode(self, encoded: str | None) -> tuple[bool, tuple[datetime, int] | None]:
        if encoded is None:
            return False, None
        try:
            text = base64.urlsafe_b64decode(encoded.encode("ascii")).decode("ascii")
            direction, moment, pk = text.split("|")
            at = datetime.fromisoformat(moment)
            if direction not in ("0", "1") or at.tzinfo is None or not ROW_ID.match(pk):
                raise ValueError(text)
            at.astimezone(UTC)  # OverflowError at the ends of the calendar
        except (ValueError, OverflowError, binascii.Error):
            raise cursor_refused() from None
        return direction == "1", (at, int(pk))
