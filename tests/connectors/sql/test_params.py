"""The declared parameters of the SQL kind, and how a configuration is checked."""

from __future__ import annotations

import pytest

from connectors.base import ConfigurationError, ConnectorConfig
from connectors.registry import connector_class, kind_choices
from connectors.sql import SqlConnector


def options(**values):
    return SqlConnector(ConnectorConfig("ERP", {"url": "sqlite:////srv/erp.db"} | values)).options


def test_the_kind_is_registered():
    assert connector_class("sql") is SqlConnector
    assert ("sql", "SQL database") in kind_choices()


def test_only_the_password_is_secret():
    assert SqlConnector.secret_names() == ["password"]


def test_every_parameter_is_explained():
    assert all(param.label and param.help for param in SqlConnector.params)


def test_defaults():
    parsed = options()
    assert (parsed.key_column, parsed.page_size, parsed.read_only, parsed.connect_timeout) == (
        "id",
        1000,
        False,
        10,
    )
    assert parsed.incremental_column == ""


def test_a_plain_postgresql_address_uses_psycopg():
    parsed = options(url="postgresql://hub@db.example.com/erp")
    assert parsed.url.drivername == "postgresql+psycopg"
    assert parsed.place == "database “erp” on db.example.com:5432"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://hub:pw-SECRET-1@db.example.com:5432/erp",
        "postgresql://hub:pw-SECRET-1@db.example.com/erp",
        "postgresql+psycopg://hub@db.example.com/erp?password=pw-SECRET-1",
    ],
)
def test_an_address_with_a_password_is_refused_without_showing_it(url):
    with pytest.raises(ConfigurationError, match="“Password” field") as caught:
        options(url=url)
    assert "pw-SECRET-1" not in str(caught.value)
    assert caught.value.__context__ is None
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    "url",
    [
        "mysql://hub@db.example.com/erp",
        "not an address",
        "sqlite://",
        "sqlite:///relative/erp.db",
        "sqlite:////srv/../etc/erp.db",
        "postgresql://hub:pw-SECRET-1@db.example.com:notaport/erp",
    ],
)
def test_other_addresses_are_refused_in_words(url):
    with pytest.raises(ConfigurationError, match="address") as caught:
        options(url=url)
    assert "pw-SECRET-1" not in str(caught.value)
    assert caught.value.__context__ is None


@pytest.mark.parametrize("size", [0, 10001, "many"])
def test_page_size_is_bounded(size):
    with pytest.raises(ConfigurationError, match="Rows per page"):
        options(page_size=size)
