"""PHALP's per-frame results (4D-Humans' tracker output) -> posepipe observations and frames.

A PHALP results file maps a frame path to that frame's dict (see research note §4). Its
per-track lists include "ghosts": confirmed tracks not seen in this frame, whose entries
repeat their last detection (`tracked_time` > 0). Only `tracked_time == 0` entries are
people in this frame.

Coordinates, as PHALP stores them and as we write them:

* `bbox`: detector box `[x0, y0, w, h]` in source pixels -> `[x0, y0, x1, y1]`.
* `2d_joints`: 45 (x, y) pairs normalised to the frame padded to a square of side
  max(W, H), centred: pixels = value * max(W, H) - (left, top) with left = (max - W) // 2,
  top = (max - H) // 2. HMR 2.0 predicts every joint whether seen or not, so visibility
  is 1 for a joint that lands inside the frame and 0 outside it.
* `3d_joints`: 45 joints in metres, SMPL-posed, global orientation applied, no
  translation, OpenCV camera axes (x right, y down, z forward). The 45th is PHALP's
  all-zero SMPL origin; it is dropped (skeleton `openpose25+19` has 44 joints).
* `camera`: translation `[tx, ty, tz]` of the joints in the camera frame under PHALP's
  virtual focal length 5000 / 256 * max(W, H) pixels with the principal point at the
  padded square's centre; `project_to_pixels` reproduces `2d_joints` from these two.
* `smpl`: `global_orient` (1, 3, 3) and `body_pose` (23, 3, 3) rotation matrices, `betas`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from posepipe.errors import InvalidInput
from posepipe.pose.backend import Observation
from posepipe.skeletons import OPENPOSE25_19

FOCAL_LENGTH = 5000.0  # PHALP/HMR 2.0's virtual focal length on a 256-px crop
CROP_SIZE = 256
JOINTS = len(OPENPOSE25_19.joints)  # 44; PHALP appends a 45th zero joint
_PERSON_KEYS = ("tid", "tracked_time", "bbox", "conf", "smpl", "camera", "3d_joints", "2d_joints")
_SMPL_SHAPES = {"global_orient": (1, 3, 3), "body_pose": (23, 3, 3), "betas": (10,)}

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PhalpFrame:
    """One frame of PHALP results: its index and the people seen in it."""

    index: int
    path: str
    people: list[Observation]


def padding(width: int, height: int) -> tuple[int, int, int]:
    """(side, left, top) of the square PHALP pads a width x height frame into."""
    side = max(width, height)
    return side, (side - width) // 2, (side - height) // 2


def joints_to_pixels(normalised: npt.ArrayLike, width: int, height: int) -> Array:
    """PHALP's flattened, square-normalised 2D joints as (N, 2) source-video pixels."""
    side, left, top = padding(width, height)
    points = np.asarray(normalised, dtype=np.float64).reshape(-1, 2)
    return points * side - np.array([left, top], dtype=np.float64)


def project_to_pixels(
    kp3d: npt.ArrayLike, camera: npt.ArrayLike, width: int, height: int
) -> Array:
    """Project joints plus camera translation to source pixels the way PHALP does."""
    points = np.asarray(kp3d, dtype=np.float64) + np.asarray(camera, dtype=np.float64)
    normalised = FOCAL_LENGTH / CROP_SIZE * points[:, :2] / points[:, 2:3] + 0.5
    return joints_to_pixels(normalised, width, height)


def frame_size(frame: Mapping[str, Any]) -> tuple[int, int] | None:
    """(width, height) of the frame PHALP processed, from a person's `size`; None if empty."""
    sizes = frame.get("size") or []
    if not sizes:
        return None
    height, width = (int(v) for v in sizes[0])
    return width, height


def people_in_frame(frame: Mapping[str, Any], width: int, height: int) -> list[Observation]:
    """The people PHALP saw in this frame (ghosts dropped), PHALP's track id as track_hint."""
    _check_frame(frame)
    people = []
    for n, tracked_time in enumerate(frame["tracked_time"]):
        if int(tracked_time) != 0:
            continue
        people.append(_person(frame, n, width, height))
    return people


