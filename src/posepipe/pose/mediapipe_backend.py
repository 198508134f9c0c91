"""MediaPipe Pose (BlazePose "full", model_complexity=1) on the CPU: one person per frame.

Its model files ship inside the pinned mediapipe==0.10.21 wheel, so it runs offline. The
legacy solution is the fast path for POSE_MAX_PEOPLE=1; several people per frame run in
`mediapipe_multi` (MediaPipe Tasks, the same two models). Helpers both share live here.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from posepipe.errors import BackendUnavailable
from posepipe.pose.backend import Observation
from posepipe.skeletons import MEDIAPIPE33
from posepipe.video.decode import DecodedFrame
from posepipe.video.probe import VideoInfo

log = logging.getLogger(__name__)

# Complexity 1 ("full") is the only model inside the wheel; 0 and 2 download at run time.
MODEL_COMPLEXITY = 1
_BBOX_MARGIN = 0.05  # share of the box size added on each side of the landmarks' extent
# A non-square blank frame: warms every calculator of the graph without finding anyone.
BLANK_FRAME = np.zeros((240, 320, 3), dtype=np.uint8)


class MediaPipeBackend:
    """MediaPipe's legacy Pose solution in video mode (it tracks the person between frames)."""

    name = "mediapipe"
    skeleton = MEDIAPIPE33

    def __init__(self, *, min_detection_confidence: float = 0.5) -> None:
        self._min_detection_confidence = min_detection_confidence
        self._pose: Any = None
        self._lock = threading.Lock()
        self._found_anyone = False
        self.load_s: float | None = None

    @property
    def version(self) -> str:
        return f"mediapipe {importlib.metadata.version('mediapipe')} pose_landmark_full"

    @property
    def device(self) -> str:
        return "cpu"

    def load(self) -> None:
        with self._lock:
            if self._pose is not None:
                return
            started = time.perf_counter()
            try:
                from mediapipe.python.solutions import pose as mp_pose
            except ImportError as exc:
                raise BackendUnavailable(
                    "the mediapipe backend needs the 'pose' extra: pip install 'posepipe[pose]'"
                ) from exc
            with native_stderr_silenced(not log.isEnabledFor(logging.DEBUG)):
                self._pose = self._build(mp_pose)
            self.load_s = time.perf_counter() - started
            log.info("mediapipe pose model loaded in %.2f s", self.load_s)

    def _build(self, mp_pose: Any) -> Any:
        pose = mp_pose.Pose(
            static_image_mode=False,
            model_complexity=MODEL_COMPLEXITY,
            smooth_landmarks=True,
            enable_segmentation=False,
            min_detection_confidence=self._min_detection_confidence,
            min_tracking_confidence=0.5,
        )
        # The first frames pay for graph set-up (and print the C++ start-up warnings, once);
        # pay here, not on the first job. A non-square frame reaches every calculator.
        pose.process(BLANK_FRAME)
        pose.reset()
        # reset() restarts the graph on scheduler threads, which log as they open: wait for
        # them here, inside the caller's silence, not in the middle of whatever comes next.
        pose.process(BLANK_FRAME)
        return pose

    def start_video(self, info: VideoInfo) -> None:
        self.load()
        # reset() restarts the graph; its calculators open (and log C++ warnings) on
        # scheduler threads. Processing one blank frame waits for them, inside the silence.
        with native_stderr_silenced(not log.isEnabledFor(logging.DEBUG)):
            self._pose.reset()
            self._pose.process(BLANK_FRAME)

    def infer(self, frames: Sequence[DecodedFrame]) -> list[list[Observation]]:
        if self._pose is None:
            self.load()
        if self._found_anyone:
            return [self._infer_one(frame) for frame in frames]
        # The landmark stage logs a C++ warning once per process, at the first person found.
        with native_stderr_silenced(not log.isEnabledFor(logging.DEBUG)):
            found = [self._infer_one(frame) for frame in frames]
        self._found_anyone = any(found)
        return found

    def close(self) -> None:
        with self._lock:
            if self._pose is not None:
                self._pose.close()
                self._pose = None

    def _infer_one(self, frame: DecodedFrame) -> list[Observation]:
        result = self._pose.process(frame.image)
        if result.pose_landmarks is None:
            return []
        world = result.pose_world_landmarks
        height, width = frame.image.shape[:2]
        return [
            observation_of(
                result.pose_landmarks.landmark,
                None if world is None else world.landmark,
                width,
                height,
            )
        ]


def observation_of(
    landmarks: Sequence[Any], world: Sequence[Any] | None, width: int, height: int
) -> Observation:
    """One person from MediaPipe's normalised landmarks (and world landmarks, in metres)."""
    kp2d = np.array([(lm.x * width, lm.y * height, lm.visibility) for lm in landmarks])
    kp2d[:, 2] = np.clip(kp2d[:, 2], 0.0, 1.0)
    kp3d = None if world is None else np.array([(lm.x, lm.y, lm.z) for lm in world])
    return Observation(
        bbox=bbox_of(kp2d, width, height),
        score=float(np.mean(kp2d[:, 2])),
        kp2d=kp2d,
        kp3d=kp3d,
    )


def bbox_of(kp2d: np.ndarray, width: int, height: int) -> tuple[float, float, float, float]:
    """The landmarks' extent plus a margin, clipped to the frame."""
    x0, y0 = kp2d[:, 0].min(), kp2d[:, 1].min()
    x1, y1 = kp2d[:, 0].max(), kp2d[:, 1].max()
    mx, my = (x1 - x0) * _BBOX_MARGIN, (y1 - y0) * _BBOX_MARGIN
    return (
        float(max(0.0, x0 - mx)),
        float(max(0.0, y0 - my)),
        float(min(width, x1 + mx)),
        float(min(height, y1 + my)),
    )


@contextmanager
def native_stderr_silenced(silence: bool) -> Iterator[None]:
    """Send file descriptor 2 to /dev/null: MediaPipe's C++ logs ignore Python's logging."""
    if not silence:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
