"""`scripts/install-test-deps.sh` (`make test-deps`) on an empty tools folder, as on a new
machine: FerretDB is built by Go from the module proxy's source, the binary it leaves runs
and serves, a second run keeps it, and apt-get is never run when nothing is missing.

Every CI run goes through the first-run path here, not only the machines that never had
the binary (the path that once died of SIGPIPE on exactly the first run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pymongo
import pytest

from tests.conftest import REPO
from tests.servers import free_port, wait_for_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCRIPT = REPO / "scripts" / "install-test-deps.sh"
FERRETDB_VERSION = "v1.24.0"


def _run(tools: Path, path_prefix: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "POSEPIPE_TOOLS_DIR": str(tools),
        "PATH": f"{path_prefix}{os.pathsep}{os.environ['PATH']}",
    }
    return subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=540
    )


def _apt_get_tripwire(folder: Path) -> Path:
    """An `apt-get` first on PATH that only records that it was called, and fails."""
    folder.mkdir()
    calls = folder / "calls"
    tripwire = folder / "apt-get"
    tripwire.write_text(f'#!/bin/sh\necho "apt-get $*" >> "{calls}"\nexit 1\n')
    tripwire.chmod(0o755)
    return calls


def _serves(ferretdb: Path, data: Path) -> str:
    """Start the built FerretDB, ask its version over the wire, stop it."""
    data.mkdir()
    port = free_port()
    process = subprocess.Popen(
        [str(ferretdb), "--handler=sqlite", f"--sqlite-url=file:{data}/",
         f"--state-dir={data}", f"--listen-addr=127.0.0.1:{port}",
         f"--debug-addr=127.0.0.1:{free_port()}", "--telemetry=disable", "--log-level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process=process)
        url = f"mongodb://127.0.0.1:{port}/"
        with pymongo.MongoClient(url, serverSelectionTimeoutMS=10_000) as client:
            return str(client.server_info()["ferretdbVersion"])
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_first_run_builds_ferretdb_and_the_second_keeps_it(tmp_path: Path) -> None:
    if shutil.which("go") is None and shutil.which("mongod") is None:
        pytest.fail("neither Go nor mongod: run `make test-deps` first")
    tools = tmp_path / "tools"  # empty: made by the script itself, as on a new machine
    calls = _apt_get_tripwire(tmp_path / "path")

    first = _run(tools, calls.parent)
    output = first.stdout + first.stderr
    assert first.returncode == 0, output
    # `make test` ran this script before the tests: nothing Debian provides is missing.
    assert "apt-get: not run, nothing missing" in first.stdout, output
    assert not calls.exists(), calls.read_text()
    for tool in ("redis-server", "chromium", "fonts-dejavu-core"):
        assert f"install-test-deps: {tool}: found" in first.stdout, output

    if shutil.which("mongod"):
        assert "FerretDB not needed" in first.stdout, output
        assert not (tools / "ferretdb").exists()
        return

    ferretdb = tools / "ferretdb"
    # build-ferretdb.sh says what it does on stderr (its stdout is the binary's path).
    assert f"build-ferretdb: building FerretDB {FERRETDB_VERSION}" in first.stderr, output
    built = [line for line in first.stderr.splitlines() if "build-ferretdb: built" in line]
    assert built and f"(version: {FERRETDB_VERSION})" in built[0], output
    assert f"install-test-deps: FerretDB: ready at {ferretdb}" in first.stdout, output
    assert sorted(p.name for p in tools.iterdir()) == ["ferretdb"]  # no .partial left
    assert _serves(ferretdb, tmp_path / "data") == FERRETDB_VERSION

    built_at = ferretdb.stat().st_mtime_ns
    second = _run(tools, calls.parent)
    assert second.returncode == 0, second.stdout + second.stderr
    found = f"build-ferretdb: found {ferretdb} (version: {FERRETDB_VERSION}), not rebuilt"
    assert found in second.stderr, second.stdout + second.stderr
    assert "building" not in second.stderr
    assert ferretdb.stat().st_mtime_ns == built_at
    assert not calls.exists(), calls.read_text()
