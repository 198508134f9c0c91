"""The multi-person mediapipe backend on real frames: both children of the kids clip, nobody
in a blank frame, the same answer twice, and one person found twice kept once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from posepipe.pose.backend import Observation
from posepipe.pose.mediapipe_bundle import BUNDLE_DIR
from posepipe.pose.mediapipe_multi import MediaPipeMultiBackend, drop_duplicates
from posepipe.video.decode import DecodedFrame, FrameStream
from posepipe.video.probe import probe_video
from tests.conftest import VIDEOS

pytest.importorskip("mediapipe")

KIDS = VIDEOS / "multi_person_kids_jumping_on_bed.mp4"
BOTH_IN_VIEW = range(140, 170)  # the boy crouches at the left edge, the girl jumps


@pytest.fixture(scope="module")
def kids_frames() -> list[DecodedFrame]:
    return [f for f in FrameStream(probe_video(KIDS)) if f.index in BOTH_IN_VIEW]


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaPipeMultiBackend]:
    backend = MediaPipeMultiBackend(max_people=4, model_cache_dir=tmp_path_factory.mktemp("m"))
    backend.load()
    yield backend
    backend.close()


def _heads(people: list[Observation]) -> list[float]:
    return sorted(float(p.kp2d[:11, 0].mean()) for p in people)


def test_both_children_are_found(
    backend: MediaPipeMultiBackend, kids_frames: list[DecodedFrame]
) -> None:
    backend.start_video(probe_video(KIDS))
    found = [backend.infer([frame])[0] for frame in kids_frames]
    pairs = [people for people in found if len(people) == 2]
    assert len(pairs) >= len(kids_frames) // 2, [len(p) for p in found]
    for people in pairs:  # the boy's head at the left edge, the girl's 150 px or more right
        boy, girl = _heads(people)
        assert girl - boy > 150, (boy, girl)
    person = pairs[0][0]
    assert person.kp2d.shape == (33, 3) and person.kp3d is not None
    assert person.kp3d.shape == (33, 3)
    assert np.all((person.kp2d[:, 2] >= 0) & (person.kp2d[:, 2] <= 1))


def test_a_video_again_gives_the_same_people(
    backend: MediaPipeMultiBackend, kids_frames: list[DecodedFrame]
) -> None:
    # Video mode follows people from frame to frame; each video starts afresh.
    runs = []
    for _ in range(2):
        backend.start_video(probe_video(KIDS))
        runs.append(backend.infer(kids_frames[:8]))
    for first, second in zip(*runs, strict=True):
        assert [p.kp2d.tolist() for p in first] == [p.kp2d.tolist() for p in second]


def test_nobody_in_a_blank_frame_and_repeated_times_are_accepted(
    backend: MediaPipeMultiBackend,
) -> None:
    backend.start_video(probe_video(KIDS))
    blank = np.zeros((540, 960, 3), dtype=np.uint8)
    # Equal and backward timestamps (rounding, broken files): video mode would refuse them.
    frames = [DecodedFrame(i, t, blank) for i, t in enumerate((0.0, 0.0, 0.0004, 0.0))]
    assert backend.infer(frames) == [[], [], [], []]


def test_the_bundle_is_kept_in_the_model_cache(tmp_path: Path) -> None:
    backend = MediaPipeMultiBackend(max_people=2, model_cache_dir=tmp_path)
    backend.load()
    backend.close()
    assert [p.suffix for p in (tmp_path / BUNDLE_DIR).iterdir()] == [".task"]
    assert "up to 2 people" in backend.version


def test_a_model_cache_that_cannot_be_written_still_loads(
    tmp_path: Path, kids_frames: list[DecodedFrame]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("MODEL_CACHE_DIR points under a file")
    backend = MediaPipeMultiBackend(max_people=2, model_cache_dir=blocker / "models")
    backend.start_video(probe_video(KIDS))
    assert any(backend.infer(kids_frames[:3]))
    backend.close()


def test_max_people_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MediaPipeMultiBackend(max_people=0, model_cache_dir=tmp_path)


def _person(x: float, score: float) -> Observation:
    kp2d = np.column_stack([np.linspace(x, x + 50, 33), np.linspace(100, 220, 33), np.ones(33)])
    return Observation(bbox=(x, 100, x + 50, 220), score=score, kp2d=kp2d)


def test_one_person_found_twice_is_kept_once_with_the_better_score() -> None:
    twice = [_person(100, 0.7), _person(104, 0.9), _person(400, 0.8)]
    kept = drop_duplicates(twice)
    assert [p.score for p in kept] == [0.9, 0.8]


def test_people_side_by_side_are_all_kept() -> None:
    apart = [_person(100, 0.9), _person(170, 0.8)]
    assert len(drop_duplicates(apart)) == 2
