from __future__ import annotations

from connectors.base import ParamType
from connectors.http_json import HttpJsonConnector
from connectors.registry import connector_class, kind_choices


def test_the_kind_is_registered():
    assert connector_class("http_json") is HttpJsonConnector
    assert ("http_json", "HTTP JSON API") in kind_choices()


def test_exactly_the_credentials_are_secret():
    assert set(HttpJsonConnector.secret_names()) == {
        "bearer_token",
        "password",
        "api_key",
        "oauth2_client_secret",
    }


def test_every_parameter_is_explained_to_a_person():
    for param in HttpJsonConnector.params:
        assert param.label[:1].isupper(), param.name
        assert len(param.help) > 20, param.name


def test_names_are_unique():
    names = [param.name for param in HttpJsonConnector.params]
    assert len(names) == len(set(names))


def test_credentials_are_required_only_for_their_style():
    expected = {
        "bearer": {"bearer_token"},
        "basic": {"username", "password"},
        "api_key": {"api_key_header", "api_key"},
        "oauth2": {"oauth2_token_url", "oauth2_client_id", "oauth2_client_secret"},
        "none": set(),
    }
    credential_names = set().union(*expected.values()) | {"oauth2_scope"}
    for style, names in expected.items():
        required = {
            p.name
            for p in HttpJsonConnector.params
            if p.name in credential_names and p.is_required({"auth_style": style})
        }
        assert required == names, style


def test_choices_and_bounds():
    param = HttpJsonConnector.param
    assert [key for key, _ in param("auth_style").choices] == ["none", "bearer", "basic", "api_key", "oauth2"]
    assert [key for key, _ in param("pagination").choices] == ["none", "page", "offset", "cursor", "link"]
    assert [key for key, _ in param("push_method").choices] == ["POST", "PUT", "PATCH"]
    assert [key for key, _ in param("push_mode").choices] == ["single", "batch"]
    assert (param("page_size").type, param("page_size").min_value, param("page_size").max_value) == (
        ParamType.INTEGER,
        1,
        1000,
    )
    assert param("verify_tls").default is True
    assert param("api_key_header").default == "X-API-Key"
    assert param("idempotency_header").default == "Idempotency-Key"
    assert param("probe_path").default == "/"


def test_defaults_pass_their_own_checks():
    for param in HttpJsonConnector.params:
        if param.type is ParamType.CHOICE and param.default is not None:
            assert param.default in {key for key, _ in param.choices}, param.name
        if param.min_value is not None and param.default is not None:
            assert param.min_value <= param.default <= (param.max_value or param.default), param.name
