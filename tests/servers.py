"""Real servers for tests, on free loopback ports: redis-server, and mongod or FerretDB.

Each server is a small class that can be stopped and started again on the same port and
data folder, for the tests that take a server away and bring it back.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

FERRETDB = (
    Path(os.environ.get("POSEPIPE_TOOLS_DIR", Path.home() / ".cache/posepipe/bin")) / "ferretdb"
)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int, timeout_s: float = 30.0, process: subprocess.Popen | None = None
) -> None:
    """Block until something accepts connections on the port."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode} before listening on {port}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


class _Server:
    name = "server"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / f"{self.name}.log"
        data_dir.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        # The child keeps its own descriptor: ours is closed at once (no ResourceWarning).
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.data_dir
            )
        wait_for_port(self.port, process=self.process)

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server (SIGKILL when `kill`), keeping its data folder."""
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Stop, then start again on the same port and data."""
        self.stop()
        self.start()


class RedisServer(_Server):
    """Debian's redis-server with appendonly on, as in Compose; `persistent=False` keeps
    nothing on disk, so a restart loses every key (what an outage without AOF does)."""

    name = "redis"

    def __init__(self, data_dir: Path, *, persistent: bool = True) -> None:
        super().__init__(data_dir)
        self.persistent = persistent

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        return [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes" if self.persistent else "no",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--maxmemory-policy",
            "noeviction",
        ]


class MongoServer(_Server):
    """A `mongod` when one is on PATH, else FerretDB v1 on SQLite (same wire protocol)."""

    name = "mongodb"

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/posepipe_test"

    @property
    def flavour(self) -> str:
        return "mongod" if shutil.which("mongod") else "ferretdb"

    def command(self) -> list[str]:
        mongod = shutil.which("mongod")
        if mongod:
            return [
                mongod,
                "--port",
                str(self.port),
                "--bind_ip",
                "127.0.0.1",
                "--dbpath",
                str(self.data_dir),
                "--quiet",
            ]
        if not FERRETDB.exists():
            raise RuntimeError(f"{FERRETDB} is missing: run scripts/install-test-deps.sh")
        return [
            str(FERRETDB),
            "--handler=sqlite",
            f"--sqlite-url=file:{self.data_dir}/",
            f"--state-dir={self.data_dir}",
            f"--listen-addr=127.0.0.1:{self.port}",
            f"--debug-addr=127.0.0.1:{free_port()}",
            "--telemetry=disable",
            "--log-level=warn",
        ]
