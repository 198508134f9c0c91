"""Scoring people and track ids on the kids clip against what was seen by looking.

`data/reference/multi_person_kids_jumping_on_bed.children.json` (how it was made: its
SOURCES.md) says in which frames both children are visible and where a line between their
heads runs. From it each skeleton gets a label: "boy", "girl", or None where it cannot be
told (a second skeleton while the boy is hidden: a ghost or a glimpse of him). Used by
tests/integration/test_accuracy.py and bench/tracking_bench.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tests.conftest import REFERENCE

CLIP = "multi_person_kids_jumping_on_bed.mp4"
_TRUTH = json.loads((REFERENCE / "multi_person_kids_jumping_on_bed.children.json").read_text())
BOTH_VISIBLE = frozenset(
    i for first, last in _TRUTH["both_visible"] for i in range(first, last + 1)
)
_KEY_FRAMES = np.array([frame for frame, _ in _TRUTH["boy_left_of"]], dtype=float)
_KEY_X = np.array([x for _, x in _TRUTH["boy_left_of"]], dtype=float)


def labels(frame: int, kp2d: Sequence[Any], scores: Sequence[float]) -> list[str | None]:
    """Whose each skeleton of a frame is, given their joints (J, 3) and scores."""
    if frame in BOTH_VISIBLE:
        line = float(np.interp(frame, _KEY_FRAMES, _KEY_X))
        return ["boy" if np.mean(np.asarray(kp)[:11, 0]) < line else "girl" for kp in kp2d]
    # Only the girl can be seen: the best-scored skeleton is hers, any other unclear.
    best = int(np.argmax(scores)) if len(scores) else -1
    return ["girl" if n == best else None for n in range(len(scores))]


@dataclass
class TrackScore:
    """How a run's track ids fare against the children."""

    both_found: int = 0  # both-visible frames with a skeleton on each child
    switches: int = 0  # times a track id's next labelled skeleton is the other child's
    ids: dict[str, list[int]] = field(default_factory=lambda: {"girl": [], "boy": []})
    id_changes: dict[str, int] = field(default_factory=lambda: {"girl": 0, "boy": 0})
    distinct: set[int] = field(default_factory=set)

    @property
    def both_visible(self) -> int:
        """Frames where both children can be seen (by looking)."""
        return len(BOTH_VISIBLE)

    @property
    def mixed_tracks(self) -> list[int]:
        """Track ids given to both children."""
        return sorted(set(self.ids["girl"]) & set(self.ids["boy"]))


def score_tracks(frames: Sequence[Sequence[tuple[int, Any, float]]]) -> TrackScore:
    """Score frames in order, each a list of (track id, kp2d, score) per person."""
    result = TrackScore()
    last_label: dict[int, str] = {}
    last_id: dict[str, int] = {}
    for i, people in enumerate(frames):
        found = labels(i, [kp for _, kp, _ in people], [s for _, _, s in people])
        if i in BOTH_VISIBLE and {"girl", "boy"} <= set(found):
            result.both_found += 1
        for (track, _, _), child in zip(people, found, strict=True):
            result.distinct.add(track)
            if child is None:
                continue
            if last_label.get(track, child) != child:
                result.switches += 1
            last_label[track] = child
            if last_id.get(child, track) != track:
                result.id_changes[child] += 1
            last_id[child] = track
            if track not in result.ids[child]:
                result.ids[child].append(track)
    return result
