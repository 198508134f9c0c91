"""In-memory ends of the pose pipeline for tests: a sink that keeps frames, quiet progress."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from posepipe.pose.pipeline import ResultHeader
from posepipe.schema import FramePoses, VideoMeta


class ListSink:
    """Keeps what the pipeline writes."""

    def __init__(self) -> None:
        self.header: ResultHeader | None = None
        self.frames: list[FramePoses] = []
        self.video: VideoMeta | None = None
        self.processes = 0  # the run's pose processes, for tests that keep its summary here

    def begin(self, header: ResultHeader) -> None:
        self.header = header
        self.frames = []

    def write(self, frames: Sequence[FramePoses]) -> None:
        self.frames.extend(frames)

    def finish(self, video: VideoMeta) -> None:
        self.video = video


class KeepingSink(ListSink):
    """A sink that keeps what an earlier run stored, as the worker's does for a resumed job."""

    def begin(self, header: ResultHeader) -> None:
        self.header = header


class QuietProgress:
    """Progress nobody reads, except `on_update` when given."""

    def __init__(self, on_update: Callable[[int], None] | None = None) -> None:
        self.on_update = on_update
        self.updates: list[int] = []

    def start(self, total: int) -> None: ...

    def update(self, done: int) -> None:
        self.updates.append(done)
        if self.on_update is not None:
            self.on_update(done)

    def finish(self) -> None: ...
