"""The declared parameters of the CSV kind, and the care taken with folders and names."""

from __future__ import annotations

import pytest

from connectors.base import ConfigurationError, ConnectorConfig
from connectors.csv_files import CsvFilesConnector
from connectors.registry import connector_class, kind_choices


def options(**values):
    return CsvFilesConnector(ConnectorConfig("Warehouse", values)).options


def test_the_kind_is_registered():
    assert connector_class("csv_files") is CsvFilesConnector
    assert ("csv_files", "CSV files in a folder") in kind_choices()


def test_every_parameter_is_explained_and_none_is_secret():
    assert all(param.label and param.help for param in CsvFilesConnector.params)
    assert CsvFilesConnector.secret_names() == []


def test_defaults():
    parsed = options(inbox="/srv/in")
    assert (parsed.pattern, parsed.delimiter, parsed.encoding, parsed.header) == ("*.csv", ",", "utf-8", True)
    assert (parsed.read_encoding, parsed.file_prefix, parsed.page_size) == ("utf-8-sig", "records", 1000)
    assert parsed.outbox is None
    assert parsed.processed_folder is None


def test_tab_is_chosen_by_name():
    assert options(delimiter="tab").delimiter == "\t"


@pytest.mark.parametrize("name", ["inbox", "outbox", "processed_folder"])
@pytest.mark.parametrize("path", ["exchange/in", "./in", "/srv/exchange/../../etc", "../srv"])
def test_relative_paths_and_escapes_are_refused(name, path):
    with pytest.raises(ConfigurationError, match=r"full path starting with /, without “\.\.”"):
        options(**{name: path})


def test_folders_are_resolved(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    assert options(inbox=str(tmp_path / "link")).inbox == real.resolve()


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"inbox": "/srv/x", "outbox": "/srv/x/"}, "must differ from “Folder to read files from”"),
        ({"inbox": "/srv/x", "processed_folder": "/srv/x"}, "“Move read files to” must differ"),
        ({"pattern": "../*.csv"}, "without folders"),
        ({"pattern": "sub/*.csv"}, "without folders"),
        ({"file_prefix": ".hidden"}, "must not start with a dot"),
        ({"file_prefix": "a/b"}, "letters, digits"),
        ({"delimiter": ":"}, "must be one of"),
        ({"encoding": "rot13"}, "must be one of"),
        ({"page_size": 0}, "at least 1"),
    ],
)
def test_other_mistakes_are_refused_in_words(values, words):
    with pytest.raises(ConfigurationError, match=words):
        options(**values)


def test_a_resource_pattern_with_a_folder_is_refused(tmp_path):
    connector = CsvFilesConnector(ConnectorConfig("Warehouse", {"inbox": str(tmp_path)}))
    with pytest.raises(ConfigurationError, match="without folders"):
        list(connector.fetch(resource="../*.csv"))
