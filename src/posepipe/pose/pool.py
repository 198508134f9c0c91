"""PosePool: several pose processes, each with its own backend, for one run at a time.

MediaPipe runs on one core, so the CPU path runs one backend per process to use several.
Processes are spawned (never forked: a fork of a process with MediaPipe's threads and
FFmpeg's is unsafe), load their model once, and serve run after run: the worker keeps its
pool for its whole life, as it keeps its model. A pool whose run was aborted (cancel, error,
a process that died) is killed at once and started afresh for the next run.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import time
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from posepipe.errors import PoseProcessFailed
from posepipe.pose.pose_process import (
    BackendFactory,
    Failed,
    LogLine,
    Message,
    Ready,
    SegmentTask,
    describe_exit,
    serve,
)

log = logging.getLogger(__name__)

_STOP_WAIT_S = 5.0


class PoseProcessDied(PoseProcessFailed):
    """One pose process ended while the pool needed it."""

    def __init__(self, member: int, message: str, *, loading: bool) -> None:
        super().__init__(message)
        self.member = member
        self.loading = loading  # it died before its model was loaded


class _Member:
    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.pid = process.pid  # kept: a closed process object no longer says
        self.conn = conn
        self.ready = False


class PosePool:
    """`processes` pose processes, each building its backend with `factory`."""

    def __init__(
        self, factory: BackendFactory, processes: int, *, ready_timeout_s: float = 300.0
    ) -> None:
        if processes < 1:
            raise ValueError(f"a pool needs at least one process, not {processes}")
        self._factory = factory
        self._ready_timeout_s = ready_timeout_s
        self._context = multiprocessing.get_context("spawn")
        self._members: list[_Member | None] = [None] * processes

    @property
    def size(self) -> int:
        """How many pose processes the pool runs."""
        return len(self._members)

    @property
    def pids(self) -> list[int]:
        """The process ids of the live pose processes."""
        return [m.pid for m in self._members if m is not None and m.pid is not None]

    def start(self) -> None:
        """Spawn the processes that are not running; returns without waiting for them."""
        for n, member in enumerate(self._members):
            if member is not None and member.process.is_alive():
                continue
            if member is not None:
                self._discard(n)
            ours, theirs = self._context.Pipe(duplex=True)
            process = self._context.Process(
                target=serve,
                args=(theirs, self._factory, os.getpid(), logging.getLogger().getEffectiveLevel()),
                name=f"posepipe-pose-{n}",
                daemon=True,  # ended by multiprocessing when this process exits normally
            )
            process.start()
            theirs.close()
            self._members[n] = _Member(process, ours)

    def ensure_ready(self) -> float:
        """Start what is missing and wait until every backend is loaded; seconds waited."""
        started = time.perf_counter()
        self.start()
        deadline = time.monotonic() + self._ready_timeout_s
        while not all(m is not None and m.ready for m in self._members):
            left = deadline - time.monotonic()
            if left <= 0:
                self.abort()
                raise PoseProcessFailed(
                    f"the pose processes did not load their model in {self._ready_timeout_s:g} s"
                )
            try:
                received = self.receive(min(left, 1.0))
            except PoseProcessDied as exc:
                if exc.loading:
                    self.abort()
                    raise PoseProcessFailed(f"{exc.message} while loading its model") from exc
                self.start()  # it died since its last run: replace it
                continue
            for n, message in received:
                if isinstance(message, Ready):
                    self._member(n).ready = True
                    log.debug("pose process %d (pid %d) ready in %.2f s", n, message.pid,
                              message.load_s)
                elif isinstance(message, Failed) and message.segment is None:
                    self.abort()
                    if message.error is not None:
                        raise message.error
                    raise PoseProcessFailed(f"a pose process could not load: {message.text}")
        return time.perf_counter() - started

    def assign(self, n: int, task: SegmentTask) -> None:
        """Send pose process `n` a segment to infer."""
        self._member(n).conn.send(task)

    def receive(self, timeout_s: float) -> list[tuple[int, Message]]:
        """The messages pose processes sent, waiting up to `timeout_s` for the first.

        Log lines are written to this process's log and not returned. Raises PoseProcessDied
        when a process has ended (after what it sent before is read).
        """
        members = [(n, m) for n, m in enumerate(self._members) if m is not None]
        waitables: list[Any] = [m.conn for _, m in members]
        waitables += [m.process.sentinel for _, m in members]
        ready = set(wait(waitables, timeout_s))
        received: list[tuple[int, Message]] = []
        for n, member in members:
            if member.conn in ready:
                received.extend((n, message) for message in self._drain(member))
        for n, member in members:
            if member.process.sentinel in ready:
                received.extend((n, message) for message in self._drain(member))
                member.process.join(timeout=1.0)
                how = describe_exit(member.process.exitcode)
                self._discard(n)
                raise PoseProcessDied(
                    n, f"pose process {n} (pid {member.pid}) {how}", loading=not member.ready
                )
        return received

    def abort(self) -> None:
        """Kill every pose process now; the next `ensure_ready` starts new ones."""
        for n in range(self.size):
            self._discard(n)

    def close(self) -> None:
        """Ask every pose process to stop, and kill those that do not within a few seconds."""
        for member in self._members:
            if member is not None:
                with contextlib.suppress(OSError):  # already gone
                    member.conn.send(None)
        deadline = time.monotonic() + _STOP_WAIT_S
        for member in self._members:
            if member is not None:
                member.process.join(timeout=max(0.0, deadline - time.monotonic()))
        self.abort()

    def __enter__(self) -> PosePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _member(self, n: int) -> _Member:
        member = self._members[n]
        if member is None:
            raise PoseProcessFailed(f"pose process {n} is not running")
        return member

    def _drain(self, member: _Member) -> list[Message]:
        messages: list[Message] = []
        try:
            while member.conn.poll():
                message = member.conn.recv()
                if isinstance(message, LogLine):
                    logging.getLogger(message.logger).log(message.level, "%s", message.message)
                else:
                    messages.append(message)
        except (EOFError, OSError):
            pass  # the process is gone; its sentinel says how
        return messages

    def _discard(self, n: int) -> None:
        member = self._members[n]
        if member is None:
            return
        self._members[n] = None
        if member.process.is_alive():
            member.process.kill()
        member.process.join(timeout=_STOP_WAIT_S)
        member.conn.close()
        if member.process.exitcode is not None:
            member.process.close()
