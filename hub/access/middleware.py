"""The RQ dashboard (/admin/rq/) is django-rq's: it lets any staff member clear queues and delete jobs.
Here only people with its "Access admin page" permission (operators, superusers) may change anything
there; other staff may look."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

# django-rq serves its dashboard twice: at our include (/admin/rq/) and in its own admin (/admin/django_rq/).
DASHBOARD_PREFIXES = ("/admin/rq/", "/admin/django_rq/")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class QueueDashboardGuard:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path.startswith(DASHBOARD_PREFIXES)
            and request.method not in SAFE_METHODS
            and not request.user.has_perm("django_rq.admin")
        ):
            raise PermissionDenied("Only operators may change the job queues.")
        return self.get_response(request)
