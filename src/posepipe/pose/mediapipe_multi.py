"""Several people per frame on the CPU: MediaPipe Tasks' PoseLandmarker, BlazePose "full".

The same two models as the legacy solution (from the installed wheel, packed into a
`.task` bundle by `mediapipe_bundle`), run with `num_poses` = POSE_MAX_PEOPLE in video mode:
the detector looks for people while fewer than that many are followed, and each person
found is followed from frame to frame by the landmark model. Frames in, observations out:
track ids are given afterwards, by the pipeline's tracker.
"""

from __future__ import annotations

import importlib.metadata
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from posepipe.errors import BackendUnavailable
from posepipe.pose.backend import Observation
from posepipe.pose.mediapipe_backend import BLANK_FRAME, native_stderr_silenced, observation_of
from posepipe.pose.mediapipe_bundle import bundle_bytes_in_memory, ensure_bundle
from posepipe.skeletons import MEDIAPIPE33
from posepipe.video.decode import DecodedFrame
from posepipe.video.probe import VideoInfo

log = logging.getLogger(__name__)

# Chosen on the kids clip (bench/RESULTS.md, "Several people on the CPU"). Tasks' defaults
# (0.5 each) find both children in 48 of the 123 frames where both are visible. A low
# detection threshold finds the boy, whose face is blurred; a high tracking threshold makes
# the landmarker look again (run the detector) instead of following a person it is unsure
# of, which is what loses the second child: 75 of 123.
MIN_DETECTION_CONFIDENCE = 0.3
MIN_PRESENCE_CONFIDENCE = 0.3
MIN_TRACKING_CONFIDENCE = 0.7
# Two skeletons whose joints lie this close (median distance, as a share of the smaller
# box's diagonal) are one person found twice: a detection beside a followed person.
DUPLICATE_DISTANCE = 0.2


class MediaPipeMultiBackend:
    """Up to `max_people` people per frame, in MediaPipe Tasks' video mode."""

    name = "mediapipe"
    skeleton = MEDIAPIPE33

    def __init__(
        self,
        *,
        max_people: int,
        model_cache_dir: Path,
        min_detection_confidence: float = MIN_DETECTION_CONFIDENCE,
        min_presence_confidence: float = MIN_PRESENCE_CONFIDENCE,
        min_tracking_confidence: float = MIN_TRACKING_CONFIDENCE,
    ) -> None:
        if max_people < 1:
            raise ValueError(f"max_people must be at least 1, not {max_people}")
        self.max_people = max_people
        self._model_cache_dir = model_cache_dir
        self._thresholds = (
            min_detection_confidence,
            min_presence_confidence,
            min_tracking_confidence,
        )
        self._model: dict[str, Any] | None = None  # how BaseOptions gets the bundle
        self._landmarker: Any = None
        self._lock = threading.Lock()
        self._used = False  # frames of a video went through the current landmarker
        self._last_ms = 0  # video mode wants strictly increasing timestamps
        self._offset_ms = 0
        self._found_anyone = False
        self.load_s: float | None = None

    @property
    def version(self) -> str:
        mediapipe = importlib.metadata.version("mediapipe")
        return f"mediapipe {mediapipe} pose_landmarker_full, up to {self.max_people} people"

    @property
    def device(self) -> str:
        return "cpu"

    def load(self) -> None:
        with self._lock:
            if self._landmarker is not None:
                return
            started = time.perf_counter()
            self._model = self._locate_bundle()
            self._landmarker = self._build()
            self.load_s = time.perf_counter() - started
            log.info(
                "mediapipe pose landmarker (up to %d people) loaded in %.2f s",
                self.max_people,
                self.load_s,
            )

    def start_video(self, info: VideoInfo) -> None:
        self.load()
        # Video mode follows people from the previous frame and has no reset: a fresh
        # landmarker per video, so nobody is carried over and a rerun gives the same result.
        with self._lock:
            if self._used:
                self._landmarker.close()
                self._landmarker = self._build()
            self._offset_ms = self._last_ms + 1

    def infer(self, frames: Sequence[DecodedFrame]) -> list[list[Observation]]:
        if self._landmarker is None:
            self.load()
        self._used = True
        if self._found_anyone:
            return [self._infer_one(frame) for frame in frames]
        # The landmark stage logs C++ warnings once, at the first person found.
        with native_stderr_silenced(not log.isEnabledFor(logging.DEBUG)):
            found = [self._infer_one(frame) for frame in frames]
        self._found_anyone = any(found)
        return found

    def close(self) -> None:
        with self._lock:
            if self._landmarker is not None:
                self._landmarker.close()
                self._landmarker = None

    def _locate_bundle(self) -> dict[str, Any]:
        try:
            return {"model_asset_path": str(ensure_bundle(self._model_cache_dir))}
        except OSError as exc:
            # A model cache this user cannot write (the default /models on a laptop): the
            # bundle is packed in memory instead, well under a second at each start.
            log.info(
                "cannot keep the mediapipe pose bundle in MODEL_CACHE_DIR (%s): packed in "
                "memory; set MODEL_CACHE_DIR to a writable folder to keep it",
                exc,
            )
            return {"model_asset_buffer": bundle_bytes_in_memory()}

    def _build(self) -> Any:
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as exc:  # pragma: no cover - the bundle step needs it first
            raise BackendUnavailable(
                "the mediapipe backend needs the 'pose' extra: pip install 'posepipe[pose]'"
            ) from exc
        assert self._model is not None
        detection, presence, tracking = self._thresholds
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(**self._model),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=self.max_people,
            min_pose_detection_confidence=detection,
            min_pose_presence_confidence=presence,
            min_tracking_confidence=tracking,
            output_segmentation_masks=False,
        )
        with native_stderr_silenced(not log.isEnabledFor(logging.DEBUG)):
            landmarker = vision.PoseLandmarker.create_from_options(options)
            # Pay for graph set-up (and its start-up warnings) here, not on the first frame.
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=BLANK_FRAME)
            landmarker.detect_for_video(image, 0)
        self._last_ms = 0
        self._used = False
        return landmarker

    def _infer_one(self, frame: DecodedFrame) -> list[Observation]:
        import mediapipe as mp

        # Real times drive the landmark smoothing; equal or backward times (rounding,
        # broken timestamps) are nudged forward, as video mode refuses them.
        ms = max(self._last_ms + 1, self._offset_ms + round(frame.time_s * 1000))
        self._last_ms = ms
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame.image))
        result = self._landmarker.detect_for_video(image, ms)
        height, width = frame.image.shape[:2]
        worlds = result.pose_world_landmarks or [None] * len(result.pose_landmarks)
        return drop_duplicates(
            [
                observation_of(landmarks, world, width, height)
                for landmarks, world in zip(result.pose_landmarks, worlds, strict=True)
            ]
        )


def drop_duplicates(people: list[Observation]) -> list[Observation]:
    """The people found, less any skeleton that repeats a better-scored one."""
    kept: list[Observation] = []
    for person in sorted(people, key=lambda p: p.score, reverse=True):
        if not any(_same_person(person, other) for other in kept):
            kept.append(person)
    return kept


def _same_person(a: Observation, b: Observation) -> bool:
    scale = min(_diagonal(a.bbox), _diagonal(b.bbox))
    distance = float(np.median(np.linalg.norm(a.kp2d[:, :2] - b.kp2d[:, :2], axis=1)))
    return distance < DUPLICATE_DISTANCE * scale


def _diagonal(box: tuple[float, float, float, float]) -> float:
    return float(np.hypot(box[2] - box[0], box[3] - box[1]))
