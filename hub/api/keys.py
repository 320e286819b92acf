"""API keys: made and checked with djangorestframework-api-key's KeyGenerator (see models.py for why not
its model). Imported by the authentication class, so it stays free of the rest of the API."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework_api_key.crypto import KeyGenerator

from hub.api.models import ApiKey
from hub.audit.services import Actor

KEYS = KeyGenerator(prefix_length=8, secret_key_length=40)
MAX_KEY_LENGTH = 200
TOUCH_EVERY = timedelta(minutes=1)  # last use is kept to the minute: no write on every call
_DUMMY_HASH = KEYS.hash("not-a-key.of-anyone")  # what an unknown prefix is checked against


class KeyRefused(Exception):
    """The key cannot be used: unknown, wrong, revoked, expired, or its partner suspended.

    ``key`` is the key its prefix names, when there is one: the refusal is then audited against it."""

    def __init__(self, message: str, key: ApiKey | None = None) -> None:
        super().__init__(message)
        self.key = key


def api_key_issue(*, key: ApiKey) -> str:
    """Give an unsaved key its secret, save it, and return the secret: the only time anyone sees it."""
    raw, prefix, hashed = KEYS.generate()
    key.prefix, key.hashed_key = prefix, hashed
    key.save()
    return raw


def api_key_revoke(*, key: ApiKey, actor: Actor = None) -> bool:
    """Revoke a key for good; returns False when it was already revoked."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    return True


def api_key_check(*, raw: str) -> ApiKey:
    prefix, dot, _ = raw.partition(".")
    key = None
    if dot and len(raw) <= MAX_KEY_LENGTH and raw.isascii() and raw.isprintable():  # no NUL for the database
        key = ApiKey.objects.select_related("partner").filter(prefix=prefix).first()
    # An unknown prefix costs a hash check as well, so that timing does not tell which prefixes exist.
    if not KEYS.verify(raw, key.hashed_key if key is not None else _DUMMY_HASH) or key is None:
        raise KeyRefused("The API key is not valid.", key)
    if key.revoked_at is not None:
        raise KeyRefused(f"This API key was revoked on {key.revoked_at:%Y-%m-%d %H:%M} UTC.", key)
    if key.has_expired:
        raise KeyRefused(
            f"This API key expired on {key.expires_at:%Y-%m-%d %H:%M} UTC: ask for a new one.", key
        )
    if not key.partner.is_active:
        raise KeyRefused("This partner's access to the API is suspended.", key)
    return key


def api_key_touch(*, key: ApiKey, address: str) -> None:
    now = timezone.now()
    fresh = key.last_used_at is not None and now - key.last_used_at < TOUCH_EVERY
    if fresh and key.last_used_from == (address or None):
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_from=address or None)
    key.last_used_at, key.last_used_from = now, address or None
