"""Progress for people: a bar on a terminal, plain lines when output goes to a file or CI."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

_LINE_EVERY_S = 2.0


class TerminalProgress:
    """A rich progress bar (frames done / total, rate, time left)."""

    def __init__(self, label: str, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._label = label
        self._task: TaskID | None = None
        self._started = 0.0

    def start(self, total: int) -> None:
        self._started = time.perf_counter()
        self._progress.start()
        self._task = self._progress.add_task(self._label, total=total or None, rate="")

    def update(self, done: int) -> None:
        if self._task is None:
            return
        elapsed = time.perf_counter() - self._started
        rate = f"{done / elapsed:5.1f} fps" if elapsed > 0 else ""
        task = self._progress.tasks[0]
        if task.total is not None and done > task.total:
            self._progress.update(self._task, total=done)
        self._progress.update(self._task, completed=done, rate=rate)

    def finish(self) -> None:
        self._progress.stop()


class LineProgress:
    """`label: done/total frames (pct) at N fps`, at most every two seconds."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self._label = label
        self._stream = stream or sys.stderr
        self._total = 0
        self._started = 0.0
        self._last_line = 0.0
        self._done = 0

    def start(self, total: int) -> None:
        self._total = total
        self._started = self._last_line = time.perf_counter()

    def update(self, done: int) -> None:
        self._done = done
        now = time.perf_counter()
        if now - self._last_line >= _LINE_EVERY_S:
            self._last_line = now
            self._line(now)

    def finish(self) -> None:
        self._line(time.perf_counter())

    def _line(self, now: float) -> None:
        elapsed = now - self._started
        pct = f" ({100 * self._done / self._total:.0f}%)" if self._total else ""
        fps = self._done / elapsed if elapsed > 0 else 0.0
        print(
            f"{self._label}: {self._done}/{self._total} frames{pct} at {fps:.1f} fps",
            file=self._stream,
            flush=True,
        )


def progress_for(label: str, console: Console) -> TerminalProgress | LineProgress:
    """A bar when stderr is a terminal, plain lines otherwise."""
    if console.is_terminal:
        return TerminalProgress(label, console)
    return LineProgress(label)
