"""One pooled ``requests.Session`` per connector instance, with its timeouts, TLS choice and sign-in.

Redirects are not followed: ``requests`` would carry an API key header along to whatever host a
redirect names. A 3xx becomes an error asking for the final address in the configuration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from connectors.base import ConfigurationError, ConnectorConfig, ConnectorError, Param

from .auth import Auth, build_auth
from .errors import network_error, response_error
from .options import HttpJsonOptions, secret_values


class HttpClient:
    def __init__(self, options: HttpJsonOptions, config: ConnectorConfig, params: Sequence[Param]):
        self.options = options
        self._config_secrets = secret_values(params, config)
        self.session = requests.Session()
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
