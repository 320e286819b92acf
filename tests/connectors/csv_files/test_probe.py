"""“Test connection” for folders: they exist, can be read and written, and how many files wait."""

from __future__ import annotations

import pytest

from connectors.base import ConfigurationError


def test_a_working_exchange_counts_the_waiting_files(exchange, connect):
    exchange.drop("a.csv", "id\n1\n")
    exchange.drop("b.csv", "id\n2\n")
    exchange.drop("notes.txt", "hello")
    result = connect(processed_folder=str(exchange.done)).probe()
    assert (result.reachable, result.authenticated) == (True, True)
    assert f"{exchange.inbox} can be read, 2 files match *.csv" in result.message
    assert f"read files can be moved to {exchange.done}" in result.message
    assert f"files can be written to {exchange.outbox}" in result.message


def test_the_probe_leaves_no_file_behind(exchange, connect):
    connect(processed_folder=str(exchange.done)).probe()
    assert [list(folder.iterdir()) for folder in (exchange.inbox, exchange.outbox, exchange.done)] == [
        [],
        [],
        [],
    ]


@pytest.mark.parametrize("which", ["inbox", "outbox", "processed_folder"])
def test_a_missing_folder_is_unreachable(exchange, connect, tmp_path, which):
    result = connect(**{which: str(tmp_path / "gone")}).probe()
    assert (result.reachable, result.authenticated) == (False, False)
    assert f"The folder {tmp_path / 'gone'} does not exist" in result.message


def test_a_file_where_a_folder_should_be_is_named(exchange, connect, tmp_path):
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    result = connect(outbox=str(tmp_path / "plain")).probe()
    assert not result.ok
    assert "is not a folder" in result.message


def test_only_one_direction_is_enough(exchange, connect):
    assert connect(inbox="").probe().ok
    assert connect(outbox="").probe().ok


def test_no_folder_at_all_is_a_configuration_error(exchange, connect):
    with pytest.raises(ConfigurationError, match="Set “Folder to read files from” or"):
        connect(inbox="", outbox="").probe()
