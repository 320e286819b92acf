"""``python -m demo.samples`` as the Makefile runs it: a real process, stopped by a signal."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from demo.samples.secrets import PROJECT_ROOT, load_or_create_secrets
from tests.demo.clients import TIMEOUT, authenticate

STARTUP_SECONDS = 15


def _start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "demo.samples", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_lines(process: subprocess.Popen[str], count: int) -> list[str]:
    """The first ``count`` lines of stdout, read straight from the pipe so that select() sees every byte."""
    assert process.stdout is not None
    received = b""
    deadline = time.monotonic() + STARTUP_SECONDS
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while received.count(b"\n") < count and time.monotonic() < deadline:
            if selector.select(timeout=max(deadline - time.monotonic(), 0)):
                chunk = os.read(process.stdout.fileno(), 4096)
                assert chunk, "the process ended before printing its URLs"
                received += chunk
    lines = received.decode().splitlines(keepends=True)
    assert len(lines) == count, lines
    return lines


def _system_and_url(line: str) -> tuple[str, str]:
    match = re.match(r"(\w+)\s+(http://127\.0\.0\.1:\d+)", line)
    assert match, line
    return match.group(1), match.group(2)


def test_serves_all_three_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    secrets_path = tmp_path / "secrets.json"
    ports = {"HUB_SAMPLE_CRM_PORT": "0", "HUB_SAMPLE_ERP_PORT": "0"}
    process = _start(["--billing-port", "0", "--secrets", str(secrets_path)], ports)
    try:
        lines = _read_lines(process, 3)
        urls = dict(_system_and_url(line) for line in lines)
        secrets = load_or_create_secrets(secrets_path)
        with requests.Session() as session:
            for system, url in urls.items():
                authenticate(system, session, secrets)
                assert session.get(f"{url}/api/status", timeout=TIMEOUT).json()["system"] == system
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == 0, err
    assert "stopped" in out
    printed = "".join(lines) + out + err
    assert all(value not in printed for value in secrets.values() if value != "hub-integration")


def test_a_bad_port_in_the_environment_is_refused(tmp_path: Path) -> None:
    process = _start(["--secrets", str(tmp_path / "s.json")], {"HUB_SAMPLE_ERP_PORT": "eighty"})
    _, err = process.communicate(timeout=10)
    assert process.returncode == 2
    assert "not a port number: 'eighty'" in err
