"""Write PHALP results files the way 4D-Humans' track.py does, for tests (research note §4).

The structure follows PHALP.track() with rendering off: a dict keyed by frame path (in
frame order), each frame holding `time`, `shot`, `frame_path` and 20 per-track lists
(23 keys). A track is shown only once confirmed (5 consecutive hits), and then its 4
earlier frames are back-filled; a confirmed track not seen in a frame stays listed as a
"ghost" repeating its last detection with `tracked_time` > 0, for up to 50 frames.
The 2D joints are made the way PHALP makes them: 3D joints plus camera, projected with
focal 5000 on a 256 crop, normalised to the frame padded to a centred square.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np

N_INIT = 5
MAX_AGE = 50
HISTORY_KEYS = (
    "center", "scale", "size", "img_path", "img_name", "class_name", "conf", "annotations",
    "smpl", "camera", "camera_bbox", "3d_joints", "2d_joints", "mask", "extra_data",
)
EVAL_KEYS = ("tracked_ids", "tracked_bbox", "tid", "bbox", "tracked_time")


@dataclass(frozen=True)
class ScriptedTrack:
    """A person PHALP would give track id `tid`, detected in `frames`, standing at `x_m`."""

    tid: int
    frames: frozenset[int]
    x_m: float


# 40 frames: nobody in 0-2; track 1 from 3 (confirmed at 7, 3-6 back-filled), missed in
# 15-17 (ghost), gone after 29; track 2 in 10-24; track 3 seen twice, never confirmed;
# track 4 from 32 (confirmed at 36). Frames 30-31 list only ghosts.
SCENARIO = (
    ScriptedTrack(1, frozenset(set(range(3, 30)) - {15, 16, 17}), -0.5),
    ScriptedTrack(2, frozenset(range(10, 25)), 0.4),
    ScriptedTrack(3, frozenset({20, 21}), 0.9),
    ScriptedTrack(4, frozenset(range(32, 40)), 0.0),
)
FRAMES = 40


def frame_path(t: int) -> str:
    """The key PHALP uses: the extracted JPEG's path."""
    return f"outputs//_DEMO/clip/img/{t + 1:06d}.jpg"


def _rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _detection(track: ScriptedTrack, t: int, index: int, width: int, height: int) -> dict[str, Any]:
    rng = np.random.default_rng(track.tid * 1000 + t)
    body = np.column_stack([
        rng.uniform(-0.25, 0.25, 44), rng.uniform(-0.9, 0.9, 44), rng.uniform(-0.15, 0.15, 44),
    ])
    joints = np.vstack([body @ _rotation(0.1 * t).T, np.zeros((1, 3))]).astype(np.float32)
    camera = np.array([track.x_m + 0.01 * t, 0.15, 65.0 + 0.1 * track.tid], dtype=np.float32)
    points = joints.astype(np.float64) + camera
    normalised = 5000.0 / 256.0 * points[:, :2] / points[:, 2:3] + 0.5
    side = max(width, height)
    left, top = (side - width) // 2, (side - height) // 2
    pixels = normalised[:44] * side - [left, top]
    x0, y0 = pixels.min(axis=0) - 10
    x1, y1 = pixels.max(axis=0) + 10
    bbox = np.array([x0, y0, x1 - x0, y1 - y0], dtype=np.float32)
    path = frame_path(t)
    return {
        "bbox": bbox,
        "center": np.array([(x0 + x1) / 2, (y0 + y1) / 2], dtype=np.float64),
        "scale": float(max(x1 - x0, y1 - y0) / side),
        "size": [height, width],
        "img_path": path,
        "img_name": path.rsplit("/", 1)[-1],
        "class_name": np.int64(0),
        "conf": np.float32(0.9 + 0.002 * (t % 40)),
        "annotations": [],
        "smpl": {
            "global_orient": _rotation(0.1 * t)[None].astype(np.float32),
            "body_pose": np.repeat(np.eye(3, dtype=np.float32)[None], 23, axis=0),
            "betas": rng.normal(0, 0.5, 10).astype(np.float32),
        },
        "camera": camera,
        "camera_bbox": np.array([0.8, 0.01, 0.2], dtype=np.float32),
        "3d_joints": joints,
        "2d_joints": normalised.astype(np.float32).reshape(-1),
        "mask": [{"size": [height, width], "counts": "PQ`0c0]1Y1gN[Nb1"}],
        "extra_data": index,
    }


def _append(frame: dict[str, Any], tid: int, detection: dict[str, Any], tracked_time: int) -> None:
    frame["tid"].append(tid)
    frame["bbox"].append(detection["bbox"])
    frame["tracked_time"].append(tracked_time)
    for key in HISTORY_KEYS:
        frame[key].append(detection[key])
    if tracked_time == 0:
        frame["tracked_ids"].append(tid)
        frame["tracked_bbox"].append(detection["bbox"])


def build_results(width: int = 1920, height: int = 1080, frames: int = FRAMES,
                  scenario: tuple[ScriptedTrack, ...] = SCENARIO) -> dict[str, dict[str, Any]]:
    """PHALP results for the scripted scenario, as the dict track() dumps."""
    results: dict[str, dict[str, Any]] = {}
    confirmed: dict[int, int] = {}  # tid -> frame of confirmation
    last: dict[int, tuple[int, dict[str, Any]]] = {}  # tid -> (frame, detection)
    for t in range(frames):
        frame: dict[str, Any] = {"time": t, "shot": 0, "frame_path": frame_path(t)}
        for key in (*EVAL_KEYS, *HISTORY_KEYS):
            frame[key] = []
        results[frame_path(t)] = frame
        seen = [track for track in scenario if t in track.frames]
        for index, track in enumerate(seen):
            detection = _detection(track, t, index, width, height)
            last[track.tid] = (t, detection)
            run = all(t - k in track.frames for k in range(N_INIT))
            if track.tid not in confirmed and run:
                confirmed[track.tid] = t
                for k in range(1, N_INIT):  # back-fill, appended after the fact as PHALP does
                    earlier = t - k
                    _append(results[frame_path(earlier)], track.tid,
                            _detection(track, earlier, index, width, height), 0)
        for track in scenario:
            if track.tid not in confirmed or track.tid not in last:
                continue
            seen_at, detection = last[track.tid]
            if 0 < t - seen_at <= MAX_AGE or (t == seen_at and confirmed[track.tid] <= t):
                _append(frame, track.tid, detection, t - seen_at)
    return results


def write_results(path: Path, **kwargs: Any) -> dict[str, dict[str, Any]]:
    """Build the scenario and dump it with joblib, compress=3, as PHALP does."""
    results = build_results(**kwargs)
    joblib.dump(results, path, compress=3)
    return results
