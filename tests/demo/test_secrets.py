from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from demo.samples.secrets import default_secrets_path, load_or_create_secrets


def test_creates_the_file_and_its_folders_readable_by_the_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "var" / "demo" / "secrets.json"
    values = load_or_create_secrets(path)
    assert set(values) == {"crm_token", "erp_username", "erp_password", "billing_api_key"}
    assert values["erp_username"] == "hub-integration"
    assert all(len(values[key]) >= 24 for key in ("crm_token", "erp_password", "billing_api_key"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == values


def test_reads_the_same_values_again_and_differs_per_checkout(tmp_path: Path) -> None:
    first = load_or_create_secrets(tmp_path / "a.json")
    assert load_or_create_secrets(tmp_path / "a.json") == first
    other = load_or_create_secrets(tmp_path / "b.json")
    assert other["crm_token"] != first["crm_token"]


def test_an_existing_file_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    mine = {"crm_token": "t", "erp_username": "u", "erp_password": "p", "billing_api_key": "k"}
    path.write_text(json.dumps(mine))
    assert load_or_create_secrets(path) == mine


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "JSON object"),
        (
            '{"crm_token": "very-secret", "erp_username": "u", "erp_password": ""}',
            "erp_password, billing_api_key",
        ),
    ],
)
def test_a_broken_file_is_an_error_that_shows_no_secret(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as error:
        load_or_create_secrets(path)
    assert "very-secret" not in str(error.value)


def test_the_default_path_is_under_the_project_root() -> None:
    path = default_secrets_path()
    assert path.parts[-3:] == ("var", "demo", "secrets.json")
    assert (path.parents[2] / "pyproject.toml").is_file()
