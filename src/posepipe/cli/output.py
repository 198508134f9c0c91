"""What the commands that write results share: quiet logging, one-line failures with the
contract's exit codes, and results that appear whole or not at all."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import typer
from rich.console import Console

from posepipe.config import Settings
from posepipe.errors import InvalidInput, PosepipeError
from posepipe.logs import configure_logging

log = logging.getLogger(__name__)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
RESULT_FILES = ("poses.json", "overlay.mp4")

T = TypeVar("T")


def configure_cli_logging(settings: Settings) -> None:
    """Quiet by default: the progress bar and summary say what matters; LOG_LEVEL opts in."""
    level = settings.log_level if "log_level" in settings.model_fields_set else "WARNING"
    configure_logging("posepipe", level, settings.log_format)


def fail(console: Console, message: str, code: int) -> NoReturn:
    """Print one line for a person and exit with `code`."""
    console.print(f"[red]posepipe:[/] {message}", soft_wrap=True)
    raise typer.Exit(code)


def write_results(
    target: Path,
    console: Console,
    produce: Callable[[Path], T],
    *,
    subject: Path,
    bad_input_prefix: str = "",
) -> T:
    """Run `produce(work_dir)` and move the result files it wrote there into `target`.

    `work_dir` is a temporary folder inside `target` (so the final rename is atomic). On any
    failure it is removed, and so is `target` if this call created it, so nothing
    half-written is left; the failure becomes one line and the contract's exit code.
    """
    created_target = not target.exists()
    try:
        target.mkdir(parents=True, exist_ok=True)
        work_dir = Path(tempfile.mkdtemp(prefix=".posepipe-tmp-", dir=target))
    except OSError as exc:
        fail(console, f"{target}: cannot write results there ({exc.strerror})", EXIT_FAILED)
    try:
        result = produce(work_dir)
        for name in RESULT_FILES:
            if (work_dir / name).exists():
                os.replace(work_dir / name, target / name)
            else:
                # An overlay from an earlier run would not match the new poses.
                (target / name).unlink(missing_ok=True)
    except BaseException as exc:
        shutil.rmtree(work_dir, ignore_errors=True)
        if created_target and not any(target.iterdir()):
            target.rmdir()
        if isinstance(exc, KeyboardInterrupt):
            fail(console, "interrupted; nothing was written", EXIT_INTERRUPTED)
        if isinstance(exc, InvalidInput):
            fail(console, bad_input_prefix + exc.message, EXIT_BAD_INPUT)
        if isinstance(exc, PosepipeError):
            fail(console, exc.message, EXIT_FAILED)
        log.debug("%s failed", subject, exc_info=True)
        fail(console, f"{subject}: failed: {type(exc).__name__}: {exc}", EXIT_FAILED)
    shutil.rmtree(work_dir, ignore_errors=True)
    return result
