"""django-axes' admin, narrowed: its clean-up action deletes rows, so only those who may delete may run it
(axes offers it to anyone who can see the list, a compliance reviewer included)."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.http import HttpRequest


class SignInAttemptAdmin(AccessAttemptAdmin):
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not self.has_delete_permission(request):
            actions.pop("cleanup_expired_attempts", None)
        return actions


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, SignInAttemptAdmin)
