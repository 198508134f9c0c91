"""The mediapipe backend against real clips: reference landmarks and detection rate."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from posepipe.pose.mediapipe_backend import MediaPipeBackend
from posepipe.pose.pipeline import ResultHeader, run_pipeline
from posepipe.pose.tracking import Tracker
from posepipe.schema import FramePoses, VideoMeta
from posepipe.video.probe import probe_video
from tests.conftest import REFERENCE

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLIPS = [
    "single_person_squats_portrait.mp4",
    "single_person_soccer_ball_juggling.mp4",
    "single_person_running_indoor_track.mp4",
    "multi_person_kids_jumping_on_bed.mp4",
]
LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP = 11, 12, 23, 24


class _ListSink:
    def __init__(self) -> None:
        self.frames: list[FramePoses] = []
        self.video: VideoMeta | None = None

    def begin(self, header: ResultHeader) -> None:
        self.frames = []

    def write(self, frames: Sequence[FramePoses]) -> None:
        self.frames.extend(frames)

    def finish(self, video: VideoMeta) -> None:
        self.video = video


class _Quiet:
    def start(self, total: int) -> None: ...
    def update(self, done: int) -> None: ...
    def finish(self) -> None: ...


@pytest.fixture(scope="module")
def backend():
    backend = MediaPipeBackend()
    backend.load()
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def results(backend: MediaPipeBackend, videos_dir: Path) -> dict[str, _ListSink]:
    out = {}
    for clip in CLIPS:
        sink = _ListSink()
        run_pipeline(probe_video(videos_dir / clip), backend, sink, _Quiet(), tracker=Tracker())
        out[clip] = sink
    return out


def test_squats_landmarks_match_the_reference(results: dict[str, _ListSink]) -> None:
    reference = np.array(
        json.loads((REFERENCE / "single_person_squats_portrait.blazepose_full.json").read_text())
    )[:, :, :2]
    frames = results["single_person_squats_portrait.mp4"].frames
    assert len(frames) == len(reference) == 65
    errors = []
    for frame, expected in zip(frames, reference, strict=True):
        assert len(frame.people) == 1, f"frame {frame.i}: nobody found"
        found = np.array(frame.people[0].kp2d)[:, :2]
        shoulders = (expected[LEFT_SHOULDER] + expected[RIGHT_SHOULDER]) / 2
        hips = (expected[LEFT_HIP] + expected[RIGHT_HIP]) / 2
        torso = np.linalg.norm(shoulders - hips)
        errors.append(np.linalg.norm(found - expected, axis=1).mean() / torso)
    assert np.mean(errors) < 0.05, f"mean error {np.mean(errors):.3f} of torso length"
    assert np.max(errors) < 0.10, f"worst frame {np.argmax(errors)}: {np.max(errors):.3f}"


@pytest.mark.parametrize("clip", CLIPS)
def test_a_person_is_found_in_at_least_95_percent_of_frames(
    results: dict[str, _ListSink], clip: str
) -> None:
    sink = results[clip]
    found = sum(1 for f in sink.frames if f.people)
    assert sink.video is not None and sink.video.frames == len(sink.frames)
    assert found / len(sink.frames) >= 0.95, f"{found}/{len(sink.frames)} frames with a person"


def test_kp3d_are_world_landmarks_in_metres(results: dict[str, _ListSink]) -> None:
    person = results["single_person_squats_portrait.mp4"].frames[0].people[0]
    kp3d = np.array(person.kp3d)
    hips = (kp3d[LEFT_HIP] + kp3d[RIGHT_HIP]) / 2
    assert np.linalg.norm(hips) < 0.1  # hip-centred
    shoulder_to_hip = np.linalg.norm((kp3d[LEFT_SHOULDER] + kp3d[RIGHT_SHOULDER]) / 2 - hips)
    assert 0.3 < shoulder_to_hip < 0.8  # an adult torso, in metres
    assert kp3d[0][1] < hips[1]  # y down: the nose is above the hips
