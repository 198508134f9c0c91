"""Track ids: stable while a person stays, new after a gap longer than max_lost_frames."""

from __future__ import annotations

import numpy as np

from posepipe.pose.backend import Observation
from posepipe.pose.tracking import Tracker, iou


def person(
    x: float, y: float = 100.0, w: float = 50.0, h: float = 120.0, hint: int | None = None
) -> Observation:
    return Observation(
        bbox=(x, y, x + w, y + h), score=0.9, kp2d=np.zeros((33, 3)), track_hint=hint
    )


def test_iou() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == 50 / 150


def test_a_person_moving_smoothly_keeps_one_id() -> None:
    tracker = Tracker(max_lost_frames=3)
    ids = [tracker.update(i, [person(10.0 + 4 * i)]) for i in range(50)]
    assert ids == [[1]] * 50
    assert tracker.tracks_started == 1


def test_a_short_gap_keeps_the_id_and_a_long_gap_starts_a_new_one() -> None:
    tracker = Tracker(max_lost_frames=3)
    assert tracker.update(0, [person(10)]) == [1]
    for i in (1, 2, 3):  # lost for 3 frames: not more than max_lost_frames
        assert tracker.update(i, []) == []
    assert tracker.update(4, [person(12)]) == [1]
    for i in (5, 6, 7, 8):  # lost for 4 frames: more than max_lost_frames
        tracker.update(i, [])
    assert tracker.update(9, [person(12)]) == [2]


def test_two_people_keep_their_ids_whatever_order_they_come_in() -> None:
    tracker = Tracker()
    assert tracker.update(0, [person(10), person(300)]) == [1, 2]
    assert tracker.update(1, [person(302), person(12)]) == [2, 1]
    assert tracker.update(2, [person(14)]) == [1]
    assert tracker.update(3, [person(16), person(306), person(600)]) == [1, 2, 3]


def test_a_fast_mover_after_a_gap_is_matched_by_nearness() -> None:
    tracker = Tracker(max_lost_frames=5)
    tracker.update(0, [person(100)])
    # No overlap with the last box, but the centre is within half its diagonal.
    assert tracker.update(3, [person(155)]) == [1]
    # Far away: someone else.
    assert tracker.update(4, [person(900)]) == [2]


def test_backend_track_hints_are_followed_and_the_gap_rule_still_applies() -> None:
    tracker = Tracker(max_lost_frames=2)
    assert tracker.update(0, [person(10, hint=7), person(300, hint=8)]) == [1, 2]
    # Boxes swapped places: the hints, not the boxes, decide.
    assert tracker.update(1, [person(300, hint=7), person(10, hint=8)]) == [1, 2]
    for i in (2, 3, 4):
        tracker.update(i, [person(10, hint=8)])
    assert tracker.update(5, [person(300, hint=7)]) == [3]
