"""The hub's own processes for a test: ``manage.py`` commands on the test database and the test's Redis.

A test starts the web server, an RQ worker and the tick the way ``bin/run-local`` does, kills them hard or
stops them, and starts them again. Each writes to its own log file, which the secrets scan reads too.
Every wait is bounded; ``stop_all`` ends every process started here, and every work horse it saw.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.access import secret_scan


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (an RQ worker's work horse), read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str, every: float = 0.1) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds} s waiting for {what}")
        time.sleep(every)


class Processes:
    """``manage.py`` processes started by one test; ``stop_all`` ends them (and their children)."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []
        self.children: set[int] = set()  # work horses seen, killed at the end if still there

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            "PYTHONUNBUFFERED": "1",
        }

    def start(self, name: str, *arguments: str) -> subprocess.Popen[bytes]:
        """Start ``manage.py <arguments>``; ``name`` names its log (``<name>.log``, appended to)."""
        log_path = self.logs / f"{name}.log"
        secret_scan.SCAN.watch(log_path)
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "manage.py", *arguments],
                cwd=settings.BASE_DIR, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.started.append(process)
        return process

    def web(self, port: int) -> subprocess.Popen[bytes]:
        return self.start("web", "runserver", f"127.0.0.1:{port}", "--noreload")

    def worker(self) -> subprocess.Popen[bytes]:
        return self.start("worker", "rqworker", "default", "low", "--with-scheduler")

    def ticker(self, every: float) -> subprocess.Popen[bytes]:
        return self.start("tick", "hub_tick", "--every", str(every))

    def kill_hard(self, process: subprocess.Popen[bytes]) -> None:
        """kill -9 the process and its children (a work horse), as a crash or the OOM killer would."""
        horses = children_of(process.pid)
        self.children.update(horses)
        for pid in horses:
            with contextlib.suppress(ProcessLookupError):  # a horse that finished its job meanwhile
                os.kill(pid, signal.SIGKILL)
        process.kill()
        process.wait(timeout=10)
        wait_for(lambda: not any(alive(p) for p in horses), seconds=10, what="the work horses to die")

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM (warm shutdown), then SIGKILL if it does not end within a few seconds."""
        self.children.update(children_of(process.pid))
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=8)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def stop_all(self) -> None:
        for process in self.started:
            self.stop(process)
        for pid in self.children:  # a horse has its own process group: it may outlive its worker
            try:
                ours = "manage.py" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
            except OSError:
                continue  # gone
            if ours:
                os.kill(pid, signal.SIGKILL)

    def tail(self, characters: int = 2500) -> str:
        """The end of every log, for a failure message."""
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            parts.append(f"--- {path.name}:\n{path.read_text(errors='replace')[-characters:]}")
        return "\n".join(parts)
