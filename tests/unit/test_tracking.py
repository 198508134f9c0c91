"""Track ids: stable while a person stays, new after a gap longer than max_lost_frames, never
passed from one person to another, and the whole state kept through JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from posepipe.pose.backend import Observation
from posepipe.pose.tracking import Tracker

# A standing figure in a 1 x 2.4 box: 33 joints (BlazePose order does not matter here).
_STANDING = np.array(
    [(0.5, 0.05 + 0.03 * k) for k in range(11)]  # head
    + [(0.2 + 0.6 * (k % 2), 0.3 + 0.05 * (k // 2)) for k in range(12)]  # arms
    + [(0.35 + 0.3 * (k % 2), 0.55 + 0.045 * (k // 2)) for k in range(10)]  # legs
)
# The same body curled up (a child kneeling): the joints sit elsewhere in a similar box.
_CROUCHING = np.array([(0.5 + 0.45 * np.cos(a), 0.6 + 0.35 * np.sin(a)) for a in range(33)])


def person(
    x: float,
    y: float = 100.0,
    w: float = 50.0,
    h: float = 120.0,
    hint: int | None = None,
    shape: np.ndarray = _STANDING,
) -> Observation:
    kp2d = np.column_stack([x + shape[:, 0] * w, y + shape[:, 1] * h, np.full(33, 0.9)])
    return Observation(
        bbox=(x, y, x + w, y + h), score=0.9, kp2d=kp2d, track_hint=hint
    )


def test_a_person_moving_smoothly_keeps_one_id() -> None:
    tracker = Tracker(max_lost_frames=3)
    ids = [tracker.update(i, [person(10.0 + 4 * i)]) for i in range(50)]
    assert ids == [[1]] * 50
    assert tracker.tracks_started == 1


def test_a_fast_mover_is_followed_where_the_joints_are_predicted() -> None:
    # Speeding up to 87 px a frame, about the person's size: only the joints' velocity,
    # predicted by the Kalman filters, keeps the match.
    tracker = Tracker(max_lost_frames=3)
    ids = [tracker.update(i, [person(10.0 + 1.5 * i * i, w=60)]) for i in range(30)]
    assert ids == [[1]] * 30


def test_a_short_gap_keeps_the_id_and_a_long_gap_starts_a_new_one() -> None:
    tracker = Tracker(max_lost_frames=3)
    for i in range(10):  # followed for longer than max_lost_frames
        assert tracker.update(i, [person(10)]) == [1]
    for i in (10, 11, 12):  # lost for 3 frames: not more than max_lost_frames
        assert tracker.update(i, []) == []
    assert tracker.update(13, [person(12)]) == [1]
    for i in (14, 15, 16, 17):  # lost for 4 frames: more than max_lost_frames
        tracker.update(i, [])
    assert tracker.update(18, [person(12)]) == [2]


def test_a_person_seen_once_is_not_kept_for_long() -> None:
    tracker = Tracker(max_lost_frames=15)
    assert tracker.update(0, [person(10)]) == [1]
    for i in (1, 2, 3):
        tracker.update(i, [])
    assert tracker.update(4, [person(10)]) == [2]


def test_frames_lost_to_decode_errors_count_as_frames_without_anyone() -> None:
    tracker = Tracker(max_lost_frames=3)
    for i in range(10):
        tracker.update(i, [person(10)])
    assert tracker.update(13, [person(10)]) == [1]  # frames 10-12 never reached the tracker
    assert tracker.update(18, [person(10)]) == [2]


def test_two_people_keep_their_ids_whatever_order_they_come_in() -> None:
    tracker = Tracker()
    assert tracker.update(0, [person(10), person(300)]) == [1, 2]
    assert tracker.update(1, [person(302), person(12)]) == [2, 1]
    assert tracker.update(2, [person(14)]) == [1]
    assert tracker.update(3, [person(16), person(306), person(600)]) == [1, 2, 3]


def test_an_id_does_not_pass_to_someone_else_found_where_its_person_was_lost() -> None:
    # The kids clip at frame 120: the girl is missed, and the boy, crouching beside her, is
    # found in a box that overlaps hers. Their joints are far apart: he gets his own id.
    tracker = Tracker(max_lost_frames=15)
    for i in range(20):
        assert tracker.update(i, [person(100, h=150)]) == [1]
    crouching = person(60, y=160, w=70, h=90, shape=_CROUCHING)
    assert tracker.update(20, [crouching]) == [2]
    assert tracker.update(21, [person(100, h=150), crouching]) == [1, 2]


def test_backend_track_hints_are_followed_and_the_gap_rule_still_applies() -> None:
    tracker = Tracker(max_lost_frames=2)
    assert tracker.update(0, [person(10, hint=7), person(300, hint=8)]) == [1, 2]
    # Boxes swapped places: the hints, not the joints, decide.
    assert tracker.update(1, [person(300, hint=7), person(10, hint=8)]) == [1, 2]
    for i in (2, 3, 4):
        tracker.update(i, [person(10, hint=8)])
    assert tracker.update(5, [person(300, hint=7)]) == [3]


def test_lasting_tracks_count_those_followed_for_half_a_second() -> None:
    tracker = Tracker(max_lost_frames=5)
    for i in range(20):
        people = [person(10)] + ([person(400)] if i == 3 else [])
        tracker.update(i, people)
    assert tracker.tracks_started == 2
    assert tracker.lasting_tracks(fps=30, frames=20) == 1  # 15 frames needed; one had one
    assert tracker.lasting_tracks(fps=2, frames=20) == 2  # one frame is half a second at 2 fps
    # A video shorter than half a second: seen in every frame is enough.
    short = Tracker()
    for i in range(4):
        short.update(i, [person(10)])
    assert short.lasting_tracks(fps=30, frames=4) == 1


def _walk(frames: int) -> list[list[Observation]]:
    """Two people crossing, one of them missing now and then, and a backend-tracked one."""
    out = []
    for i in range(frames):
        people = [person(10 + 5 * i)]
        if i % 7 not in (3, 4):
            people.append(person(400 - 6 * i, y=120))
        people.append(person(700, hint=42))
        out.append(people)
    return out


def test_a_restored_tracker_continues_exactly_where_the_snapshot_was_taken() -> None:
    frames = _walk(60)
    uninterrupted = Tracker(max_lost_frames=3)
    expected = [uninterrupted.update(i, people) for i, people in enumerate(frames)]

    first = Tracker(max_lost_frames=3)
    for i, people in enumerate(frames[:25]):
        first.update(i, people)
    state = json.loads(json.dumps(first.snapshot()))  # plain data, through JSON and back
    second = Tracker(max_lost_frames=3)
    second.restore(state)
    assert [second.update(i, people) for i, people in enumerate(frames[25:], 25)] == expected[25:]
    assert second.snapshot() == uninterrupted.snapshot()
    assert second.lasting_tracks(30, 60) == uninterrupted.lasting_tracks(30, 60)


def test_a_snapshot_of_another_layout_is_refused() -> None:
    tracker = Tracker()
    tracker.update(0, [person(10)])
    state = tracker.snapshot()
    state["joints"]["format"] = 99
    with pytest.raises(ValueError, match="format 99"):
        Tracker().restore(state)


def test_max_lost_frames_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Tracker(max_lost_frames=0)


def test_the_state_holds_only_who_can_still_come_back() -> None:
    tracker = Tracker(max_lost_frames=3)
    for i in range(40):  # a new person every 5 frames, each seen for 2, then gone
        people = [person(40.0 * (i // 5))] if i % 5 < 2 else []
        people.append(person(900, hint=100 + i // 5))
        tracker.update(i, people)
    assert tracker.tracks_started == 16
    state = json.loads(json.dumps(tracker.snapshot()))
    assert len(state["joint_ids"]) <= 1 and len(state["joints"]["objects"]) <= 1
    assert len(state["hints"]) <= 2
    assert sorted(n for _, n in state["frames_seen"]) == [2] * 8 + [5] * 8
