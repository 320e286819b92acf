"""Values from other systems cannot forge or garble the hub's own log lines."""

from __future__ import annotations

import logging

import pytest

from hub.flows.engine.text import printable
from hub.flows.models import Run
from hub.flows.runs import _fail
from tests.flows.running import run_once

FORGED = "R-1\n09:00:00 page 9: 0 records: nothing to do\x1b[2J"


def test_printable_escapes_control_characters_and_keeps_the_rest():
    assert printable("Müller & Söhne") == "Müller & Söhne"
    assert printable(FORGED) == "R-1\\n09:00:00 page 9: 0 records: nothing to do\\x1b[2J"
    assert printable("a\r\tb\u2028c\u202ed\x7f") == "a\\r\\tb\\u2028c\\u202ed\\x7f"
    assert printable("back\\slash\\n") == "back\\\\slash\\\\n"  # an escape cannot be faked either
    assert printable("x" * 600, limit=10) == "x" * 9 + "…"


@pytest.mark.django_db
def test_a_record_id_with_a_newline_and_an_escape_stays_on_its_page_line(make_flow, source):
    flow = make_flow()
    first, _ = source.add(2)
    first["id"] = FORGED
    first["country"] = "Germany"  # not a two-letter code: quarantined, so named on the page's line
    run = run_once(flow)
    run.refresh_from_db()
    lines = run.log.splitlines()
    assert len(lines) == run.pages == 1
    assert "\x1b" not in run.log
    assert lines[0].endswith(
        "page 1: 2 records: 1 created, 1 quarantined; to look at: "
        "R-1\\n09:00:00 page 9: 0 records: nothing to do\\x1b[2J"
    )


@pytest.mark.django_db
def test_a_failed_runs_log_line_and_error_are_one_line(make_flow, caplog):
    flow = make_flow()
    run = Run.objects.create(flow=flow, trigger="manual")
    with caplog.at_level(logging.WARNING, logger="hub.flows.runs"):
        _fail(run, f"Source, page 1: the system answered: {FORGED}")
    [record] = [r for r in caplog.records if r.name == "hub.flows.runs"]
    assert "\n" not in record.getMessage()
    assert "\x1b" not in record.getMessage()
    run.refresh_from_db()
    assert "\n" not in run.error
    assert "\\x1b[2J" in run.error
