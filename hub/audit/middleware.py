"""auditlog's middleware, with the caller's address found the way the API and sign-in find it, and each
request's id and browser kept on every audit entry it writes.

auditlog's own middleware believes the first ``X-Forwarded-For`` value from anyone, so a caller could put
any address in the trail; here only proxies listed in HUB_TRUSTED_PROXIES are believed (see
``hub.api.permissions.client_address``). Each request gets an id (also sent back as ``X-Request-ID``), kept
as ``additional_data["request_id"]`` with the ``user_agent``, and as the correlation id ``request:<id>``
(unless the request's work set one of its own, as API calls do), so that a reviewer can find everything
one request did.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from auditlog.middleware import AuditlogMiddleware
from django.http import HttpRequest, HttpResponse

from hub.api.permissions import client_address
from hub.audit.attribution import attributed

REQUEST_ID_HEADER = "X-Request-ID"
MAX_USER_AGENT = 300


class HubAuditlogMiddleware(AuditlogMiddleware):
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return client_address(request) or None

    @staticmethod
    def _get_remote_port(request: HttpRequest) -> int | None:
        return None  # a forwarded port is as forgeable as a forwarded address, and says nothing more

    def __call__(self, request: HttpRequest) -> Any:
        request_id = uuid.uuid4().hex
        details = {
            "request_id": request_id,
            "user_agent": request.headers.get("User-Agent", "")[:MAX_USER_AGENT],
        }
        with attributed(cid=f"request:{request_id}", details=details):
            response = super().__call__(request)
        response[REQUEST_ID_HEADER] = request_id
        return response
