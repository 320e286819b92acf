"""No secret, nor a value derived from one, appears in any message or exception the connector gives."""

from __future__ import annotations

import base64
import json

import pytest

from connectors.base import ConnectorError, OutgoingRecord
from tests.connectors.personas import ALL_SECRETS, CLIENT_ID, USERNAME, secrets_for, style_values
from tests.connectors.servers import Reply, Seen, refused_port

STYLES = ["bearer", "basic", "api_key", "oauth2"]
DERIVED = tuple(
    base64.b64encode(f"{user}:{prefix}{secret}".encode()).decode()
    for user, secret in ((USERNAME, ALL_SECRETS[1]), (CLIENT_ID, ALL_SECRETS[3]))
    for prefix in ("", "wrong-")
)
FORBIDDEN = ALL_SECRETS + DERIVED + ("access-1",)
PLAIN_HEADERS = {
    "host",
    "user-agent",
    "accept-encoding",
    "accept",
    "connection",
    "content-length",
    "content-type",
}


def echo(status: int):
    """A system that quotes back everything we sent it: the worst case for leaks."""

    def answer(seen: Seen) -> Reply:
        sent = {name: value for name, value in seen.headers.items() if name not in PLAIN_HEADERS}
        quoted = json.dumps(sent) + seen.body.decode(errors="replace")
        return Reply(status, {"error": quoted, "access_token": "access-1"} if status == 200 else quoted)

    return answer


def texts_of(error: BaseException | None) -> list[str]:
    """Everything an exception could show: str, repr, args, message and its causes."""
    texts: list[str] = []
    depth = 0
    while error is not None and depth < 10:
        texts += [str(error), repr(error), *map(str, error.args), getattr(error, "message", "")]
        error = error.__cause__ or error.__context__
        depth += 1
    return texts


def run_everything(connector) -> list[str]:
    texts = [connector.probe().message]
    try:
        list(connector.fetch())
    except ConnectorError as error:
        texts += texts_of(error)
    outcomes = connector.push([OutgoingRecord("k1", {"name": "Ada"}), OutgoingRecord("k2", {"name": "Bo"})])
    texts += [text for outcome in outcomes for text in texts_of(outcome.error)]
    return texts


def assert_clean(texts: list[str]) -> None:
    assert texts, "nothing was collected"
    leaks = [(secret, text) for text in texts for secret in FORBIDDEN if secret in text]
    assert leaks == []


def config(url: str, style: str, **overrides):
    return style_values(url, style, read_path="/r", push_path="/w", probe_path="/p", **overrides)


@pytest.mark.parametrize("wrong", [False, True])
@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("status", [200, 400, 401, 422, 500])
def test_echoed_credentials_never_reach_a_message(api, make_connector, style, wrong, status):
    api.on("POST", "/oauth/token", echo(200 if not wrong else 401))
    for method, path in [("GET", "/p"), ("GET", "/r"), ("POST", "/w")]:
        api.on(method, path, echo(status))
    texts = run_everything(make_connector(config(api.url, style), secrets_for(style, wrong)))
    assert len(api.seen) >= 2
    if status in (400, 422) and not (style == "oauth2" and wrong):
        assert any("•••" in text for text in texts), "the echoed credentials were not quoted at all"
    assert_clean(texts)


def test_echoed_credentials_in_a_batch_answer_are_masked(api, make_connector):
    api.on("POST", "/w", lambda seen: Reply(207, [{"error": json.dumps(seen.headers)}] * 2))
    texts = run_everything(
        make_connector(config(api.url, "bearer", push_mode="batch"), secrets_for("bearer"))
    )
    assert any("•••" in text for text in texts)
    assert_clean(texts)


@pytest.mark.parametrize("style", STYLES)
def test_network_failures_name_no_secret(api, make_connector, style):
    api.on("GET", "/p", Reply(200, {}, delay=1.0))
    api.on("GET", "/r", Reply(200, [], delay=1.0))
    api.on("POST", "/w", Reply(200, {}, delay=1.0))
    api.on("POST", "/oauth/token", Reply(200, {"access_token": "access-1"}))
    bases = [f"http://127.0.0.1:{refused_port()}", api.url.replace("http:", "https:"), "http://x.invalid"]
    texts = []
    for base in bases:
        overrides = {"oauth2_token_url": f"{api.url}/oauth/token"} if style == "oauth2" else {}
        texts += run_everything(make_connector(config(base, style, **overrides), secrets_for(style)))
    texts += run_everything(make_connector(config(api.url, style, read_timeout=0.1), secrets_for(style)))
    assert_clean(texts)


def test_the_oauth2_error_code_is_masked(api, make_connector):
    from tests.connectors.personas import CLIENT_SECRET

    api.on("POST", "/oauth/token", Reply(400, {"error": f"bad secret {CLIENT_SECRET}"}))
    result = make_connector(config(api.url, "oauth2"), secrets_for("oauth2")).probe()
    assert "bad secret •••" in result.message
    assert_clean([result.message])
