"""A throwaway PostgreSQL cluster for the tests, started the way /work/shared/STACK.md describes.

``initdb`` refuses root, so as root the server runs as the ``postgres`` user, in a directory under /tmp
it can traverse. Local (socket) connections are trusted, for setting up; TCP connections need a
password (scram-sha-256), so the connector is tested against real password checks.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

DEFAULT_BIN = Path("/usr/lib/postgresql/15/bin")
USER = "hub_robot"
PASSWORD = "pg-SECRET-9a8b7c"


def postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    return DEFAULT_BIN if (DEFAULT_BIN / "initdb").exists() else None


def free_port() -> int:
    """A port nobody listens on now (PostgreSQL does not accept port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    bin: Path
    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def admin_url(self, database: str = "postgres") -> URL:
        query = {"host": str(self.directory), "port": str(self.port)}
        return URL.create("postgresql+psycopg", username="postgres", database=database, query=query)

    def url(self, database: str) -> str:
        """The address the connector is given: TCP, the test user, no password."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-E", "UTF8", "--no-sync")
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n", encoding="utf-8"
        )
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.directory / "log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-t", "60", "-o", options, "start")
        self.admin("CREATE ROLE " + USER + " LOGIN PASSWORD '" + PASSWORD + "'")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def admin(self, statement: str) -> None:
        """DDL as the superuser, outside a transaction (CREATE DATABASE needs that)."""
        engine = sa.create_engine(self.admin_url(), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
        engine.dispose()

    def _run(self, program: str, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        command = [*as_postgres, str(self.bin / program), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)


def start_cluster(bin_dir: Path) -> Cluster:
    directory = Path(tempfile.mkdtemp(prefix="hub-pg-", dir="/tmp"))
    directory.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
    cluster = Cluster(bin_dir, directory, free_port())
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster
