"""Stable track ids across frames, for any number of people per frame.

A person is matched to the track whose last box overlaps theirs most (IoU), or, when no box
overlaps enough, whose last box centre is near (within half its diagonal): a fast mover
seen again after a gap. A track unseen for more than `max_lost_frames` frames is retired,
so a person lost for longer and found again gets a new id (setting TRACK_MAX_LOST_FRAMES,
default 15: half a second at 30 fps).

Backends that track themselves (PHALP) pass their own id as `track_hint`; it is kept as
the match, and the same gap rule applies to it.
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
    hint: int | None = None


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
class Tracker:
    """Gives each observation a track id that stays the same while the person stays in view."""

    max_lost_frames: int = 15
    min_iou: float = 0.1
    _tracks: list[_Track] = field(default_factory=list)
    _next_id: int = 1
    _hints: dict[int, _Track] = field(default_factory=dict)

    @property
    def tracks_started(self) -> int:
        """How many track ids have been handed out."""
        return self._next_id - 1

    def update(self, frame_index: int, people: list[Observation]) -> list[int]:
        """The track id of each observation in `people`, in the same order."""
        self._retire(frame_index)
        ids: list[int | None] = [None] * len(people)
        free = list(self._tracks)

        for n, person in enumerate(people):
            if person.track_hint is not None:
                track = self._hints.get(person.track_hint)
                if track is not None and track in free:
                    free.remove(track)
                    ids[n] = self._extend(track, person, frame_index)

        pairs = sorted(
            (
                (self._affinity(track.box, person.bbox), n, track)
                for n, person in enumerate(people)
                if ids[n] is None and person.track_hint is None
                for track in free
            ),
            key=lambda pair: pair[0],
            reverse=True,
        )
        for affinity, n, track in pairs:
            if affinity <= 0 or ids[n] is not None or track not in free:
                continue
            free.remove(track)
            ids[n] = self._extend(track, people[n], frame_index)

        for n, person in enumerate(people):
            if ids[n] is None:
                ids[n] = self._start(person, frame_index)
        return [i for i in ids if i is not None]

    def _affinity(self, previous: Box, box: Box) -> float:
        overlap = iou(previous, box)
        if overlap >= self.min_iou:
            return overlap
        # Below the IoU gate, a nearby centre still matches, ranked below any overlap.
        return self.min_iou / 2 if _near(previous, box) else 0.0

    def _extend(self, track: _Track, person: Observation, frame_index: int) -> int:
        track.box = person.bbox
        track.last_seen = frame_index
        return track.track_id

    def _start(self, person: Observation, frame_index: int) -> int:
        track = _Track(self._next_id, person.bbox, frame_index, person.track_hint)
        self._next_id += 1
        self._tracks.append(track)
        if person.track_hint is not None:
            self._hints[person.track_hint] = track
        return track.track_id

    def _retire(self, frame_index: int) -> None:
        alive = [t for t in self._tracks if frame_index - t.last_seen <= self.max_lost_frames + 1]
        for track in self._tracks:
            if track not in alive and track.hint is not None:
                self._hints.pop(track.hint, None)
        self._tracks = alive
