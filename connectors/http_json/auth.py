"""The ways the hub signs in to an HTTP JSON API: each gives the headers to send with a request.

OAuth2 client credentials: the token is asked for with the client id and secret (HTTP basic to the token
address, ``grant_type=client_credentials``), kept on the instance until shortly before ``expires_in``
runs out, and asked for again once when the system answers 401 to a request made with it.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field

import requests

from connectors.base import AuthenticationError, ConnectorConfig

from .errors import host_of, network_error, quote
from .options import HttpJsonOptions

# Refresh this long before the token runs out (at most half its life), so that it does not expire in flight.
_EXPIRY_MARGIN_S = 30.0


class Auth:
    """No credentials. Subclasses add headers."""

    def headers(self) -> dict[str, str]:
        return {}

    def renew(self) -> bool:
        """Forget what may have gone stale; True when asking again can help after a 401."""
        return False

    def sensitive(self) -> list[str]:
        """Values never to show, derived ones included (a basic header, an access token)."""
        return []


@dataclass
class HeaderAuth(Auth):
    name: str
    value: str = field(repr=False)

    def headers(self) -> dict[str, str]:
        return {self.name: self.value}

    def sensitive(self) -> list[str]:
        return [self.value, self.value.rpartition(" ")[2]]


def basic_value(username: str, password: str) -> str:
    pair = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


@dataclass
class OAuth2ClientCredentials(Auth):
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str
    session: requests.Session = field(repr=False)
    timeout: tuple[float, float]
    verify: bool
    _token: str | None = field(default=None, repr=False)
    _expires_at: float = 0.0

    def headers(self) -> dict[str, str]:
        if self._token is None or time.monotonic() >= self._expires_at:
            self._token, self._expires_at = self._request_token()
        return {"Authorization": f"Bearer {self._token}"}

    def renew(self) -> bool:
        self._token = None
        return True

    def sensitive(self) -> list[str]:
        return [self.client_secret, self._token or ""]

    def _request_token(self) -> tuple[str, float]:
        data = {"grant_type": "client_credentials"} | ({"scope": self.scope} if self.scope else {})
        try:
            response = self.session.post(
                self.token_url,
                data=data,
                auth=(self.client_id, self.client_secret),
                timeout=self.timeout,
                verify=self.verify,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            error = network_error(exc, self.token_url, self.timeout)
            raise type(error)(f"Token request failed: {error.message}") from None
        return self._read_token(response)

    def _read_token(self, response: requests.Response) -> tuple[str, float]:
        body = _json_object(response)
        token = body.get("access_token") if response.ok else None
        if not isinstance(token, str) or not token:
            raise AuthenticationError(self._refusal(response, body), status_code=response.status_code)
        return token, time.monotonic() + _lifetime(body.get("expires_in"))

    def _refusal(self, response: requests.Response, body: dict[str, object]) -> str:
        code = body.get("error")
        reason = f", {quote(code, self.sensitive())}" if isinstance(code, str) else ""
        host = host_of(self.token_url)
        if not response.ok:
            status = f"HTTP {response.status_code}{reason}"
            return f"The token request to {host} failed ({status}): check the client id and secret."
        return f"The token request to {host} failed: the answer held no access token."


def _json_object(response: requests.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _lifetime(expires_in: object) -> float:
    """Seconds to keep a token; without ``expires_in`` it is kept until the system refuses it."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float | str):
        return float("inf")
    try:
        seconds = float(expires_in)
    except ValueError:
        return float("inf")
    return seconds - min(_EXPIRY_MARGIN_S, seconds / 2)


def build_auth(options: HttpJsonOptions, config: ConnectorConfig, session: requests.Session) -> Auth:
    style = options.auth_style
    if style == "bearer":
        return HeaderAuth("Authorization", f"Bearer {config.get('bearer_token')}")
    if style == "basic":
        return HeaderAuth("Authorization", basic_value(options.username, config.get("password")))
    if style == "api_key":
        return HeaderAuth(options.api_key_header, config.get("api_key"))
    if style == "oauth2":
        return _oauth2(options, config, session)
    return Auth()


def _oauth2(options: HttpJsonOptions, config: ConnectorConfig, session: requests.Session) -> Auth:
    return OAuth2ClientCredentials(
        token_url=options.oauth2_token_url,
        client_id=options.oauth2_client_id,
        client_secret=config.get("oauth2_client_secret"),
        scope=options.oauth2_scope,
        session=session,
        timeout=options.timeout,
        verify=options.verify_tls,
    )
