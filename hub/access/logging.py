"""Log lines that are safe to keep: secrets redacted, and no value able to forge a line.

``SafeLogFilter`` is installed on every handler in ``settings.LOGGING``. It renders the message with its
arguments once, redacts anything that looks like a credential, and encodes newlines and other control
characters, so that a value another system sent (an error body, a record id) stays inside its own line.
Tracebacks keep their lines but are indented, so none of them can pass for a new log line.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# The names that announce a secret (not secrets themselves).
_SECRET_WORDS = "|".join(
    [
        "password", "passwd", "pwd", "secret", "client_secret", "webhook_secret", "token", "access_token",
        "refresh_token", "api[_-]?key", "apikey", "x-api-key", "authorization", "private_key", "sessionid",
        "csrftoken",
    ]
)  # fmt: skip
# (pattern, replacement), applied in order.
_RULES: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Bearer abc / "Authorization": "Api-Key abc" / HTTP_AUTHORIZATION='Basic abc'
    (
        re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:[A-Za-z-]+\s+)?[^\s'\",;}]+"),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"(?i)\b(bearer|basic|token|api-key)(\s+)[A-Za-z0-9._~+/=-]{6,}"), rf"\1\2{REDACTED}"),
    # "password": "correct horse battery" (a quoted value, spaces and all), DB_PASSWORD='...', 'X-Shop-Key': '...'
    (
        re.compile(
            rf"(?i)((?:[A-Za-z0-9]+[_-])*(?:{_SECRET_WORDS}|key|pass)(?:[_-][A-Za-z0-9]+)*['\"]?\s*[:=]\s*)"
            rf"(['\"])(?!{re.escape(REDACTED)})[^'\"]*\2"
        ),
        rf"\1\2{REDACTED}\2",
    ),
    # password=..., token: ..., SECRET_KEY=..., ?key=... (an unquoted value, up to a separator)
    (
        re.compile(
            rf"(?i)((?:\b|_|-)(?:[A-Za-z0-9]+[_-])*(?:{_SECRET_WORDS}|key|pass)(?:[_-][A-Za-z0-9]+)*"
            rf"\s*[:=]\s*)(?!{re.escape(REDACTED)})(?!['\"])[^\s'\"&,;}}]+"
        ),
        rf"\1{REDACTED}",
    ),
    # user:password@host in URLs (the password may itself hold an @: up to the last one before the host)
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s/]+@"), rf"\1{REDACTED}@"),
    # Fernet tokens (our encrypted secrets): version byte 0x80 makes them start with gAAAAA
    (re.compile(r"gAAAAA[A-Za-z0-9_=-]{20,}"), REDACTED),
    # the hub's API keys (hub/api/keys.py): an 8-character prefix, a dot, 40 characters of secret
    (re.compile(r"\b([A-Za-z0-9]{8})\.[A-Za-z0-9]{40}\b"), rf"\1.{REDACTED}"),
]

# Control characters, line and paragraph separators, and the invisible format characters (bidi overrides such
# as U+202E, zero-width joiners) that can make a line read as something it is not.
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def encode_controls(text: str) -> str:
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), _escaped(m.group())), text)


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _indented(text: str) -> str:
    return "\n".join("    " + encode_controls(line) for line in redact(text).splitlines())


class SafeLogFilter(logging.Filter):
    """Rewrites the record in place (so every later handler sees the safe text) and never drops it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_hub_safe", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is rather than lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = encode_controls(redact(message)), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _indented(record.exc_text)
        if record.stack_info:
            record.stack_info = _indented(record.stack_info)
        record._hub_safe = True
        return True
