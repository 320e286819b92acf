"""The audit trail's vocabulary beyond auditlog's create / update / delete.

auditlog records changes itself (model signals). Everything else a reviewer must be able to find is an
``ACCESS`` entry whose ``additional_data["event"]`` says what happened; the audit view and its filters
use exactly these names. ``additional_data`` also carries ``reason`` (why, in words) and, for work outside
a person's request, ``by`` (e.g. "run 12 of flow Customers to ERP", "API key 3fA9xQ2b of Acme").
"""

from __future__ import annotations

from django.db import models


class Event(models.TextChoices):
    ACCESSED = "accessed", "accessed"  # a record, a dead letter's payload, a page of records read
    DECRYPTED = "decrypted", "decrypted"  # a credential's plaintext taken from the vault
    EXPORTED = "exported", "exported"  # configuration or audit trail exported
    LOGGED_IN = "logged_in", "logged in"
    LOGIN_FAILED = "login_failed", "failed login"
    KEY_USED = "key_used", "API key used"


EVENT_KEY = "event"
