"""One process of a PosePool: builds its own backend, then infers the segments it is sent.

It decodes its segment itself (seeking into the file), so no frame crosses a process
boundary; only observations (a few kB per person) go back, batch by batch, and the parent
tracks them in frame order. Everything it says to the parent is one of the messages below,
over one pipe; its log records go the same way, so they land in the parent's log with the
job's fields. It leaves when the parent says so, when the pipe closes, or when the parent
is gone (checked twice a second), so no pose process outlives the run or worker it served.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

from posepipe.errors import PosepipeError
from posepipe.pose.backend import Observation, PoseBackend
from posepipe.video.decode import DecodedFrame
from posepipe.video.probe import VideoInfo
from posepipe.video.segment_decode import SegmentDecoder
from posepipe.video.segments import Segment

_PARENT_CHECK_S = 0.5

# Builds the backend inside the pose process; must pickle (a module-level function or a
# functools.partial of one), since the process is spawned, not forked.
BackendFactory = Callable[[], PoseBackend]


@dataclass(frozen=True)
class SegmentTask:
    """Parent to process: infer this segment of this video, `batch_size` frames at a time."""

    info: VideoInfo
    segment: Segment
    batch_size: int


@dataclass(frozen=True)
class Ready:
    """The backend is loaded."""

    pid: int
    load_s: float


@dataclass(frozen=True)
class Inferred:
    """A batch of kept frames of a segment, in order: each frame's time, pts and people."""

    segment: int
    frames: list[tuple[float, int | None, list[Observation]]]


@dataclass(frozen=True)
class SegmentDone:
    """The segment is finished: frames decoded and kept, and packets that failed."""

    segment: int
    decoded: int
    failed: int


@dataclass(frozen=True)
class Failed:
    """Loading the backend (segment None) or a segment failed."""

    segment: int | None
    error: PosepipeError | None  # ours (SegmentMismatch included), passed on as it is
    text: str  # `Type: message`, for anything else
    trace: str


@dataclass(frozen=True)
class LogLine:
    """A log record of the process, for the parent's log."""

    level: int
    logger: str
    message: str


Message = Ready | Inferred | SegmentDone | Failed | LogLine


def serve(conn: Connection, factory: BackendFactory, parent_pid: int, log_level: int) -> None:
    """The pose process's main function (the target the pool spawns)."""
    # Ctrl-C reaches the whole process group; stopping the pool is the parent's to decide.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(parent_pid)
    channel = _Channel(conn)
    _send_logs_to(channel, log_level)
    try:
        started = time.perf_counter()
        backend = factory()
        backend.load()
    except Exception as exc:
        channel.send(_failure(None, exc))
        return
    channel.send(Ready(os.getpid(), time.perf_counter() - started))
    decoder: SegmentDecoder | None = None
    try:
        while True:
            try:
                task = conn.recv()
            except (EOFError, OSError):
                return
            if task is None:  # the parent's stop
                return
            if decoder is None or decoder.info != task.info:
                if decoder is not None:
                    decoder.close()
                decoder = SegmentDecoder(task.info)
            try:
                _run_segment(channel, backend, decoder, task)
            except Exception as exc:
                channel.send(_failure(task.segment.number, exc))
    finally:
        if decoder is not None:
            decoder.close()
        backend.close()


def _run_segment(
    channel: _Channel, backend: PoseBackend, decoder: SegmentDecoder, task: SegmentTask
) -> None:
    number = task.segment.number
    # A fresh start for temporal models, as for a new video: the warm-up frames settle them.
    backend.start_video(task.info)
    warm: list[DecodedFrame] = []
    kept: list[DecodedFrame] = []
    decoded = 0
    for item in decoder.frames(task.segment):
        if item.warmup:
            warm.append(item.frame)
            if len(warm) == task.batch_size:
                backend.infer(warm)  # results dropped
                warm = []
            continue
        if warm:
            backend.infer(warm)
            warm = []
        kept.append(item.frame)
        decoded += 1
        if len(kept) == task.batch_size:
            channel.send(Inferred(number, _inferred(backend, kept)))
            kept = []
    if warm:
        backend.infer(warm)
    if kept:
        channel.send(Inferred(number, _inferred(backend, kept)))
    channel.send(SegmentDone(number, decoded, decoder.failed))


def _inferred(
    backend: PoseBackend, frames: list[DecodedFrame]
) -> list[tuple[float, int | None, list[Observation]]]:
    results = backend.infer(frames)
    return [
        (frame.time_s, frame.pts, people) for frame, people in zip(frames, results, strict=True)
    ]


def _failure(segment: int | None, exc: Exception) -> Failed:
    ours = exc if isinstance(exc, PosepipeError) else None
    return Failed(
        segment=segment,
        error=ours,
        text=f"{type(exc).__name__}: {exc}",
        trace=traceback.format_exc(),
    )


class _Channel:
    """The pipe to the parent; log records may be sent from any thread, hence the lock."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        with self._lock:
            self._conn.send(message)


class _ToParent(logging.Handler):
    def __init__(self, channel: _Channel) -> None:
        super().__init__()
        self._channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # the parent is gone: nobody to tell
            self._channel.send(LogLine(record.levelno, record.name, record.getMessage()))


def _send_logs_to(channel: _Channel, level: int) -> None:
    root = logging.getLogger()
    root.handlers[:] = [_ToParent(channel)]
    root.setLevel(level)


def _exit_with_parent(parent_pid: int) -> None:
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(_PARENT_CHECK_S)
        os._exit(0)  # the parent died (even by SIGKILL): its work is void

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def describe_exit(exitcode: int | None) -> str:
    """`killed by SIGKILL`, `exited with code 1`: how a process ended, for a person."""
    if exitcode is None:
        return "is still running"
    if exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with code {exitcode}"
