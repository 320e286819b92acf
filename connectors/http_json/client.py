"""One pooled ``requests.Session`` per connector instance, with its timeouts, TLS choice and sign-in.

Redirects are not followed: ``requests`` would carry an API key header along to whatever host a
redirect names. A 3xx becomes an error asking for the final address in the configuration. Every request
(the token request of OAuth2 and next-page links included) goes through ``GuardedSession``, which
refuses a host that is not on the hub's list (``connectors.outbound``) before anything is sent.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from connectors.base import ConfigurationError, ConnectorConfig, ConnectorError, Param
from connectors.outbound import OutboundHosts

from .auth import Auth, build_auth
from .errors import network_error, response_error
from .options import HttpJsonOptions, secret_values


class GuardedSession(requests.Session):
    """A session that sends nothing to a host the hub may not connect to.

    Each request's host is checked (name and every address it resolves to) before it is sent, and each
    new connection's peer address once connected: a name whose address changed in between (DNS
    rebinding) is caught there. Behind a proxy the connection goes to the proxy, which must be listed."""

    def __init__(self, allowed: OutboundHosts):
        super().__init__()
        self.allowed = allowed
        for prefix in ("http://", "https://"):
            self.mount(prefix, GuardedAdapter(allowed))

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        try:
            port = parts.port
        except ValueError:
            port = None
        self.allowed.check(parts.hostname or "", port or (443 if parts.scheme == "https" else 80))
        return super().send(request, **kwargs)


class GuardedAdapter(HTTPAdapter):
    def __init__(self, allowed: OutboundHosts):
        self.allowed = allowed  # before super().__init__, which builds the pool manager
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _guarded_pool(HTTPConnectionPool, HTTPConnection, self.allowed),
            "https": _guarded_pool(HTTPSConnectionPool, HTTPSConnection, self.allowed),
        }


def _guarded_pool(pool: type[HTTPConnectionPool], conn: type[HTTPConnection], allowed: OutboundHosts) -> Any:
    class Connection(conn):  # type: ignore[valid-type,misc]
        def _new_conn(self) -> socket.socket:
            sock: socket.socket = super()._new_conn()
            try:
                allowed.check_address(self.host, str(sock.getpeername()[0]))
            except ConnectorError:
                sock.close()
                raise
            return sock

    return type(f"Guarded{pool.__name__}", (pool,), {"ConnectionCls": Connection})


class HttpClient:
    def __init__(self, options: HttpJsonOptions, config: ConnectorConfig, params: Sequence[Param]):
        self.options = options
        self._config_secrets = secret_values(params, config)
        self.session = GuardedSession(config.allowed_hosts)
        self.session.headers["Accept"] = "application/json"
        self.auth: Auth = build_auth(options, config, self.session)

    @property
    def secrets(self) -> list[str]:
        """Every value to keep out of messages, longest first so that no part of one is left showing."""
        values = {*self._config_secrets, *self.auth.sensitive()} - {""}
        return sorted(values, key=len, reverse=True)

    def url(self, path: str, external_id: str | None = None) -> str:
        if "{external_id}" in path:
            if not external_id:
                raise ConnectorError(
                    "The push path needs the record's id in this system; it has none yet.", permanent=True
                )
            path = path.replace("{external_id}", quote(external_id, safe=""))
        return self.options.base_url.rstrip("/") + "/" + path.lstrip("/")

    def send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send once, and once more after a 401 if the sign-in can renew itself (OAuth2)."""
        response = self._send_once(method, url, **kwargs)
        if response.status_code == 401 and self.auth.renew():
            response = self._send_once(method, url, **kwargs)
        return response

    def send_ok(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send and raise the matching ``ConnectorError`` unless the answer is 2xx."""
        response = self.send(method, url, **kwargs)
        if not 200 <= response.status_code < 300:
            raise response_error(response, self.secrets)
        return response

    def same_origin(self, url: str) -> bool:
        mine, theirs = urlsplit(self.options.base_url), urlsplit(url)
        return (mine.scheme, mine.netloc) == (theirs.scheme, theirs.netloc)

    def close(self) -> None:
        self.session.close()

    def _send_once(
        self, method: str, url: str, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        all_headers = {**self.auth.headers(), **(headers or {})}
        try:
            return self.session.request(
                method,
                url,
                headers=all_headers,
                timeout=self.options.timeout,
                verify=self.options.verify_tls,
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise network_error(exc, url, self.options.timeout) from None
        except UnicodeError:
            # A header value outside Latin-1 (often a pasted token with a stray character). The exception
            # text would quote the value, so it is dropped here.
            raise ConfigurationError(
                "A setting or secret sent in a header holds characters HTTP headers cannot carry "
                "(only Latin-1 is allowed): check the token, key or user name for a stray character."
            ) from None
