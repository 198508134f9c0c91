"""Stable track ids across frames, for any number of people per frame.

People are followed by their joints with norfair (a Kalman filter per joint, predicted to the
next frame): a person is matched to the track whose predicted joints lie nearest theirs, if
the mean distance is under `max_distance` of the person's size. Boxes overlap when one child
stands behind another; joints do not, which is why ids never pass from one person to the
other on the kids clip, where box overlap did (bench/RESULTS.md, "Tracking").

A track seen for `max_lost_frames` frames or more keeps its id through up to that many
frames without a match; one seen for fewer, through as many frames as it was seen (a
detection that flickers once does not hold an id for long). Longer gaps give a new id
(setting TRACK_MAX_LOST_FRAMES, default 15: half a second at 30 fps).

Backends that track themselves (PHALP) pass their own id as `track_hint`; it is kept as the
match, and the same gap rule applies to it. The whole state is plain data (`snapshot`,
`restore`), so a job can go on in another process with the same ids.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from posepipe.pose import norfair_state
from posepipe.pose.backend import Observation

if TYPE_CHECKING:
    from posepipe.config import Settings

# A track followed this long counts as a person in summaries (the CLI's, the web viewer's
# people list: frontend/src/pose/frames.ts keeps the same figure). Shorter ones are mostly a
# skeleton the model got wrong for a frame or two, or one person found twice.
LASTING_TRACK_S = 0.5

# Joints less visible than this on either side are left out of the distance (a hidden hand
# is guessed by the model and wanders); with fewer than _MIN_JOINTS left, all joints count.
_VISIBLE = 0.5
_MIN_JOINTS = 3


@dataclass
class _HintedTrack:
    track_id: int
    last_seen: int


class Tracker:
    """Gives each observation a track id that stays the same while the person stays in view."""

    def __init__(self, max_lost_frames: int = 15, max_distance: float = 0.4) -> None:
        if max_lost_frames < 1:
            raise ValueError(f"max_lost_frames must be at least 1, not {max_lost_frames}")
        self.max_lost_frames = max_lost_frames
        self.max_distance = max_distance
        self._joints = norfair_state.new_tracker(
            max_lost_frames, max_distance, _KeypointDistance()
        )
        self._ids: dict[int, int] = {}  # norfair's object id -> our track id
        self._hints: dict[int, _HintedTrack] = {}  # the backend's id -> our track
        self._next_id = 1
        self._last_frame = -1
        self._frames_seen: dict[int, int] = {}  # track id -> frames it was given in

    @property
    def tracks_started(self) -> int:
        """How many track ids have been handed out."""
        return self._next_id - 1

    def lasting_tracks(self, fps: float, frames: int) -> int:
        """How many tracks were given in LASTING_TRACK_S worth of frames or more (or in
        every one of `frames`, a video shorter than that)."""
        least = lasting_frames(fps, frames)
        return sum(1 for seen in self._frames_seen.values() if seen >= least)

    def update(self, frame_index: int, people: list[Observation]) -> list[int]:
        """The track id of each observation in `people`, in the same order."""
        # Frames lost to decode errors still age the tracks.
        for _ in range(self._last_frame + 1, frame_index):
            self._joints.update([])
        self._last_frame = frame_index
        ids: list[int | None] = [None] * len(people)
        for n, person in enumerate(people):
            if person.track_hint is not None:
                ids[n] = self._follow_hint(person.track_hint, frame_index)

        import norfair

        unhinted = [n for n, person in enumerate(people) if person.track_hint is None]
        detections = [
            norfair.Detection(
                points=people[n].kp2d[:, :2].astype(np.float64),
                scores=people[n].kp2d[:, 2].astype(np.float64),
            )
            for n in unhinted
        ]
        for obj in self._joints.update(detections):
            for n, detection in zip(unhinted, detections, strict=True):
                if obj.last_detection is detection:
                    ids[n] = self._track_of(obj.id)
        self._forget_retired(frame_index)
        given = [self._new_id() if i is None else i for i in ids]
        for track_id in given:
            self._frames_seen[track_id] = self._frames_seen.get(track_id, 0) + 1
        return given

    def snapshot(self) -> dict[str, Any]:
        """The tracker's state as plain JSON-able data, for `restore` in another process."""
        return {
            "next_id": self._next_id,
            "last_frame": self._last_frame,
            "tracks": [
                {"id": t.track_id, "hint": hint, "last_seen": t.last_seen}
                for hint, t in self._hints.items()
            ],
            "hints": [[hint, t.track_id] for hint, t in self._hints.items()],
            "joints": norfair_state.dump(self._joints),
            "joint_ids": [[obj_id, track_id] for obj_id, track_id in self._ids.items()],
            "frames_seen": [[track_id, n] for track_id, n in self._frames_seen.items()],
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from a `snapshot`: the next update gives the ids this tracker would have."""
        last_seen = {int(t["id"]): int(t["last_seen"]) for t in state["tracks"]}
        self._next_id = int(state["next_id"])
        self._last_frame = int(state["last_frame"])
        self._hints = {
            int(hint): _HintedTrack(int(track_id), last_seen.get(int(track_id), self._last_frame))
            for hint, track_id in state["hints"]
        }
        norfair_state.load(self._joints, state["joints"])
        self._ids = {int(obj_id): int(track_id) for obj_id, track_id in state["joint_ids"]}
        self._frames_seen = {int(track_id): int(n) for track_id, n in state["frames_seen"]}

    def _follow_hint(self, hint: int, frame_index: int) -> int:
        track = self._hints.get(hint)
        if track is None or frame_index - track.last_seen > self.max_lost_frames + 1:
            track = self._hints[hint] = _HintedTrack(self._new_id(), frame_index)
        track.last_seen = frame_index
        return track.track_id

    def _forget_retired(self, frame_index: int) -> None:
        """Drop what only retired tracks used, so the state stays the size of who is in view."""
        alive = {obj.id for obj in self._joints.tracked_objects}
        self._ids = {obj_id: track for obj_id, track in self._ids.items() if obj_id in alive}
        self._hints = {
            hint: track
            for hint, track in self._hints.items()
            if frame_index - track.last_seen <= self.max_lost_frames + 1
        }

    def _track_of(self, object_id: int) -> int:
        if object_id not in self._ids:
            self._ids[object_id] = self._new_id()
        return self._ids[object_id]

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1


def lasting_frames(fps: float, frames: int) -> int:
    """Frames a track must be seen in to count as a person (frames.ts: lastingFrames)."""
    return max(1, min(math.ceil(LASTING_TRACK_S * fps), frames))


def tracker_from_settings(settings: Settings) -> Tracker:
    """A tracker with TRACK_MAX_LOST_FRAMES and TRACK_MAX_DISTANCE."""
    return Tracker(settings.track_max_lost_frames, settings.track_max_distance)


class _KeypointDistance:
    """Mean distance between a person's joints and a track's predicted ones, over their size.

    norfair's vectorised distance interface: a matrix, candidates by tracked objects.
    """

    def get_distances(self, objects: Any, candidates: Any) -> np.ndarray:
        matrix = np.full((len(candidates or []), len(objects)), np.inf, dtype=np.float64)
        for c, candidate in enumerate(candidates or []):
            points, scores = candidate.points, candidate.scores
            extent = points.max(axis=0) - points.min(axis=0)
            size = max(float(np.hypot(*extent)), 1.0)
            for o, obj in enumerate(objects):
                shown = (scores > _VISIBLE) & (obj.last_detection.scores > _VISIBLE)
                if shown.sum() < _MIN_JOINTS:
                    shown[:] = True
                gaps = np.linalg.norm(points[shown] - obj.estimate[shown], axis=1)
                matrix[c, o] = float(gaps.mean()) / size
        return matrix
