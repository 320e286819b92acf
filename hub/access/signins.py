"""Sign-ins in the audit trail: one ``logged_in`` entry per sign-in, one ``login_failed`` per refusal.

Django sends ``user_logged_in`` / ``user_login_failed`` from ``login()`` and ``authenticate()``; these two
receivers are the whole of it (auth signals are how Django reports sign-ins, there is no service to call).
A failed attempt records the user name tried and the address, never the password or anything else from
the credentials.
"""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.http import HttpRequest

from hub.api.permissions import client_address
from hub.audit.events import EVENT_KEY, Event
from hub.audit.services import actor_user

USERNAME_LIMIT = 150  # as long as a Django user name may be: longer input is cut, not stored whole


def client_ip(request: HttpRequest | None) -> str | None:
    """The person's address, for django-axes' counting (AXES_CLIENT_IP_CALLABLE) and the audit entry alike:
    the peer, or behind a proxy listed in HUB_TRUSTED_PROXIES the address that proxy forwarded. A
    forwarded header from anyone else is ignored, so nobody can pick the address their failures count to.
    """
    if request is None:
        return None
    return client_address(request) or None


def signin_recorded(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    LogEntry.objects.log_create(
        user,
        force_log=True,
        action=LogEntry.Action.ACCESS,
        changes={},
        actor=actor_user(user),
        remote_addr=client_ip(request),
        additional_data={
            EVENT_KEY: str(Event.LOGGED_IN),
            "username": user.get_username(),
            "ip": client_ip(request),
        },
    )


def signin_failure_recorded(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    user_model = get_user_model()
    tried = str(credentials.get(user_model.USERNAME_FIELD) or "")[:USERNAME_LIMIT]
    known = (
        user_model._default_manager.filter(**{user_model.USERNAME_FIELD: tried}).first() if tried else None
    )
    LogEntry.objects.log_create(
        known or user_model(**{user_model.USERNAME_FIELD: tried}),
        force_log=True,
        action=LogEntry.Action.ACCESS,
        changes={},
        object_pk=str(known.pk) if known else "",
        object_repr=tried or "(no user name)",
        remote_addr=client_ip(request),
        additional_data={EVENT_KEY: str(Event.LOGIN_FAILED), "username": tried, "ip": client_ip(request)},
    )


def connect_receivers() -> None:
    user_logged_in.connect(signin_recorded, dispatch_uid="hub.access.signin_recorded")
    user_login_failed.connect(signin_failure_recorded, dispatch_uid="hub.access.signin_failure_recorded")
