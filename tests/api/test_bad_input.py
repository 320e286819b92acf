"""No input gets a 500: text the database cannot hold, numbers out of range, forged cursors, moments off the
calendar, NUL in a path or a header, bodies between Django's default limit and the API's: each a 4xx problem."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hub.flows.models import Run
from hub.flows.runs import run_execute
from tests.api.conftest import order
from tests.api.test_push import assert_problem, nothing_stored, push

RECORDS = "/api/v1/entities/Order/records/"
MAX_ID_LENGTH = 255  # hub.api.services.MAX_ID_LENGTH, as documented


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        (b'{"records": [{"id": "SO-1", "number": "\\ud800", "total": "1", "status": "open"}]}', "/records/0/number"),
        (b'{"records": [{"id": "SO-\\udc00", "number": "N", "total": "1", "status": "open"}]}', "/records/0/id"),
        (b'{"records": [{"id": "SO-2", "number": "SO-2", "total": "1", "status": "open", "\\u0000": 1}]}',
         "/records/0/\u0000"),
        (b'{"records": [{"id": "SO-3", "number": "a\\u0000b", "total": "1", "status": "open"}]}', "/records/0/number"),
    ],
)  # fmt: skip
def test_text_the_database_cannot_hold_is_refused_where_it_is(client, keys, raw, pointer):
    assert_problem(push(client, keys, None, raw=raw), 400, pointer)
    nothing_stored()


def test_a_backslash_u0000_written_out_is_ordinary_text(client, keys):
    """Only a real NUL is refused, not the six characters a Windows path may hold (finding 12)."""
    response = push(client, keys, {"records": [order(2, number="C:\\u0000dir")]})
    assert response.status_code == 202, response.content


@pytest.mark.parametrize("number", [b"1e400", b"-1e400", b"NaN", b"Infinity"])
def test_numbers_out_of_range_are_refused(client, keys, number):
    raw = b'{"records": [{"id": "SO-1", "number": "SO-1", "total": ' + number + b', "status": "open"}]}'
    problem = assert_problem(push(client, keys, None, raw=raw), 400)
    assert problem["type"].endswith("malformed-json")
    nothing_stored()


def test_an_id_too_long_for_the_hub_is_refused(client, keys):
    assert_problem(push(client, keys, {"records": [order(2, id="X" * 400)]}), 400, "/records/0")
    assert push(client, keys, {"records": [order(2, id="X" * MAX_ID_LENGTH)]}, ikey="fits").status_code == 202


def test_a_natural_key_too_long_for_the_hub_is_refused(client, keys):
    assert_problem(push(client, keys, {"records": [order(2, number="N" * 501)]}), 400, "/records/0/number")
    nothing_stored()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        base64.b64encode(b"p=garbage").decode(),
        base64.b64encode(b"p=9999-99-99").decode(),
        base64.b64encode(b"p=\x00").decode(),
        base64.urlsafe_b64encode(b"0|9999-12-31T23:59:59-05:00|1").decode(),
        base64.urlsafe_b64encode(b"0|2026-11-25T10:00:00|1").decode(),  # no time zone
        base64.urlsafe_b64encode(b"0|2026-11-25T10:00:00+00:00|99999999999999999999").decode(),
        base64.urlsafe_b64encode(b"2|2026-11-25T10:00:00+00:00|1").decode(),
    ],
)
def test_a_forged_record_cursor_is_a_400(client, keys, cursor):
    response = client.get(RECORDS, {"cursor": cursor}, headers=keys.header("acme_orders"))
    assert_problem(response, 400, "cursor")


@pytest.mark.parametrize("position", [b"garbage", b"1e99", b"\x00", b"99999999999999999999"])
def test_a_forged_dead_letter_cursor_is_a_400(client, keys, position):
    cursor = base64.b64encode(b"p=" + position).decode()
    response = client.get("/api/v1/dead-letters/", {"cursor": cursor}, headers=keys.header("acme_orders"))
    assert_problem(response, 400, "cursor")


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "2026-13-01T00:00:00Z",
        "2026-11-25T10:00:00\x00",
    ],
)
def test_updated_since_off_the_calendar_is_a_400(client, keys, moment):
    response = client.get(RECORDS, {"updated_since": moment}, headers=keys.header("acme_orders"))
    assert_problem(response, 400, "updated_since")


def test_nul_in_the_path_finds_nothing_and_asks_the_database_nothing(client, keys):
    headers = keys.header("acme_orders")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/entities/Ord%00er/records/", headers=headers)
    assert_problem(response, 404)
    assert not any("Ord\x00er" in query["sql"] for query in queries.captured_queries)


def test_nul_in_the_authorization_header_is_a_401_without_a_lookup(client, keys):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/flows/", HTTP_AUTHORIZATION="Api-Key ab\x00cd.efgh")
    assert_problem(response, 401)
    assert not any("api_apikey" in query["sql"] for query in queries.captured_queries)


def test_a_body_between_django_s_limit_and_the_api_s_is_accepted(client, keys, settings):
    from hub.api.views import MAX_BODY_BYTES

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE >= MAX_BODY_BYTES  # else Django refuses it before the API
    records = [order(n, customer="x" * 3000 + "@e.com") for n in range(1, 1000)]
    raw = json.dumps({"records": records}).encode()
    assert 2_621_440 < len(raw) < 5 * 1024 * 1024
    response = push(client, keys, None, raw=raw)
    assert response.status_code != 500, response.content
    assert response.status_code in (202, 400), response.content  # the e-mails are long, not too large


def test_a_body_above_the_api_s_limit_is_a_413(client, keys):
    raw = json.dumps({"records": [order(1, customer="x" * (6 * 1024 * 1024))]}).encode()
    assert_problem(push(client, keys, None, raw=raw), 413)
    nothing_stored()


def test_the_exception_handler_turns_refused_values_into_400s(rf):
    from django.core.exceptions import RequestDataTooBig, ValidationError
    from django.db import DataError

    from hub.api.problems import problem_exception_handler

    request: Any = rf.get("/api/v1/x/")
    for error in (ValidationError("bad"), DataError("value too long"), ValueError("NUL")):
        response = problem_exception_handler(error, {"request": request})
        assert response is not None
        assert response.status_code == 400
    too_big = problem_exception_handler(RequestDataTooBig("too big"), {"request": request})
    assert too_big is not None
    assert too_big.status_code == 413


def test_a_long_id_no_longer_blocks_the_run_of_good_pushes(client, keys):
    good = push(client, keys, {"records": [order(1)]}, ikey="good").json()["batch"]
    push(client, keys, {"records": [order(2, id="X" * 400)]}, ikey="long")
    run = run_execute(Run.objects.get().pk, worker="test")
    assert run is not None
    assert run.state == "succeeded", run.error
    report = client.get(f"/api/v1/batches/{good}/", headers=keys.header("acme_orders")).json()
    assert report["counts"]["delivered"] == 1
