from __future__ import annotations

import io
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError

from hub.systems.models import Secret, System
from hub.systems.vault import decrypt
from tests.configuration.conftest import TOKEN, Hub, snapshot


def _run(*args: str, stdin: str | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is None:
        call_command(*args, stdout=out, stderr=err)
    else:
        call_command(*args, stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return out.getvalue(), err.getvalue()


def test_export_config_writes_to_stdout_or_to_a_file(hub: Hub, exported: str, tmp_path: Path) -> None:
    out, _ = _run("export_config")
    _run("export_config", "--output", str(tmp_path / "hub.yaml"))

    assert out == exported
    assert (tmp_path / "hub.yaml").read_text(encoding="utf-8") == exported
    assert TOKEN not in out


def test_import_config_prints_the_report_and_a_summary(hub: Hub, exported: str, tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text(exported.replace("description: To SAP", "description: To SAP S/4"), encoding="utf-8")

    out, _ = _run("import_config", str(path), "--as", "ada")

    lines = out.splitlines()
    assert "change  mapping ERP → Customer (outbound): description" in lines
    assert "same    system CRM" in lines
    assert lines[-1] == "0 created, 1 changed, 8 unchanged, 0 removed, 0 left alone (saved)"
    entry = LogEntry.objects.latest("pk")
    assert entry.actor == hub.admin
    assert entry.changes_dict["description"] == ["To SAP", "To SAP S/4"]


def test_import_config_dry_run_saves_nothing(hub: Hub, exported: str, tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text(exported.replace("page_size: 50", "page_size: 60"), encoding="utf-8")
    before = snapshot()

    out, _ = _run("import_config", str(path), "--dry-run")

    assert "change  system ERP: settings" in out.splitlines()
    assert out.splitlines()[-1].endswith("(dry run: nothing was saved)")
    assert snapshot() == before


def test_import_config_prints_every_error_and_fails(hub: Hub, exported: str, tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text(
        exported.replace("owner_team", "owner").replace("freshness_minutes: 60", "freshness_minutes: x")
    )
    err = io.StringIO()

    with pytest.raises(CommandError, match=r"3 error\(s\) in .*hub.yaml: nothing was changed"):
        call_command("import_config", str(path), stdout=io.StringIO(), stderr=err)

    lines = err.getvalue().splitlines()
    assert [line.split(":")[1].strip() for line in lines] == [
        "systems[0].owner",
        "systems[1].owner",
        "flows[0].freshness_minutes",
    ]


def test_import_config_refuses_an_unknown_user(hub: Hub, exported: str, tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text(exported, encoding="utf-8")

    with pytest.raises(CommandError, match="there is no user with that name"):
        _run("import_config", str(path), "--as", "nobody")


def test_set_secret_reads_the_value_from_stdin_and_never_echoes_it(hub: Hub) -> None:
    out, err = _run("set_secret", "ERP", "api_key", "--as", "ada", stdin="key-SECRET-42\n")

    secret = Secret.objects.get(system__name="ERP", name="api_key")
    assert decrypt(secret.ciphertext) == "key-SECRET-42"
    assert secret.set_by == hub.admin
    assert "key-SECRET-42" not in out + err
    assert out.strip() == "Secret api_key of ERP saved."


@pytest.mark.parametrize(
    ("system", "param", "value", "message"),
    [
        ("ERP", "api_key", "\n", "The value is empty: nothing was saved"),
        ("SAP", "api_key", "x", "There is no system named 'SAP'"),
        (
            "ERP",
            "base_url",
            "x",
            "'base_url' is not a secret of ERP \\(http_json\\); its secrets are: bearer_token",
        ),
    ],
)
def test_set_secret_refuses_what_it_cannot_store(
    hub: Hub, system: str, param: str, value: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        _run("set_secret", system, param, stdin=value)

    assert not Secret.objects.filter(system__name="ERP").exists()
    assert System.objects.count() == 2
