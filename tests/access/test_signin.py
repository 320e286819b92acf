"""Admin sign-in: locked after repeated failures of one name from one address, and every attempt in the
audit trail (tests/access/test_lockout_tiers.py: the address and name tiers)."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.conf import settings

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"
WRONG = "wrong-horse-that-must-never-be-stored"
LOGIN = "/admin/login/?next=/admin/"


def sign_in(client, password: str, *, username: str = "beatrice", address: str = "203.0.113.7", **meta):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **meta)


def entries(event: str) -> list[LogEntry]:
    return list(LogEntry.objects.filter(additional_data__event=event).order_by("pk"))


def test_the_limits_are_five_twenty_and_thirty_failures_for_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5  # one name from one address
    assert settings.HUB_LOGIN_ADDRESS_FAILURE_LIMIT == 20  # one address, any names
    assert settings.HUB_LOGIN_NAME_FAILURE_LIMIT == 30  # one name, any addresses
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60


def test_repeated_failures_lock_the_name_from_that_address(client, business_admin):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, WRONG).status_code == 200  # the login page again, with its error
    locked = sign_in(client, WRONG)
    assert locked.status_code == 429
    assert "Sign-in locked" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()
    # Even the right password is refused now, from that address...
    assert sign_in(client, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # ...but not from another one.
    assert sign_in(client, PASSWORD, address="198.51.100.9").status_code == 302


def test_a_success_resets_the_count(client, business_admin):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, WRONG)
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, WRONG).status_code == 200
    assert sign_in(client, PASSWORD).status_code == 302


def test_each_sign_in_is_one_entry_with_its_actor(client, business_admin):
    assert sign_in(client, PASSWORD).status_code == 302
    [entry] = entries("logged_in")
    assert entry.actor == business_admin
    assert entry.action == LogEntry.Action.ACCESS
    assert entry.object_pk == str(business_admin.pk)
    assert entry.additional_data["ip"] == "203.0.113.7"
    assert entry.remote_addr == "203.0.113.7"


def test_each_failure_is_one_entry_with_the_name_tried_and_never_the_password(client, business_admin):
    sign_in(client, WRONG)
    sign_in(client, WRONG, username="nobody-by-this-name", address="192.0.2.44")
    known, unknown = entries("login_failed")
    assert len(entries("login_failed")) == 2
    assert (known.actor, known.object_pk, known.object_repr, known.additional_data["username"]) == (
        None, str(business_admin.pk), "beatrice", "beatrice",
    )  # fmt: skip
    assert unknown.object_pk == ""
    assert unknown.additional_data["ip"] == "192.0.2.44"
    assert unknown.cid == f"request:{unknown.additional_data['request_id']}"
    everything = [
        f"{e.changes} {e.additional_data} {e.serialized_data} {e.object_repr}" for e in LogEntry.objects.all()
    ]
    everything += [f"{a.get_data} {a.post_data}" for a in AccessAttempt.objects.all()]
    assert not [text for text in everything if WRONG in text]


def every_column_of_every_entry() -> list[str]:
    columns = [field.attname for field in LogEntry._meta.concrete_fields]
    return [str(value) for row in LogEntry.objects.values_list(*columns) for value in row]


def test_a_name_that_is_no_user_is_kept_only_as_a_hash_and_its_length(client, business_admin):
    typed = PASSWORD + "!"  # a password typed into the user-name field (not beatrice's, but close)
    sign_in(client, WRONG, username=typed, address="192.0.2.44")
    sign_in(client, "another-wrong-one", username=typed, address="192.0.2.45")
    sign_in(client, WRONG, username="someone-else", address="192.0.2.44")
    first, again, other = entries("login_failed")

    assert first.additional_data["name_matched"] is False
    assert first.additional_data["name_length"] == len(typed)
    assert "username" not in first.additional_data
    assert "matches no user" in first.additional_data["reason"]
    assert first.object_repr == (
        f"unknown user name #{first.additional_data['name_hash']} ({len(typed)} characters)"
    )
    # The same text gives the same mark, whatever the address or password; other text another one.
    assert again.additional_data["name_hash"] == first.additional_data["name_hash"]
    assert other.additional_data["name_hash"] != first.additional_data["name_hash"]
    assert (first.actor, first.object_pk) == (None, "")
    columns = every_column_of_every_entry()
    assert not [value for value in columns if typed in value or PASSWORD in value]
    assert not [value for value in columns if "someone-else" in value]
    # Nor does django-axes' own table of attempts (shown to staff) keep the text.
    attempts = [str(value) for row in AccessAttempt.objects.values() for value in row.values()]
    assert attempts, "the failures were counted"
    assert not [value for value in attempts if typed in value or "someone-else" in value]
    assert any(first.additional_data["name_hash"] in value for value in attempts)


def test_an_empty_or_overlong_name_is_no_user_either(client, business_admin):
    sign_in(client, WRONG, username="beatrice" + "x" * 200)
    client.post(LOGIN, {"username": "", "password": WRONG}, REMOTE_ADDR="203.0.113.7")
    assert sign_in(client, PASSWORD).status_code == 302  # neither counted against beatrice
    [overlong] = entries("login_failed")  # the form refuses an empty name before anyone is asked
    assert overlong.object_pk == ""
    assert overlong.additional_data["name_length"] == len("beatrice") + 200
    assert not [value for value in every_column_of_every_entry() if "beatricex" in value]


def test_a_locked_attempt_is_recorded_as_a_failure_too(client, business_admin):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in(client, WRONG)
    assert len(entries("login_failed")) == settings.AXES_FAILURE_LIMIT + 1
    assert entries("logged_in") == []


def test_behind_a_trusted_proxy_failures_count_to_the_forwarded_address(client, business_admin, settings):
    settings.HUB_TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = {"address": "10.0.0.2"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, WRONG, HTTP_X_FORWARDED_FOR="203.0.113.50", **proxy)
    assert sign_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.50", **proxy).status_code == 429
    assert sign_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.51", **proxy).status_code == 302
    assert {e.additional_data["ip"] for e in entries("login_failed")} == {"203.0.113.50"}


def test_a_forwarded_address_from_anyone_else_is_ignored(client, business_admin):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, WRONG, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")  # a new "address" each time
    assert sign_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429
