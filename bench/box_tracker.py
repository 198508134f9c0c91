"""The box tracker posepipe used before the joint tracker (src/posepipe/pose/tracking.py up to
commit 21745c4), kept only so that bench/tracking_bench.py can compare against it.

A person is matched to the track whose last box overlaps theirs most (IoU >= min_iou), or,
when no box overlaps enough, whose last box centre is within half its diagonal. A track
unseen for more than `max_lost_frames` frames is retired.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from posepipe.pose.backend import Observation

Box = tuple[float, float, float, float]


@dataclass
class _Track:
    track_id: int
    box: Box
    last_seen: int


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two x0, y0, x1, y1 boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _near(previous: Box, box: Box) -> bool:
    diagonal = math.hypot(previous[2] - previous[0], previous[3] - previous[1])
    dx = (previous[0] + previous[2] - box[0] - box[2]) / 2
    dy = (previous[1] + previous[3] - box[1] - box[3]) / 2
    return math.hypot(dx, dy) < diagonal / 2


@dataclass
class BoxTracker:
    """Gives each observation a track id from box overlap with the tracks' last boxes."""

    max_lost_frames: int = 15
    min_iou: float = 0.1
    _tracks: list[_Track] = field(default_factory=list)
    _next_id: int = 1

    def update(self, frame_index: int, people: list[Observation]) -> list[int | None]:
        """The track id of each observation in `people`, in the same order."""
        self._tracks = [
            t for t in self._tracks if frame_index - t.last_seen <= self.max_lost_frames + 1
        ]
        ids: list[int | None] = [None] * len(people)
        free = list(self._tracks)
        pairs = sorted(
            (
                (self._affinity(track.box, person.bbox), n, track)
                for n, person in enumerate(people)
                for track in free
            ),
            key=lambda pair: pair[0],
            reverse=True,
        )
        for affinity, n, track in pairs:
            if affinity <= 0 or ids[n] is not None or track not in free:
                continue
            free.remove(track)
            track.box, track.last_seen = people[n].bbox, frame_index
            ids[n] = track.track_id
        for n, person in enumerate(people):
            if ids[n] is None:
                self._tracks.append(_Track(self._next_id, person.bbox, frame_index))
                ids[n] = self._next_id
                self._next_id += 1
        return ids

    def _affinity(self, previous: Box, box: Box) -> float:
        overlap = iou(previous, box)
        if overlap >= self.min_iou:
            return overlap
        return self.min_iou / 2 if _near(previous, box) else 0.0
