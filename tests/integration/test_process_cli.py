"""`posepipe process` as a user runs it: a real subprocess, real files, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import av
import jsonschema
import pytest

from tests import media_factory as make

pytestmark = pytest.mark.integration

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "schema" / "poses.schema.json").read_text()
)
POSEPIPE = [sys.executable, "-m", "posepipe"]


@pytest.fixture(autouse=True, scope="module")
def _model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The mediapipe bundle goes to a folder of the test session, not to /models."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODEL_CACHE_DIR", str(tmp_path_factory.mktemp("models")))
        yield


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*POSEPIPE, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def stream_props(path: Path) -> tuple[int, int, float, int, str]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return (
            stream.width,
            stream.height,
            float(stream.average_rate),
            frames,
            stream.codec_context.name,
        )


def test_process_writes_a_valid_document_and_a_matching_overlay(
    tmp_path: Path, videos_dir: Path
) -> None:
    video = videos_dir / "single_person_squats_portrait.mp4"
    result = run("process", video, "-o", tmp_path / "out", "--backend", "mediapipe")
    assert result.returncode == 0, result.stderr
    for line in ("frames: 65", "frames with a person: 65", "tracks: 1", "results: "):
        assert line in result.stdout
    assert "backend: mediapipe (asked for mediapipe)" in result.stderr
    doc = json.loads((tmp_path / "out" / "poses.json").read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["video"] | {"codec": "h264"} == doc["video"]
    assert (doc["video"]["width"], doc["video"]["height"], doc["video"]["frames"]) == (
        720,
        1280,
        65,
    )
    assert [f["i"] for f in doc["frames"]] == list(range(65))
    assert stream_props(tmp_path / "out" / "overlay.mp4") == (720, 1280, 5.0, 65, "h264")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["overlay.mp4", "poses.json"]


def test_no_overlay_and_plain_progress_lines_off_a_terminal(
    tmp_path: Path, videos_dir: Path
) -> None:
    result = run(
        "process", videos_dir / "single_person_squats_portrait.mp4", "-o", tmp_path, "--no-overlay"
    )
    assert result.returncode == 0, result.stderr
    assert "poses: 65/65 frames (100%)" in result.stderr  # LineProgress, not a bar
    assert "auto: mediapipe on the CPU" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["poses.json"]


def test_rotated_video_results_are_in_displayed_pixels(tmp_path: Path) -> None:
    video = make.write_video(tmp_path / "rot.mp4", width=160, height=96, frames=8, rotation=-90)
    result = run("process", video, "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "out" / "poses.json").read_text())
    assert (doc["video"]["width"], doc["video"]["height"], doc["video"]["rotation"]) == (
        96,
        160,
        90,
    )
    assert stream_props(tmp_path / "out" / "overlay.mp4")[:4] == (96, 160, 10.0, 8)


def test_odd_sized_video_gets_an_even_overlay(tmp_path: Path) -> None:
    # yuv420p H.264 needs even sides: odd sources get a one-pixel border (documented).
    video = make.write_video(
        tmp_path / "odd.mp4", width=161, height=97, frames=5, pix_fmt="yuv444p"
    )
    result = run("process", video, "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert stream_props(tmp_path / "out" / "overlay.mp4")[:2] == (162, 98)


def test_a_video_corrupted_in_the_middle_finishes_and_records_the_loss(
    tmp_path: Path, videos_dir: Path
) -> None:
    broken = make.corrupt_middle(
        videos_dir / "single_person_soccer_ball_juggling.mp4", tmp_path / "c.mp4"
    )
    result = run("process", broken, "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "lost to decode errors" in result.stdout
    doc = json.loads((tmp_path / "out" / "poses.json").read_text())
    assert doc["video"]["frames_lost"] > 0
    assert doc["video"]["frames"] + doc["video"]["frames_lost"] == 247
    assert len(doc["frames"]) == doc["video"]["frames"]
    assert stream_props(tmp_path / "out" / "overlay.mp4")[3] == doc["video"]["frames"]


def _bad(tmp_path: Path, videos_dir: Path, case: str) -> Path:
    juggling = videos_dir / "single_person_soccer_ball_juggling.mp4"
    if case == "missing":
        return tmp_path / "missing.mp4"
    if case == "empty":
        (tmp_path / "empty.mp4").write_bytes(b"")
        return tmp_path / "empty.mp4"
    if case == "text":
        (tmp_path / "text.mp4").write_text("not a video")
        return tmp_path / "text.mp4"
    if case == "png":
        return make.write_png(tmp_path / "image.mp4")
    if case == "random":
        return make.write_random_bytes(tmp_path / "random.mp4")
    if case == "audio":
        return make.write_audio_only(tmp_path / "audio.mp4")
    if case == "cut":
        return make.cut_short(
            make.write_moov_at_end(juggling, tmp_path / "full.mp4"), tmp_path / "cut.mp4"
        )
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["missing", "empty", "text", "png", "random", "audio", "cut"])
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, videos_dir: Path, case: str
) -> None:
    video = _bad(tmp_path, videos_dir, case)
    out = tmp_path / "results"
    result = run("process", video, "-o", out)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("posepipe: ") and str(video) in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_an_existing_output_folder_keeps_only_what_it_had(tmp_path: Path) -> None:
    out = tmp_path / "results"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    (tmp_path / "t.mp4").write_text("text")
    assert run("process", tmp_path / "t.mp4", "-o", out).returncode == 2
    assert [p.name for p in out.iterdir()] == ["mine.txt"]


def test_unknown_backend_is_a_usage_error(tmp_path: Path, videos_dir: Path) -> None:
    result = run(
        "process", videos_dir / "single_person_squats_portrait.mp4", "--backend", "openpose"
    )
    assert result.returncode == 2
    assert "openpose" in result.stderr and "mediapipe" in result.stderr


def test_hmr2_without_cuda_says_why_and_writes_nothing(tmp_path: Path, videos_dir: Path) -> None:
    out = tmp_path / "out"
    result = run(
        "process", videos_dir / "single_person_squats_portrait.mp4", "-o", out, "--backend", "hmr2"
    )
    assert result.returncode == 1
    assert "hmr2 backend cannot run" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_a_bad_setting_is_one_line_and_exit_2(tmp_path: Path, videos_dir: Path) -> None:
    video = videos_dir / "single_person_squats_portrait.mp4"
    result = run("process", video, "-o", tmp_path / "out", env={"POSE_BACKEND": "gpu"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "posepipe: POSE_BACKEND='gpu': Input should be 'auto', 'mediapipe' or 'hmr2'"
    ]
    assert not (tmp_path / "out").exists()


def test_no_overlay_removes_an_overlay_left_by_an_earlier_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "overlay.mp4").write_bytes(b"an overlay of another video")
    video = make.write_video(tmp_path / "v.mp4", frames=4)
    result = run("process", video, "-o", out, "--no-overlay", env={"LOG_LEVEL": "warning"})
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["poses.json"]


def test_the_kids_clip_reports_two_people_tracked(tmp_path: Path, videos_dir: Path) -> None:
    video = videos_dir / "multi_person_kids_jumping_on_bed.mp4"
    result = run("process", video, "-o", tmp_path / "out", "--backend", "mediapipe")
    assert result.returncode == 0, result.stderr
    # The girl throughout, the boy once he comes out from behind her; the other ids are a
    # skeleton the model got wrong for a frame or two (bench/RESULTS.md, "Tracking").
    assert "(2 followed for 0.5 s or more)" in result.stdout, result.stdout
    assert "most people in one frame: " in result.stdout
    doc = json.loads((tmp_path / "out" / "poses.json").read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["backend_version"].endswith("up to 4 people")
    both = [f for f in doc["frames"] if len(f["people"]) >= 2]
    assert len(both) >= 50
    assert all(len({p["track"] for p in f["people"]}) == len(f["people"]) for f in both)
    assert stream_props(tmp_path / "out" / "overlay.mp4")[3] == 200


def test_max_people_one_runs_the_single_person_solution(tmp_path: Path, videos_dir: Path) -> None:
    video = videos_dir / "multi_person_kids_jumping_on_bed.mp4"
    out = tmp_path / "out"
    result = run("process", video, "-o", out, "--no-overlay", "--max-people", "1")
    assert result.returncode == 0, result.stderr
    assert "most people in one frame: 1" in result.stdout
    doc = json.loads((out / "poses.json").read_text())
    assert doc["backend_version"].endswith("pose_landmark_full")
    assert max(len(f["people"]) for f in doc["frames"]) == 1


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--max-people", "0"], {}, "Invalid value for '--max-people'"),
        (["--max-people", "many"], {}, "Invalid value for '--max-people'"),
        ([], {"POSE_MAX_PEOPLE": "0"}, "posepipe: POSE_MAX_PEOPLE='0': Input should be greater"),
    ],
)
def test_a_bad_max_people_is_refused_with_exit_2(
    tmp_path: Path, videos_dir: Path, args: list[str], env: dict[str, str], says: str
) -> None:
    video = videos_dir / "single_person_squats_portrait.mp4"
    result = run("process", video, "-o", tmp_path / "out", *args, env=env)
    assert result.returncode == 2
    assert says in result.stderr
    assert not (tmp_path / "out").exists()
def test_pose_processes_write_the_document_one_process_writes(
    tmp_path: Path, videos_dir: Path
) -> None:
    video = videos_dir / "single_person_soccer_ball_juggling.mp4"
    split = run("process", video, "-o", tmp_path / "two", "--no-overlay",
                env={"POSE_CPU_WORKERS": "2"})
    one = run("process", video, "-o", tmp_path / "one", "--no-overlay",
              env={"POSE_CPU_WORKERS": "1"})
    assert split.returncode == 0 and one.returncode == 0, split.stderr + one.stderr
    assert "poses: 2 processes (POSE_CPU_WORKERS), 2 segments of about 124 frames" in split.stderr
    assert "2 pose processes)" in split.stdout and "pose processes" not in one.stdout
    ours, theirs = (json.loads((tmp_path / d / "poses.json").read_text()) for d in ("two", "one"))
    jsonschema.validate(ours, SCHEMA)
    assert {k: v for k, v in ours.items() if k != "frames"} == {
        k: v for k, v in theirs.items() if k != "frames"
    }
    assert [(f["i"], f["t"], [p["track"] for p in f["people"]]) for f in ours["frames"]] == [
        (f["i"], f["t"], [p["track"] for p in f["people"]]) for f in theirs["frames"]
    ]
    assert ours["frames"][:124] == theirs["frames"][:124]  # the first segment: the same run


def test_a_bad_cpu_workers_setting_is_one_line_and_exit_2(
    tmp_path: Path, videos_dir: Path
) -> None:
    video = videos_dir / "single_person_squats_portrait.mp4"
    result = run("process", video, "-o", tmp_path / "out", env={"POSE_CPU_WORKERS": "0"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "posepipe: POSE_CPU_WORKERS='0': Value error, should be a number of processes from 1 "
        "to 256, or auto"
    ]
