"""Everything the checks look at: the runner, the .env file, the host's files, the repository.

Host files are read under `root` (normally `/`), so tests point it at a folder of recorded
files. Command results are kept per argv: several checks may ask the same question.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pydantic import ValidationError

from posepipe.config import Settings
from posepipe.doctor.runner import CommandResult, Runner

log = logging.getLogger(__name__)

CPU_OVERRIDE = "docker-compose.cpu.yml"


@dataclass
class DoctorContext:
    """What `posepipe doctor` examines."""

    runner: Runner
    repo_dir: Path
    env_file: Path
    root: Path = Path("/")
    skip_gpu_smoke: bool = False
    _results: dict[tuple[tuple[str, ...], float], CommandResult] = field(default_factory=dict)

    def run(self, argv: Sequence[str], timeout_s: float = 20.0) -> CommandResult:
        """Run a command once; later calls with the same argv get the same result."""
        key = (tuple(argv), timeout_s)
        if key not in self._results:
            self._results[key] = self.runner.run(argv, timeout_s)
        return self._results[key]

    def host(self, path: str) -> Path:
        """A path of the machine being checked (under `root`)."""
        return self.root / path.lstrip("/")

    def read_host(self, path: str) -> str | None:
        """A host file's text, or None where it cannot be read."""
        try:
            return self.host(path).read_text(errors="replace")
        except OSError:
            return None

    @cached_property
    def env_values(self) -> dict[str, str]:
        """The .env file's assignments (empty when there is no .env)."""
        if not self.env_file.is_file():
            return {}
        from dotenv import dotenv_values

        return {k: v or "" for k, v in dotenv_values(self.env_file).items()}

    def env(self, name: str, default: str = "") -> str:
        """A .env value; an empty one counts as unset, as Compose's ${VAR:-default} does."""
        return self.env_values.get(name) or default

    @cached_property
    def _settings(self) -> tuple[Settings, str | None]:
        fields = {name.upper(): name for name in Settings.model_fields}
        given = {fields[k]: v for k, v in self.env_values.items() if k in fields and v != ""}
        try:
            return Settings.model_validate(given), None
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
            )
            return Settings(), problems

    @property
    def settings(self) -> Settings:
        """Settings as .env gives them (the defaults where .env is invalid)."""
        return self._settings[0]

    @property
    def settings_error(self) -> str | None:
        """Why .env's values are not valid settings, if they are not."""
        return self._settings[1]

    @property
    def gpu_device(self) -> str:
        """The host GPU Compose gives pose-service: POSE_GPU_DEVICE, else CUDA_VISIBLE_DEVICES."""
        return self.env("POSE_GPU_DEVICE") or self.env("CUDA_VISIBLE_DEVICES") or "0"

    @property
    def gpu_device_setting(self) -> str:
        """`NAME=value` of the setting `gpu_device` came from, for messages."""
        for name in ("POSE_GPU_DEVICE", "CUDA_VISIBLE_DEVICES"):
            if self.env(name):
                return f"{name}={self.env(name)}"
        return "POSE_GPU_DEVICE=0 (default)"

    @property
    def cpu_mode(self) -> bool:
        """Whether .env switches the stack to the CPU image (COMPOSE_FILE names the override)."""
        return CPU_OVERRIDE in self.env("COMPOSE_FILE")

    @cached_property
    def kernel(self) -> str:
        """/proc/version, or "" where there is none."""
        return (self.read_host("/proc/version") or "").strip()

    @property
    def wsl_version(self) -> int | None:
        """1 or 2 on WSL, None elsewhere."""
        kernel = self.kernel.lower()
        if "microsoft" not in kernel:
            return None
        return 2 if ("microsoft-standard" in kernel or "wsl2" in kernel) else 1
