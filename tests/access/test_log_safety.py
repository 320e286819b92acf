"""Log lines keep no secrets and cannot be forged by a value from another system."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.conf import settings

from hub.access.logging import SafeLogFilter

API_KEY = "Ab3dE5gH." + "k" * 20 + "Z9" * 10


def rendered(msg: str, *args: object, exc: BaseException | None = None) -> str:
    record = logging.LogRecord("hub.test", logging.WARNING, __file__, 1, msg, args, None)
    if exc is not None:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    assert SafeLogFilter().filter(record) is True
    return logging.Formatter("%(levelname)s %(message)s").format(record)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("calling with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"),
        (f"headers={{'Authorization': 'Api-Key {API_KEY}'}}", API_KEY),
        ("token sent: Bearer s3cr3t-t0ken-value", "s3cr3t-t0ken-value"),
        ("login with password=hunter2-and-more&user=x", "hunter2-and-more"),
        ('{"client_secret": "cs-0123456789"}', "cs-0123456789"),
        ("api_key: ak_live_0123456789", "ak_live_0123456789"),
        (
            "stored gAAAAABnZ1x2abcdefghijklmnopqrstuvwxyz0123456789-_== in the vault",
            "gAAAAABnZ1x2abcdefghijklmnop",
        ),
        (f"partner used {API_KEY} today", API_KEY.split(".")[1]),
        ("postgres://hub:db-pass-123@db.example:5432/hub", "db-pass-123"),
        ("Basic dXNlcjpwYXNzd29yZA== sent", "dXNlcjpwYXNzd29yZA=="),
    ],
)
def test_secrets_are_redacted(text, secret):
    line = rendered(text)
    assert secret not in line
    assert "[redacted]" in line


def test_redaction_applies_to_arguments_and_keeps_an_api_keys_prefix():
    line = rendered("key %s refused for %s", API_KEY, "Acme")
    assert API_KEY not in line
    assert "Ab3dE5gH.[redacted]" in line
    assert "Acme" in line


def test_ordinary_text_is_left_alone():
    assert rendered("run %d of flow %s: %d records", 12, "Customers", 500) == (
        "WARNING run 12 of flow Customers: 500 records"
    )


def test_newlines_and_control_characters_cannot_forge_a_line():
    forged = "c-1\n2026-11-25 12:00:00 INFO hub.audit all good\r\x1b[2J\u2028"
    line = rendered("record %s failed", forged)
    for control in ("\n", "\r", "\x1b", "\u2028"):
        assert control not in line
    assert "c-1\\n2026-11-25" in line
    assert "\\r\\x1b[2J" in line
    assert line.startswith("WARNING record c-1\\n")


def test_tracebacks_keep_their_lines_but_every_one_is_indented_and_redacted():
    try:
        raise ValueError("bad answer\nINFO forged line password=p4ss-w0rd")
    except ValueError as error:
        line = rendered("push failed", exc=error)
    first, *rest = line.split("\n")
    assert first == "WARNING push failed"
    assert rest
    assert all(part.startswith("    ") for part in rest)
    assert "p4ss-w0rd" not in line


def test_the_filter_runs_once_per_record_however_many_handlers():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a\nb %s", ("password=zz-top-99",), None)
    SafeLogFilter().filter(record)
    SafeLogFilter().filter(record)
    assert record.getMessage() == "a\\nb password=[redacted]"


def test_every_handler_in_settings_has_the_filter():
    config: dict[str, Any] = settings.LOGGING
    assert config["filters"]["safe"]["()"] == "hub.access.logging.SafeLogFilter"
    for name, handler in config["handlers"].items():
        assert "safe" in handler.get("filters", []), name
    # Django's own loggers go to our handlers, not to its defaults (which have no filter).
    for name in ("django", "django.server"):
        for handler in logging.getLogger(name).handlers:
            if type(handler).__module__.startswith("_pytest"):
                continue  # pytest's capture, not ours
            assert any(isinstance(f, SafeLogFilter) for f in handler.filters), name


def test_a_logged_secret_reaches_the_stream_redacted(capsys):
    handler = next(
        h for h in logging.getLogger().handlers if any(isinstance(f, SafeLogFilter) for f in h.filters)
    )
    record = logging.getLogger("hub.test").makeRecord(
        "hub.test", logging.ERROR, __file__, 1, "sent Authorization: Bearer %s", ("tok-123456789",), None
    )
    handler.handle(record)
    assert "tok-123456789" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("SECRET_KEY=abcdef123456", "abcdef123456"),
        ("DB_PASSWORD=hunter2xyz", "hunter2xyz"),
        ("private-key: AAAAB3Nza", "AAAAB3Nza"),
        ("GET https://shop.example.com/x?key=topsecret123&page=2 failed", "topsecret123"),
        ("headers {'X-Shop-Key': 'k-12345678'}", "k-12345678"),
        ('{"password": "correct horse battery"}', "horse"),
        ("postgresql://hub:S3c@r3t@db:5432/x", "r3t"),
    ],
)
def test_secrets_in_the_usual_disguises_are_redacted(text, secret):
    from hub.access.logging import redact

    assert secret not in redact(text)


def test_invisible_format_characters_are_encoded():
    from hub.access.logging import encode_controls

    assert encode_controls("a\u202eb") == "a\\u202eb"
