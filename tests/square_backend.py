"""A pose backend for testing what surrounds backends: it finds the bright square that
`media_factory.write_video` draws, in real decoded pixels, the same in any process.

Its answers depend on the frame alone, so a video split across pose processes must give
exactly what one process gives: any difference is the plumbing's (order, numbering,
tracking), never the model's. Options make it hide the square in time windows (a person
leaving view), wait per frame (a slow model), fail, or kill its own process (a crash).
It is built in pose processes from a pickled `functools.partial(SquareBackend, ...)`.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence

import numpy as np

from posepipe.errors import BackendUnavailable
from posepipe.pose.backend import Observation
from posepipe.skeletons import MEDIAPIPE33
from posepipe.video.decode import DecodedFrame
from posepipe.video.probe import VideoInfo


class SquareBackend:
    """Finds the brightest square of a test video; one 'person' per frame at most."""

    name = "mediapipe"
    skeleton = MEDIAPIPE33
    version = "square-finder"
    device = "cpu"

    def __init__(
        self,
        *,
        hidden: Sequence[tuple[float, float]] = (),
        delay_s: float = 0.0,
        fail_at_s: float | None = None,
        crash_at_s: float | None = None,
        unloadable: bool = False,
    ) -> None:
        self.hidden = tuple(hidden)
        self.delay_s = delay_s
        self.fail_at_s = fail_at_s
        self.crash_at_s = crash_at_s
        self.unloadable = unloadable
        self.videos_started = 0

    def load(self) -> None:
        if self.unloadable:
            raise BackendUnavailable("the square finder cannot load here (asked to fail)")

    def start_video(self, info: VideoInfo) -> None:
        self.videos_started += 1

    def infer(self, frames: Sequence[DecodedFrame]) -> list[list[Observation]]:
        return [self._infer_one(frame) for frame in frames]

    def close(self) -> None: ...

    def _infer_one(self, frame: DecodedFrame) -> list[Observation]:
        if self.crash_at_s is not None and frame.time_s >= self.crash_at_s:
            os.kill(os.getpid(), signal.SIGKILL)
        if self.fail_at_s is not None and frame.time_s >= self.fail_at_s:
            raise RuntimeError(f"the square finder fails at {frame.time_s:.2f} s (asked to)")
        if self.delay_s:
            time.sleep(self.delay_s)
        if any(start <= frame.time_s < end for start, end in self.hidden):
            return []
        rows, cols = np.nonzero(frame.image.min(axis=2) > 200)
        if len(rows) == 0:
            return []
        x0, y0, x1, y1 = float(cols.min()), float(rows.min()), float(cols.max()), float(rows.max())
        joint = ((x0 + x1) / 2, (y0 + y1) / 2, 1.0)
        return [
            Observation(
                bbox=(x0, y0, x1 + 1, y1 + 1),
                score=1.0,
                kp2d=np.array([joint] * len(self.skeleton.joints)),
            )
        ]
