"""The protocol every pose backend follows: load once, infer on batches of frames, close."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from posepipe.skeletons import Skeleton
from posepipe.video.decode import DecodedFrame
from posepipe.video.probe import VideoInfo


@dataclass
class Observation:
    """One person a backend found in one frame, before tracking gives it a stable id."""

    bbox: tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels
    score: float
    kp2d: npt.NDArray[np.floating[Any]]  # (J, 3): x px, y px, visibility
    kp3d: npt.NDArray[np.floating[Any]] | None = None  # (J, 3) metres
    smpl: dict[str, Any] | None = None  # global_orient (1,3,3), body_pose (23,3,3), betas (10,)
    camera: tuple[float, float, float] | None = None
    track_hint: int | None = None  # the backend's own track id, when it tracks (PHALP)


@runtime_checkable
class PoseBackend(Protocol):
    """A pose estimator. `infer` returns, for each frame given, the people found in it."""

    name: str
    skeleton: Skeleton

    @property
    def version(self) -> str: ...

    @property
    def device(self) -> str: ...

    def load(self) -> None:
        """Load the models (idempotent); called once per process, before the first video."""

    def start_video(self, info: VideoInfo) -> None:
        """Forget what was learned from the previous video (temporal smoothing, tracks)."""

    def infer(self, frames: Sequence[DecodedFrame]) -> list[list[Observation]]:
        """The people in each frame, in the order of `frames`."""
        ...

    def close(self) -> None:
        """Release the models and any device memory."""
