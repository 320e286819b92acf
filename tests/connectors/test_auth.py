from __future__ import annotations

import base64
import itertools
from urllib.parse import parse_qs

import pytest

from connectors.base import AuthenticationError
from tests.connectors.personas import (
    API_KEY,
    BEARER,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USERNAME,
    basic,
    secrets_for,
    style_values,
)
from tests.connectors.servers import Reply, Seen

EXPECTED_HEADER = {
    "bearer": ("authorization", f"Bearer {BEARER}"),
    "basic": ("authorization", basic(USERNAME, PASSWORD)),
    "api_key": ("x-api-key", API_KEY),
}
STYLES = ["bearer", "basic", "api_key", "oauth2"]


class TokenService:
    """An OAuth2 token endpoint handing out access-1, access-2, ... to the right client."""

    def __init__(self, expires_in: float | None = 3600):
        self.expires_in = expires_in
        self.issued: list[str] = []
        self.valid: set[str] = set()
        self._numbers = itertools.count(1)

    def __call__(self, seen: Seen) -> Reply:
        wanted = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if seen.headers.get("authorization") != wanted:
            return Reply(401, {"error": "invalid_client"})
        token = f"access-{next(self._numbers)}"
        self.issued.append(token)
        self.valid.add(token)
        body = {"access_token": token, "token_type": "Bearer"}
        return Reply(200, body | ({"expires_in": self.expires_in} if self.expires_in is not None else {}))

    def guard(self, seen: Seen) -> Reply:
        token = seen.headers.get("authorization", "").removeprefix("Bearer ")
        return Reply(200, [{"id": 1}]) if token in self.valid else Reply(401, {"error": "bad token"})


def header_guard(style: str):
    name, value = EXPECTED_HEADER[style]
    return lambda seen: Reply(200, [{"id": 1}]) if seen.headers.get(name) == value else Reply(401, {})


def serve(api, style: str) -> TokenService:
    tokens = TokenService()
    api.on("POST", "/oauth/token", tokens)
    guard = tokens.guard if style == "oauth2" else header_guard(style)
    api.on("GET", "/", guard)
    api.on("GET", "/records", guard)
    return tokens


@pytest.mark.parametrize("style", STYLES)
def test_right_credentials_are_accepted(api, make_connector, style):
    serve(api, style)
    connector = make_connector(style_values(api.url, style, read_path="/records"), secrets_for(style))
    assert connector.probe().ok
    assert [page.records for page in connector.fetch()] == [[{"id": 1}]]


@pytest.mark.parametrize("style", STYLES)
def test_wrong_credentials_are_refused(api, make_connector, style):
    serve(api, style)
    connector = make_connector(style_values(api.url, style, read_path="/records"), secrets_for(style, True))
    result = connector.probe()
    assert result.reachable
    assert not result.authenticated
    with pytest.raises(AuthenticationError) as caught:
        list(connector.fetch())
    assert caught.value.permanent


def test_no_credentials_sends_no_authorization(api, make_connector):
    api.on("GET", "/", Reply(200, {}))
    assert make_connector(style_values(api.url, "none")).probe().ok
    assert "authorization" not in api.seen[0].headers


def test_a_refusal_says_the_credentials_were_refused(api, make_connector):
    serve(api, "bearer")
    result = make_connector(style_values(api.url, "bearer"), secrets_for("bearer", True)).probe()
    assert "refused the credentials (HTTP 401)" in result.message


def test_oauth2_asks_for_a_token_with_client_credentials(api, make_connector):
    tokens = serve(api, "oauth2")
    make_connector(style_values(api.url, "oauth2", oauth2_scope="crm.read"), secrets_for("oauth2")).probe()
    token_request = api.requests_to("/oauth/token")[0]
    assert parse_qs(token_request.body.decode()) == {
        "grant_type": ["client_credentials"],
        "scope": ["crm.read"],
    }
    assert api.requests_to("/")[0].headers["authorization"] == f"Bearer {tokens.issued[0]}"


def test_oauth2_token_is_kept_until_it_expires(api, make_connector):
    serve(api, "oauth2")
    connector = make_connector(style_values(api.url, "oauth2", read_path="/records"), secrets_for("oauth2"))
    for _ in range(3):
        list(connector.fetch())
    assert len(api.requests_to("/oauth/token")) == 1
    assert len(api.requests_to("/records")) == 3


def test_oauth2_token_is_renewed_once_it_has_expired(api, make_connector):
    tokens = serve(api, "oauth2")
    tokens.expires_in = 0
    connector = make_connector(style_values(api.url, "oauth2", read_path="/records"), secrets_for("oauth2"))
    for _ in range(3):
        list(connector.fetch())
    assert tokens.issued == ["access-1", "access-2", "access-3"]


def test_oauth2_token_without_expiry_is_kept(api, make_connector):
    tokens = serve(api, "oauth2")
    tokens.expires_in = None
    connector = make_connector(style_values(api.url, "oauth2", read_path="/records"), secrets_for("oauth2"))
    list(connector.fetch())
    list(connector.fetch())
    assert tokens.issued == ["access-1"]


def test_oauth2_token_revoked_by_the_system_is_renewed_once(api, make_connector):
    tokens = serve(api, "oauth2")
    connector = make_connector(style_values(api.url, "oauth2", read_path="/records"), secrets_for("oauth2"))
    list(connector.fetch())
    tokens.valid.clear()  # the system forgets every token it gave out
    assert [page.records for page in connector.fetch()] == [[{"id": 1}]]
    assert tokens.issued == ["access-1", "access-2"]
    assert [seen.headers["authorization"] for seen in api.requests_to("/records")] == [
        "Bearer access-1",
        "Bearer access-1",
        "Bearer access-2",
    ]


def test_oauth2_refusing_every_token_asks_only_once_more(api, make_connector):
    tokens = serve(api, "oauth2")
    api.on("GET", "/records", Reply(401, {}))
    connector = make_connector(style_values(api.url, "oauth2", read_path="/records"), secrets_for("oauth2"))
    with pytest.raises(AuthenticationError):
        list(connector.fetch())
    assert len(tokens.issued) == 2
    assert len(api.requests_to("/records")) == 2


def test_oauth2_token_endpoint_refusing_is_reported_by_the_probe(api, make_connector):
    serve(api, "oauth2")
    result = make_connector(style_values(api.url, "oauth2"), secrets_for("oauth2", True)).probe()
    assert result.reachable
    assert not result.authenticated
    assert result.message.startswith("The token request to 127.0.0.1:")
    assert "HTTP 401, invalid_client" in result.message
    assert api.requests_to("/") == []


def test_oauth2_token_answer_without_token_is_refused(api, make_connector):
    api.on("POST", "/oauth/token", Reply(200, {"token_type": "Bearer"}))
    connector = make_connector(style_values(api.url, "oauth2", read_path="/r"), secrets_for("oauth2"))
    with pytest.raises(AuthenticationError, match="the answer held no access token"):
        list(connector.fetch())
