from __future__ import annotations

import re
import time
from email.utils import formatdate

import pytest

from connectors.base import (
    AuthenticationError,
    ConfigurationError,
    ConnectorError,
    RateLimitedError,
    RemoteError,
    UnreachableError,
)
from tests.connectors.personas import values
from tests.connectors.servers import Reply, refused_port

PRIVATE = "Jane Private-Person"  # a value of the payload that must never reach a message


def fetch_all(connector):
    return list(connector.fetch())


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        (
            {"items": [], "who": PRIVATE},
            "data",
            "looked for the records at “data” but found an object without “data”",
        ),
        ({"result": PRIVATE}, "result.items", "found text without “items”"),
        ({"data": PRIVATE}, "data", "expected a list of records at “data” but found text"),
        ({"data": {"who": PRIVATE}}, "data", "at “data” but found an object"),
        ({"who": PRIVATE}, "", "expected a list of records as the whole answer but found an object"),
        ({"data": [{"id": 1}, PRIVATE]}, "data", "record 2 of the list is text, expected an object"),
    ],
)
def test_records_path_errors_say_where_and_what(api, make_connector, body, path, words):
    api.on("GET", "/records", Reply(200, body))
    with pytest.raises(ConnectorError) as caught:
        fetch_all(make_connector(values(api.url, read_path="/records", records_path=path)))
    assert words in caught.value.message
    assert caught.value.permanent
    assert PRIVATE not in str(caught.value)


def test_an_answer_that_is_not_json_is_permanent(api, make_connector):
    html = f"<html>{PRIVATE}</html>".encode()
    api.on("GET", "/records", Reply(200, html, headers={"Content-Type": "text/html"}))
    with pytest.raises(ConnectorError, match=re.escape("the answer is not JSON (text/html)")) as caught:
        fetch_all(make_connector(values(api.url, read_path="/records")))
    assert caught.value.permanent
    assert PRIVATE not in str(caught.value)


def test_too_many_requests_carries_retry_after_in_seconds(api, make_connector):
    api.on("GET", "/records", Reply(429, {}, headers={"Retry-After": "7"}))
    with pytest.raises(RateLimitedError) as caught:
        fetch_all(make_connector(values(api.url, read_path="/records")))
    assert caught.value.retry_after == 7
    assert not caught.value.permanent
    assert "wait 7 s" in caught.value.message


def test_too_many_requests_carries_retry_after_as_a_date(api, make_connector):
    later = formatdate(time.time() + 120, usegmt=True)
    api.on("GET", "/records", Reply(429, {}, headers={"Retry-After": later}))
    with pytest.raises(RateLimitedError) as caught:
        fetch_all(make_connector(values(api.url, read_path="/records")))
    assert 100 < (caught.value.retry_after or 0) <= 120


def test_too_many_requests_without_retry_after(api, make_connector):
    api.on("GET", "/records", Reply(429, {}))
    with pytest.raises(RateLimitedError) as caught:
        fetch_all(make_connector(values(api.url, read_path="/records")))
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    ("status", "error_type", "permanent"),
    [
        (500, RemoteError, False),
        (502, RemoteError, False),
        (503, RemoteError, False),
        (408, RemoteError, False),
        (409, RemoteError, False),
        (400, RemoteError, True),
        (404, RemoteError, True),
        (422, RemoteError, True),
        (401, AuthenticationError, True),
        (403, AuthenticationError, True),
        (301, RemoteError, True),
    ],
)
def test_status_codes_map_to_errors(api, make_connector, status, error_type, permanent):
    api.on("GET", "/records", Reply(status, {"error": "nope"}))
    with pytest.raises(error_type) as caught:
        fetch_all(make_connector(values(api.url, read_path="/records")))
    assert type(caught.value) is error_type
    assert caught.value.permanent is permanent
    assert caught.value.status_code == status
    assert f"HTTP {status}" in caught.value.message
    assert caught.value.message.startswith("GET /records on 127.0.0.1:")


def test_a_4xx_quotes_the_systems_reason(api, make_connector):
    api.on("GET", "/records", Reply(400, {"error": "unknown field updated_since"}))
    with pytest.raises(RemoteError, match="unknown field updated_since"):
        fetch_all(make_connector(values(api.url, read_path="/records")))


def test_a_refused_connection_is_transient(make_connector):
    connector = make_connector(values(f"http://127.0.0.1:{refused_port()}", read_path="/records"))
    with pytest.raises(UnreachableError, match="Connection refused") as caught:
        fetch_all(connector)
    assert not caught.value.permanent


def test_a_timeout_is_transient(api, make_connector):
    api.on("GET", "/records", Reply(200, [], delay=1.5))
    with pytest.raises(UnreachableError, match=re.escape("within 0.2 s")) as caught:
        fetch_all(make_connector(values(api.url, read_path="/records", read_timeout=0.2)))
    assert not caught.value.permanent


def test_reading_needs_a_read_path(make_connector):
    with pytest.raises(ConfigurationError, match="Path to read records from"):
        fetch_all(make_connector(values("http://127.0.0.1:9")))
