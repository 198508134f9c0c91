"""PHALP results -> posepipe frames, against files written the way 4D-Humans writes them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posepipe.errors import InvalidInput
from posepipe.phalp.convert import (
    FOCAL_LENGTH,
    JOINTS,
    iter_frames,
    people_in_frame,
    project_to_pixels,
)
from posepipe.phalp.importer import import_results
from posepipe.phalp.safe_pickle import load_results_pickle
from posepipe.results import PoseFileSink, read_pose_document
from posepipe.skeletons import OPENPOSE25_19
from posepipe.video.probe import VideoInfo
from tests.unit.phalp_fixture import FRAMES, frame_path, write_results


def _info(width: int, height: int, frames: int = FRAMES) -> VideoInfo:
    return VideoInfo(path=Path("clip.mp4"), codec="h264", width=width, height=height,
                     fps=30.0, frames=frames, duration_s=frames / 30.0, rotation=0,
                     container="mov,mp4,m4a,3gp,3g2,mj2")


class _Progress:
    def __init__(self) -> None:
        self.updates: list[int] = []
        self.total = -1
        self.finished = False

    def start(self, total: int) -> None:
        self.total = total

    def update(self, done: int) -> None:
        self.updates.append(done)

    def finish(self) -> None:
        self.finished = True


@pytest.fixture(scope="module")
def landscape(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The scenario on a 1920x1080 video, written with joblib and read back safely."""
    path = tmp_path_factory.mktemp("phalp") / "demo_clip.pkl"
    write_results(path, width=1920, height=1080)
    return load_results_pickle(path)


def test_fixture_has_phalps_structure(landscape: dict) -> None:
    assert list(landscape) == [frame_path(t) for t in range(FRAMES)]
    assert {len(frame) for frame in landscape.values()} == {23}
    ghosts = sum(1 for f in landscape.values() for tt in f["tracked_time"] if tt > 0)
    assert ghosts > 20  # the fixture really holds ghost entries to filter


def test_people_per_frame_follow_phalps_track_states(landscape: dict) -> None:
    seen = {f.index: sorted(p.track_hint for p in f.people)
            for f in iter_frames(landscape, 1920, 1080)}
    assert [seen[t] for t in range(3)] == [[], [], []]  # nobody yet
    assert [seen[t] for t in range(3, 7)] == [[1]] * 4  # back-filled once track 1 confirmed
    assert [seen[t] for t in (15, 16, 17)] == [[2]] * 3  # track 1 is a ghost there: dropped
    assert seen[20] == seen[21] == [1, 2]  # track 3 never confirmed: never shown
    assert seen[30] == seen[31] == []  # only ghosts listed
    assert [seen[t] for t in range(32, 40)] == [[4]] * 8
    raw16 = landscape[frame_path(16)]
    assert sorted(raw16["tid"]) == [1, 2] and sorted(raw16["tracked_time"]) == [0, 2]


def test_boxes_become_corner_coordinates(landscape: dict) -> None:
    frame = landscape[frame_path(12)]
    n = frame["tracked_time"].index(0)
    x, y, w, h = (float(v) for v in frame["bbox"][n])
    person = next(p for p in people_in_frame(frame, 1920, 1080)
                  if p.track_hint == frame["tid"][n])
    assert person.bbox == pytest.approx((x, y, x + w, y + h))
    assert person.score == pytest.approx(float(frame["conf"][n]))


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1080, 1920), (960, 540)])
def test_joints_land_where_phalps_camera_projects_them(tmp_path: Path, width: int,
                                                       height: int) -> None:
    path = tmp_path / "demo.pkl"
    write_results(path, width=width, height=height)
    results = load_results_pickle(path)
    # Full-image intrinsics: focal 5000/256 * max(W, H) px, principal point at the centre.
    focal = FOCAL_LENGTH / 256 * max(width, height)
    checked = 0
    for frame in iter_frames(results, width, height):
        for person in frame.people:
            assert person.kp2d.shape == (JOINTS, 3) and person.kp3d is not None
            assert person.kp3d.shape == (JOINTS, 3)
            points = person.kp3d + np.asarray(person.camera)
            expected = focal * points[:, :2] / points[:, 2:3] + [width / 2, height / 2]
            np.testing.assert_allclose(person.kp2d[:, :2], expected, atol=0.05)
            np.testing.assert_allclose(
                project_to_pixels(person.kp3d, person.camera, width, height),
                person.kp2d[:, :2], atol=0.05)
            checked += 1
    assert checked == 24 + 15 + 8  # tracks 1, 2 and 4 on the frames they are seen


def test_3d_joints_smpl_and_camera_are_kept(landscape: dict) -> None:
    frame = landscape[frame_path(8)]
    n = frame["tracked_time"].index(0)
    person = next(p for p in people_in_frame(frame, 1920, 1080)
                  if p.track_hint == frame["tid"][n])
    assert person.kp3d is not None and person.smpl is not None
    np.testing.assert_allclose(person.kp3d, frame["3d_joints"][n][:44], rtol=1e-6)
    assert not np.allclose(frame["3d_joints"][n][44], person.kp3d[-1])  # zero 45th dropped
    assert person.smpl["global_orient"].shape == (1, 3, 3)
    assert person.smpl["body_pose"].shape == (23, 3, 3)
    assert person.smpl["betas"].shape == (10,)
    assert person.camera == pytest.approx(tuple(float(v) for v in frame["camera"][n]))
    # Joints inside the frame are visible; HMR 2.0 has no per-joint confidence.
    assert set(person.kp2d[:, 2].tolist()) <= {0.0, 1.0}


def test_import_writes_a_valid_document(tmp_path: Path, landscape: dict) -> None:
    sink = PoseFileSink(tmp_path)
    progress = _Progress()
    summary = import_results(landscape, _info(1920, 1080, frames=60), sink, progress,
                             source_name="demo_clip.pkl")
    doc = read_pose_document(tmp_path / "poses.json")
    assert doc.backend == "hmr2" and doc.skeleton.name == "openpose25+19"
    assert doc.skeleton.joints == list(OPENPOSE25_19.joints)
    assert [f.i for f in doc.frames] == list(range(FRAMES))
    assert doc.video.frames == FRAMES and doc.video.width == 1920
    assert {p.track for f in doc.frames for p in f.people} == {1, 2, 4}
    assert doc.frames[5].t == pytest.approx(5 / 30, abs=1e-6)
    assert all(len(p.kp2d) == 44 and p.smpl is not None for f in doc.frames for p in f.people)
    assert summary.tracks == 3 and summary.frames_with_people == FRAMES - 5
    assert summary.truncated and "40 of the video's 60" in (summary.warning() or "")
    assert progress.total == FRAMES and progress.updates[-1] == FRAMES and progress.finished


def test_results_for_another_frame_size_are_refused(tmp_path: Path, landscape: dict) -> None:
    with pytest.raises(InvalidInput, match=r"1920x1080 frames but clip\.mp4 is 1280x720"):
        import_results(landscape, _info(1280, 720), PoseFileSink(tmp_path), _Progress(),
                       source_name="x.pkl")


@pytest.mark.parametrize("results", [[], {}, {"a.jpg": {"no": "time"}},
                                     {"a.jpg": {"time": 0, "tid": [1]}}])
def test_what_is_not_phalp_output_is_refused(results: object) -> None:
    with pytest.raises(InvalidInput):
        list(iter_frames(results, 1920, 1080))
