from __future__ import annotations

import re

import pytest

from connectors.base import ConfigurationError
from tests.connectors.personas import BEARER, values
from tests.connectors.servers import Reply, refused_port


def test_probe_reports_success_and_time(api, make_connector):
    api.on("GET", "/health", Reply(200, {"status": "up"}))
    result = make_connector(values(api.url, probe_path="/health")).probe()
    assert result.ok
    assert result.status_code == 200
    assert result.elapsed_ms > 0
    assert "Connected" in result.message
    assert [seen.path for seen in api.seen] == ["/health"]


def test_probe_uses_the_default_path_under_the_base_url(api, make_connector):
    api.on("GET", "/api/v2/", Reply(200, {}))
    assert make_connector(values(f"{api.url}/api/v2")).probe().ok


def test_probe_of_a_refused_port_says_so(make_connector):
    port = refused_port()
    result = make_connector(values(f"http://127.0.0.1:{port}")).probe()
    assert not result.reachable
    assert not result.authenticated
    assert f"Connection refused at 127.0.0.1:{port}" in result.message


def test_probe_of_a_slow_system_times_out(api, make_connector):
    api.on("GET", "/", Reply(200, {}, delay=1.5))
    result = make_connector(values(api.url, read_timeout=0.2)).probe()
    assert not result.reachable
    assert result.message.startswith("No answer from 127.0.0.1:")
    assert "within 0.2 s" in result.message


def test_probe_of_a_failing_system_reports_the_status(api, make_connector):
    api.on("GET", "/", Reply(500, {"error": "boom"}))
    result = make_connector(values(api.url)).probe()
    assert result.reachable
    assert not result.ok
    assert result.status_code == 500
    assert "HTTP 500" in result.message


def test_probe_of_a_missing_page_points_at_the_probe_path(api, make_connector):
    result = make_connector(values(api.url, probe_path="/nope")).probe()
    assert result.reachable
    assert not result.ok
    assert "HTTP 404" in result.message
    assert "“Test connection” path" in result.message


def test_probe_does_not_follow_redirects(api, make_connector):
    api.on("GET", "/", Reply(302, headers={"Location": "http://elsewhere.invalid/"}))
    result = make_connector(values(api.url)).probe()
    assert not result.ok
    assert "redirect (HTTP 302)" in result.message
    assert len(api.seen) == 1


def test_probe_speaking_tls_to_a_plain_server_reports_tls(api, make_connector):
    result = make_connector(values(api.url.replace("http://", "https://"))).probe()
    assert not result.reachable
    assert "TLS error" in result.message


def test_probe_of_an_unknown_name_reports_dns(make_connector):
    result = make_connector(values("http://no-such-system.invalid")).probe()
    assert not result.reachable
    assert "no-such-system.invalid could not be found (DNS)" in result.message


@pytest.mark.parametrize(
    ("overrides", "secrets", "words"),
    [
        ({"base_url": "ftp://example.com"}, {}, "“Base address” must start with http"),
        ({"base_url": "http://user:pw@example.com"}, {}, "must not contain a username"),
        ({"auth_style": "bearer"}, {}, "“Bearer token” is required"),
        ({"auth_style": "basic", "username": "u"}, {}, "“Password” is required"),
        ({"auth_style": "oauth2"}, {"oauth2_client_secret": "x"}, "“OAuth2 token address” is required"),
        ({"auth_style": "magic"}, {}, "“How the hub signs in” must be one of"),
        ({"page_size": 5000}, {}, "“Records per page” must be at most 1000"),
        ({"read_timeout": "soon"}, {}, "“Answer timeout (seconds)” must be a number"),
        ({"probe_path": "health"}, {}, "must be a path starting with /"),
    ],
)
def test_probe_rejects_a_malformed_configuration(make_connector, overrides, secrets, words):
    connector = make_connector(values("http://127.0.0.1:9") | overrides, secrets)
    with pytest.raises(ConfigurationError, match=re.escape(words)):
        connector.probe()


def test_a_bearer_token_in_a_configuration_error_is_not_echoed(make_connector):
    connector = make_connector(
        values("http://127.0.0.1:9", auth_style="bearer", read_timeout=-1), {"bearer_token": BEARER}
    )
    with pytest.raises(ConfigurationError) as caught:
        connector.probe()
    assert BEARER not in str(caught.value)