def _person(frame: Mapping[str, Any], n: int, width: int, height: int) -> Observation:
    x, y, w, h = (float(v) for v in np.asarray(frame["bbox"][n], dtype=np.float64).reshape(4))
    pixels = joints_to_pixels(frame["2d_joints"][n], width, height)[:JOINTS]
    inside = (
        (pixels[:, 0] >= 0) & (pixels[:, 0] <= width) & (pixels[:, 1] >= 0)
        & (pixels[:, 1] <= height)
    )
    kp2d = np.column_stack([pixels, inside.astype(np.float64)])
    kp3d = np.asarray(frame["3d_joints"][n], dtype=np.float64).reshape(-1, 3)[:JOINTS]
    if kp2d.shape[0] != JOINTS or kp3d.shape[0] != JOINTS:
        raise InvalidInput(
            f"{frame.get('frame_path', '?')}: expected {JOINTS + 1} joints per person, "
            f"found {kp2d.shape[0]} 2D / {kp3d.shape[0]} 3D"
        )
    camera = np.asarray(frame["camera"][n], dtype=np.float64).reshape(3)
    return Observation(
        bbox=(x, y, x + w, y + h),
        score=float(frame["conf"][n]),
        kp2d=kp2d,
        kp3d=kp3d,
        smpl=_smpl(frame["smpl"][n], frame),
        camera=(float(camera[0]), float(camera[1]), float(camera[2])),
        track_hint=int(frame["tid"][n]),
    )


def _smpl(params: Any, frame: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(params, Mapping):
        raise InvalidInput(f"{frame.get('frame_path', '?')}: `smpl` is not a dict")
    smpl = {}
    for key, shape in _SMPL_SHAPES.items():
        if key not in params:
            raise InvalidInput(f"{frame.get('frame_path', '?')}: `smpl` has no {key!r}")
        smpl[key] = np.asarray(params[key], dtype=np.float64).reshape(shape)
    return smpl


def _check_frame(frame: Mapping[str, Any]) -> None:
    where = frame.get("frame_path", "a frame")
    missing = [k for k in _PERSON_KEYS if k not in frame]
    if missing:
        raise InvalidInput(
            f"{where}: not a PHALP results frame (no {', '.join(missing)}); "
            "expected the pkl 4D-Humans' track.py writes to results/"
        )
    lengths = {k: len(frame[k]) for k in _PERSON_KEYS}
    if len(set(lengths.values())) != 1:
        raise InvalidInput(f"{where}: per-track lists differ in length ({lengths})")


def iter_frames(results: Any, width: int, height: int) -> Iterator[PhalpFrame]:
    """The frames of a PHALP results dict in frame order, with the people seen in each."""
    for index, path, frame in _ordered(results):
        yield PhalpFrame(index=index, path=path, people=people_in_frame(frame, width, height))


def _ordered(results: Any) -> list[tuple[int, str, Mapping[str, Any]]]:
    if not isinstance(results, Mapping) or not results:
        raise InvalidInput("not a PHALP results file: expected a dict of frame path -> frame")
    frames = []
    for path, frame in results.items():
        if not isinstance(frame, Mapping) or "time" not in frame:
            raise InvalidInput(f"not a PHALP results file: entry {path!r} has no `time`")
        frames.append((int(frame["time"]), str(path), frame))
    frames.sort(key=lambda item: item[0])
    indices = [i for i, _, _ in frames]
    if indices[0] < 0 or len(set(indices)) != len(indices):
        raise InvalidInput("PHALP results with negative or repeated frame times")
    return frames


def results_frame_size(results: Any) -> tuple[int, int] | None:
    """(width, height) PHALP saw, from the first person in the file; None if nobody appears."""
    for _, _, frame in _ordered(results):
        size = frame_size(frame)
        if size is not None:
            return size
    return None


def frame_count(results: Any) -> int:
    """How many frames the results cover (the last frame time + 1)."""
    return _ordered(results)[-1][0] + 1
