"""The one way doctor runs other programs, so tests can feed it recorded outputs instead."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

TIMED_OUT = 124


@dataclass(frozen=True)
class CommandResult:
    """What a program printed and how it exited; `found` is False when it is not installed."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr: str = ""
    found: bool = True

    @property
    def ok(self) -> bool:
        """Found and exited 0."""
        return self.found and self.returncode == 0

    @property
    def output(self) -> str:
        """stdout and stderr together, stripped."""
        return "\n".join(p for p in (self.stdout.strip(), self.stderr.strip()) if p)

    @property
    def timed_out(self) -> bool:
        """Killed after its time limit."""
        return self.returncode == TIMED_OUT and not self.stdout and "timed out" in self.stderr


class Runner(Protocol):
    """Runs a command to completion and reports what it printed."""

    def run(self, argv: Sequence[str], timeout_s: float = 20.0) -> CommandResult:
        """Run `argv`; never raises for a missing program or a timeout."""
        ...


class SubprocessRunner:
    """The real thing: subprocess, no shell, a time limit, English messages."""

    def run(self, argv: Sequence[str], timeout_s: float = 20.0) -> CommandResult:
        """Run `argv`; never raises for a missing program or a timeout."""
        args = tuple(argv)
        if shutil.which(args[0]) is None:
            return CommandResult(args, 127, found=False)
        log.debug("running %s", " ".join(args))
        try:
            done = subprocess.run(
                args, capture_output=True, text=True, timeout=timeout_s, check=False,
                stdin=subprocess.DEVNULL, errors="replace",
            )
        except subprocess.TimeoutExpired:
            return CommandResult(args, TIMED_OUT, "", f"timed out after {timeout_s:.0f} s")
        except OSError as exc:  # found on PATH but not runnable (a broken interop binary)
            return CommandResult(args, 126, "", str(exc))
        return CommandResult(args, done.returncode, done.stdout, done.stderr)
