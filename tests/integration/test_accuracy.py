"""The mediapipe backend against real clips, on both of its paths (several people, the
default; one person, POSE_MAX_PEOPLE=1): reference landmarks, detection rate, and on the kids
clip both children found and tracked apart (scored against tests/kids_clip.py).

Run as `posepipe process` and the worker run by default: in as many pose processes as this
machine's CPUs give (POSE_CPU_WORKERS=auto), the clips long enough cut into segments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from posepipe.config import BackendChoice, Settings
from posepipe.pose.backend import PoseBackend
from posepipe.pose.cpus import pose_processes
from posepipe.pose.pipeline import RunSummary, run_pipeline
from posepipe.pose.pool import PosePool
from posepipe.pose.select import backend_factory, build_backend
from posepipe.pose.tracking import Tracker
from posepipe.schema import FramePoses
from posepipe.video.probe import probe_video
from posepipe.video.segments import SegmentPlan, plan_segments
from tests import kids_clip
from tests.conftest import REFERENCE
from tests.pipeline_sinks import ListSink, QuietProgress

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLIPS = [
    "single_person_squats_portrait.mp4",
    "single_person_soccer_ball_juggling.mp4",
    "single_person_running_indoor_track.mp4",
    "multi_person_kids_jumping_on_bed.mp4",
]
LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP = 11, 12, 23, 24
PATHS = {"several": Settings().pose_max_people, "one": 1}  # POSE_MAX_PEOPLE of each path


@dataclass
class _Run:
    sink: ListSink
    summary: RunSummary


@pytest.fixture(scope="module", params=list(PATHS))
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        pose_max_people=PATHS[request.param], model_cache_dir=tmp_path_factory.mktemp("models")
    )


@pytest.fixture(scope="module")
def backend(settings: Settings) -> Iterator[PoseBackend]:
    backend = build_backend(settings, BackendChoice.MEDIAPIPE).backend
    backend.load()
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def default_pool(settings: Settings, backend: PoseBackend) -> Iterator[PosePool | None]:
    """The pose processes `posepipe process` and the worker run by default on this machine."""
    processes, _ = pose_processes(settings, backend)
    if processes < 2:
        yield None
        return
    with PosePool(backend_factory(settings, backend.name), processes) as pool:
        yield pool


def _run(
    path: Path, backend: PoseBackend, pool: PosePool | None, plan: SegmentPlan | None = None
) -> _Run:
    sink = ListSink()
    summary = run_pipeline(
        probe_video(path), backend, sink, QuietProgress(), tracker=Tracker(), pool=pool, plan=plan
    )
    return _Run(sink, summary)


@pytest.fixture(scope="module")
def results(
    backend: PoseBackend, default_pool: PosePool | None, videos_dir: Path
) -> dict[str, _Run]:
    return {clip: _run(videos_dir / clip, backend, default_pool) for clip in CLIPS}


def test_the_longer_clips_ran_as_by_default(
    results: dict[str, _Run], default_pool: PosePool | None
) -> None:
    if default_pool is None:
        pytest.skip("one CPU: the default is one process")
    assert results["single_person_squats_portrait.mp4"].summary.processes == 1  # 65 frames
    for clip in CLIPS[1:]:
        assert results[clip].summary.processes == default_pool.size, clip


def test_squats_landmarks_match_the_reference(results: dict[str, _Run]) -> None:
    _assert_matches_reference(results["single_person_squats_portrait.mp4"].sink.frames)


def test_squats_split_across_processes_still_match_the_reference(
    settings: Settings, backend: PoseBackend, videos_dir: Path
) -> None:
    # 65 frames are too few for the default cut; cut them anyway, in three.
    info = probe_video(videos_dir / "single_person_squats_portrait.mp4")
    plan = plan_segments(info, processes=3, min_frames=16)
    assert len(plan.segments) == 3, plan.reason
    with PosePool(backend_factory(settings, backend.name), 3) as pool:
        run = _run(info.path, backend, pool, plan)
    assert run.summary.processes == 3
    _assert_matches_reference(run.sink.frames)


def _assert_matches_reference(frames: list[FramePoses]) -> None:
    reference = np.array(
        json.loads((REFERENCE / "single_person_squats_portrait.blazepose_full.json").read_text())
    )[:, :, :2]
    assert len(frames) == len(reference) == 65
    errors = []
    for frame, expected in zip(frames, reference, strict=True):
        assert len(frame.people) == 1, f"frame {frame.i}: nobody found"
        found = np.array(frame.people[0].kp2d)[:, :2]
        shoulders = (expected[LEFT_SHOULDER] + expected[RIGHT_SHOULDER]) / 2
        hips = (expected[LEFT_HIP] + expected[RIGHT_HIP]) / 2
        torso = np.linalg.norm(shoulders - hips)
        errors.append(np.linalg.norm(found - expected, axis=1).mean() / torso)
    print(f"squats: mean error {np.mean(errors):.4f}, worst {np.max(errors):.4f} of torso length")
    assert np.mean(errors) < 0.05, f"mean error {np.mean(errors):.3f} of torso length"
    assert np.max(errors) < 0.10, f"worst frame {np.argmax(errors)}: {np.max(errors):.3f}"


@pytest.mark.parametrize("clip", CLIPS)
def test_a_person_is_found_in_at_least_95_percent_of_frames(
    results: dict[str, _Run], clip: str
) -> None:
    sink = results[clip].sink
    found = sum(1 for f in sink.frames if f.people)
    assert sink.video is not None and sink.video.frames == len(sink.frames)
    assert found / len(sink.frames) >= 0.95, f"{found}/{len(sink.frames)} frames with a person"


def test_nobody_else_is_found_in_the_single_person_clips(results: dict[str, _Run]) -> None:
    for clip in CLIPS[:3]:
        run = results[clip]
        assert run.summary.most_people == 1, clip
        assert run.summary.lasting_tracks == 1, clip


def test_the_kids_are_found_together_and_never_swap_ids(
    backend: PoseBackend, results: dict[str, _Run]
) -> None:
    run = results[kids_clip.CLIP]
    score = kids_clip.score_tracks(
        [[(p.track, p.kp2d, p.score) for p in frame.people] for frame in run.sink.frames]
    )
    print(
        f"kids clip ({backend.version}): both found in {score.both_found} of "
        f"{score.both_visible} frames; switches {score.switches}; ids {score.ids}; "
        f"{len(score.distinct)} ids, {run.summary.lasting_tracks} lasting"
    )
    assert score.switches == 0 and score.mixed_tracks == []
    if run.summary.most_people == 1:  # the single-person path: the girl, always
        assert score.ids["boy"] == [] and run.summary.lasting_tracks == 1
        return
    assert score.both_found >= 0.4 * score.both_visible
    assert run.summary.lasting_tracks == 2  # the girl throughout, the boy after his hiding
    assert len(score.distinct) <= 10


def test_kp3d_are_world_landmarks_in_metres(results: dict[str, _Run]) -> None:
    person = results["single_person_squats_portrait.mp4"].sink.frames[0].people[0]
    kp3d = np.array(person.kp3d)
    hips = (kp3d[LEFT_HIP] + kp3d[RIGHT_HIP]) / 2
    assert np.linalg.norm(hips) < 0.1  # hip-centred
    shoulder_to_hip = np.linalg.norm((kp3d[LEFT_SHOULDER] + kp3d[RIGHT_SHOULDER]) / 2 - hips)
    assert 0.3 < shoulder_to_hip < 0.8  # an adult torso, in metres
    assert kp3d[0][1] < hips[1]  # y down: the nose is above the hips
