"""The secrets scan over the whole test run: no plaintext secret in a log line, a page, an API response or
the audit trail.

How it works (installed by tests/conftest.py for every session):

- **Needles.** Every plaintext secret the run creates is observed where it is made, without changing what
  happens there: ``hub.systems.vault.encrypt`` (credentials, webhook secrets: everything stored encrypted)
  and ``hub.api.keys.KEYS.generate`` (the generator ``api_key_issue`` uses, so every new API key whatever
  the import path). Values shorter than ``MIN_LENGTH`` are ignored: they would match ordinary words.
- **Haystacks.** Each log record, as our handlers write it (formatted, through ``SafeLogFilter``, the filter
  every handler in settings.LOGGING carries); each response Django produces (``BaseHandler.get_response``:
  the test client, DRF's client and the live server alike; body and headers; a streaming body as it is
  read, up to ``STREAM_LIMIT``; files skipped); and, at the end of each test that used the database, every
  audit entry (``LogEntry``: changes, additional data, serialized data, text) present before the test's
  rollback or flush. Scanning at each test's end rather than once at the end of the session is what makes
  the audit part work at all: a test's rows are gone after its teardown.
- **Other processes.** What the RQ worker processes some tests start (``manage.py rqworker``) write: their
  log lines, formatted by their own settings.LOGGING. A test that starts one sends its output to a file and
  hands the file to ``SCAN.watch`` (tests/flows/test_engine_workers.py ``Workers.start``), or hands its
  captured output to ``SCAN.capture`` (tests/systems/test_probe_job.py). Watched files are read at each
  flush, up to their last complete line (a worker may still be writing), and to their end when the session
  ends.
- **When.** Everything captured during a test is kept until the test ends, then searched for every needle
  known by then (so a value logged before it was encrypted is still found), then dropped.
- **Result.** A hit fails the session (exit status 1) with the list of where each was found; the secret
  itself is never printed, only its start and where it came from.

Deliberate exceptions, the only places a secret must appear:

1. ``api/key_created.html``: the page that shows a new API key once to the person who created it
   (``ApiKeyAdmin.response_add``). Only the API-key needles, only in a response rendered from that template.
2. The message after "Make a new webhook secret" (``hub/flows/admin/flows.py``), shown once on the page
   after the action: only a vault needle directly preceded by ``WEBHOOK_SECRET_SHOWN``.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIN_LENGTH = 8
STREAM_LIMIT = 2_000_000  # characters of one streamed body that are scanned
VAULT, API_KEY = "a secret stored in the vault", "an API key"
KEY_PAGE_TEMPLATE = "api/key_created.html"
WEBHOOK_SECRET_SHOWN = "The secret, shown this once: "


@dataclass(frozen=True)
class Haystack:
    where: str
    text: str
    template: str = ""


@dataclass
class SecretScan:
    needles: dict[str, str] = field(default_factory=dict)  # plaintext -> where it came from
    pending: list[Haystack] = field(default_factory=list)
    hits: list[str] = field(default_factory=list)
    test: str = "(outside a test)"
    scanned: int = 0
    seconds: float = 0.0  # spent searching, reported at the end so that the cost stays visible
    watched: dict[Path, int] = field(default_factory=dict)  # another process's log file -> bytes read

    def watch(self, path: Path) -> None:
        """Scan what another process (an RQ worker) writes to ``path`` from now on, at each flush."""
        self.watched.setdefault(path, 0)

    def read_watched(self, *, to_the_end: bool = False) -> None:
        for path, done in list(self.watched.items()):
            try:
                with path.open("rb") as log:
                    log.seek(done)
                    data = log.read()
            except FileNotFoundError:  # not written yet, or its directory is gone
                continue
            if not to_the_end:
                data = data[: data.rfind(b"\n") + 1]  # a line still being written waits for the next flush
            self.watched[path] = done + len(data)
            self.capture(f"output of the worker logging to {path}", data.decode("utf-8", "replace"))

    def observe(self, plaintext: Any, origin: str) -> None:
        if isinstance(plaintext, str) and len(plaintext) >= MIN_LENGTH:
            self.needles.setdefault(plaintext, origin)

    def capture(self, where: str, text: str, template: str = "") -> None:
        if text:
            self.pending.append(Haystack(f"{self.test}: {where}", text, template))

    def found_in(self, haystack: Haystack) -> list[str]:
        return [  # the report never shows the secret, even where the place's name contains it
            f"{haystack.where.replace(needle, needle[:4] + '…')}: {needle[:4]}… ({origin})"
            for needle, origin in self.needles.items()
            if needle in haystack.text and not allowed(haystack, needle, origin)
        ]

    def flush(self, *, to_the_end: bool = False) -> list[str]:
        """Search what was captured since the last flush (and what watched files got); record and return the
        hits. ``to_the_end``: read watched files to their last byte (the session is over)."""
        self.read_watched(to_the_end=to_the_end)
        started, (pending, self.pending) = time.perf_counter(), (self.pending, [])
        found = [hit for haystack in pending for hit in self.found_in(haystack)]
        self.seconds += time.perf_counter() - started
        self.scanned += len(pending)
        self.hits += found
        return found

    @contextmanager
    def expecting_leaks(self) -> Iterator[list[str]]:
        """For the scan's own tests: what is captured inside is searched on leaving, and its hits returned
        instead of failing the session."""
        self.flush()
        found: list[str] = []
        try:
            yield found
        finally:
            self.read_watched(to_the_end=True)
            pending, self.pending = self.pending, []
            found += [hit for haystack in pending for hit in self.found_in(haystack)]


def allowed(haystack: Haystack, needle: str, origin: str) -> bool:
    if origin == API_KEY and haystack.template == KEY_PAGE_TEMPLATE:
        return True
    if origin == VAULT:
        start = 0
        while (at := haystack.text.find(needle, start)) != -1:
            if not haystack.text[:at].endswith(WEBHOOK_SECRET_SHOWN):
                return False
            start = at + 1
        return True
    return False


SCAN = SecretScan()


class CaptureHandler(logging.Handler):
    """Every log record, as our handlers would write it."""

    def __init__(self) -> None:
        from hub.access.logging import SafeLogFilter

        super().__init__(level=logging.DEBUG)
        self.addFilter(SafeLogFilter())
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            SCAN.capture(f"log record from {record.name}", self.format(record))
        except Exception:  # a record that cannot be formatted is pytest's problem to show, not ours
            self.handleError(record)


def _observing(original: Callable[..., Any], origin: str, pick: Callable[..., Any]) -> Any:
    @functools.wraps(original)
    def observed(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        SCAN.observe(pick(result, *args, **kwargs), origin)
        return result

    observed.__wrapped_by_secret_scan__ = True  # type: ignore[attr-defined]
    return observed


def _response_text(response: Any) -> str:
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    if getattr(response, "streaming", False):
        return headers
    return headers + "\n" + response.content.decode("utf-8", "replace")


def _stream_observed(response: Any, where: str) -> None:
    """Scan a streamed body as the client reads it, without holding more than STREAM_LIMIT."""
    from django.http import FileResponse

    if isinstance(response, FileResponse) or getattr(response, "is_async", False):
        return
    chunks = response.streaming_content

    def tee() -> Iterator[bytes]:
        seen = 0
        for chunk in chunks:
            if seen < STREAM_LIMIT:
                text = chunk.decode("utf-8", "replace") if isinstance(chunk, bytes) else str(chunk)
                SCAN.capture(f"{where} (streamed)", text)
                seen += len(text)
            yield chunk

    response.streaming_content = tee()


def _observing_responses(original: Callable[..., Any]) -> Any:
    @functools.wraps(original)
    def get_response(handler: Any, request: Any) -> Any:
        response = original(handler, request)
        where = f"response to {request.method} {request.get_full_path()} ({response.status_code})"
        template = getattr(response, "template_name", None)
        SCAN.capture(where, _response_text(response), template if isinstance(template, str) else "")
        if getattr(response, "streaming", False):
            _stream_observed(response, where)
        return response

    return get_response


def audit_haystacks() -> list[Haystack]:
    """Every audit entry in the database now, as text."""
    from auditlog.models import LogEntry

    rows = LogEntry.objects.values_list(
        "pk", "object_repr", "changes", "changes_text", "additional_data", "serialized_data"
    )
    return [
        Haystack(f"{SCAN.test}: audit entry {pk} ({repr_})", " ".join(str(v) for v in values))
        for pk, repr_, *values in rows.iterator(chunk_size=2000)
    ]


@contextmanager
def installed() -> Iterator[SecretScan]:
    """Wrap the two places secrets are made and Django's response path, and listen to the root logger."""
    from django.core.handlers.base import BaseHandler

    from hub.api import keys
    from hub.systems import vault

    originals = (vault.encrypt, keys.KEYS.generate, BaseHandler.get_response)
    vault.encrypt = _observing(vault.encrypt, VAULT, lambda result, plaintext: plaintext)
    keys.KEYS.generate = _observing(keys.KEYS.generate, API_KEY, lambda result: result[0])  # type: ignore[method-assign]
    BaseHandler.get_response = _observing_responses(BaseHandler.get_response)  # type: ignore[method-assign]
    handler = CaptureHandler()
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in ("django.server",))]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield SCAN
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        vault.encrypt, keys.KEYS.generate, BaseHandler.get_response = originals  # type: ignore[method-assign]
