"""Sign-ins in the audit trail: one ``logged_in`` entry per sign-in, one ``login_failed`` per refusal.

Django sends ``user_logged_in`` / ``user_login_failed`` from ``login()`` and ``authenticate()``; these two
receivers are the whole of it (auth signals are how Django reports sign-ins, there is no service to call).
A failed attempt records the address and, when it is an existing user's name, the user name tried; never
the password or anything else from the credentials. A name that matches no user is not stored: people type
their password into the user-name field often enough. The entry holds a keyed hash of it instead (equal for
equal text, so that a reviewer can see repeated attempts with the same name, and useless without the
SECRET_KEY) and its length.
"""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from hub.api.permissions import client_address
from hub.audit.events import EVENT_KEY, Event
from hub.audit.services import actor_user

USERNAME_LIMIT = 150  # as long as a Django user name may be: longer text is no user's name
UNKNOWN_NAME_SALT = "hub.access.signins.unknown-name"


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
    tried = str(credentials.get(user_model.USERNAME_FIELD) or "")
    known = (
        user_model._default_manager.filter(**{user_model.USERNAME_FIELD: tried}).first()
        if 0 < len(tried) <= USERNAME_LIMIT
        else None
    )
    shown, named = (tried, {"username": tried}) if known is not None else unknown_name(tried)
    LogEntry.objects.log_create(
        known or user_model(),
        force_log=True,
        action=LogEntry.Action.ACCESS,
        changes={},
        object_pk=str(known.pk) if known else "",
        object_repr=shown,
        remote_addr=client_ip(request),
        additional_data={EVENT_KEY: str(Event.LOGIN_FAILED), **named, "ip": client_ip(request)},
    )


def unknown_name(tried: str) -> tuple[str, dict[str, Any]]:
    """What a failed attempt keeps of a user name that is no user's (its text, and its additional data):
    enough to see that two attempts used the same text, nothing to read it back. Not even its first
    character: it may be a password's."""
    if not tried:
        return "(no user name)", {"name_matched": False, "name_length": 0}
    digest = salted_hmac(UNKNOWN_NAME_SALT, tried, algorithm="sha256").hexdigest()[:12]
    return f"unknown user name #{digest} ({len(tried)} characters)", {
        "name_matched": False,
        "name_hash": digest,
        "name_length": len(tried),
        "reason": "the user name matches no user, so it is not kept: only a keyed hash and its length",
    }


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None = None) -> str:
    """The name django-axes counts failures by and keeps in its attempts table (AXES_USERNAME_CALLABLE):
    a user's name as it is, any other text only as its keyed hash, like the audit entry."""
    source: Any = credentials if credentials else (getattr(request, "POST", None) or {})
    user_model = get_user_model()
    tried = str(source.get(user_model.USERNAME_FIELD) or "")
    known = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: tried})
    if tried and len(tried) <= USERNAME_LIMIT and known.exists():
        return tried
    return unknown_name(tried)[0][:255]


def connect_receivers() -> None:
    user_logged_in.connect(signin_recorded, dispatch_uid="hub.access.signin_recorded")
    user_login_failed.connect(signin_failure_recorded, dispatch_uid="hub.access.signin_failure_recorded")
