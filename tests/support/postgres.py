"""A real PostgreSQL server for the test run: a temporary cluster on a free loopback port."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """The server binaries are missing or the server would not start."""


def find_bindir() -> Path:
    """The directory holding initdb and pg_ctl (newest installed major version first)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found: run scripts/test (it installs them) or "
        "apt-get install postgresql"
    )


def free_port() -> int:
    """A TCP port nobody listens on right now, on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    """A running throw-away cluster; ``url(db)`` gives a SQLAlchemy URL to one database."""

    bindir: Path
    root: Path
    port: int
    user: str = "postgres"

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            # The server refuses to run as root: run it as the postgres system user.
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.root.chmod(0o755)
        init = self._run(
            "initdb", "-D", str(self.datadir), "-A", "trust", "-U", self.user,
            "-E", "UTF8", "--no-sync", "--locale=C.UTF-8",
        )  # fmt: skip
        if init.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
        self.run()

    def run(self) -> None:
        """Start the server on its existing data directory."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        started = self._run(
            "pg_ctl", "-D", str(self.datadir), "-o", options, "-l", str(self.root / "log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        if started.returncode != 0:
            log = (self.root / "log").read_text(errors="replace")[-800:]
            raise PostgresUnavailable(f"pg_ctl start failed: {started.stderr.strip()} {log}")

    def halt(self) -> None:
        """Stop the server as an operator would (sessions are terminated); ``run`` restarts it."""
        stopped = self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")
        if stopped.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl stop failed: {stopped.stderr.strip()}")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PostgresServer:
    """Start a fresh cluster in a temporary directory."""
    server = PostgresServer(
        bindir=find_bindir(), root=Path(tempfile.mkdtemp(prefix="certtui-pg-")), port=free_port()
    )
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server
