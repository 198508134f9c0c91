"""`posepipe import-phalp` as a person runs it: a subprocess, real video, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import joblib
import jsonschema
import pytest

from tests.unit.phalp_fixture import build_results, write_results
from tests.unit.test_safe_pickle import _RunsACommand

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "schema" / "poses.schema.json").read_text()
)
SQUATS = "single_person_squats_portrait.mp4"  # 720x1280, 65 frames at 5 fps


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "posepipe", "import-phalp", *map(str, args)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_import_writes_poses_and_an_overlay_like_process(tmp_path: Path, videos_dir: Path) -> None:
    pkl = tmp_path / "demo_squats.pkl"
    write_results(pkl, width=720, height=1280, frames=65)
    out = tmp_path / "out"
    result = run(pkl, "--video", videos_dir / SQUATS, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "frames: 65" in result.stdout and "tracks: 3" in result.stdout
    doc = json.loads((out / "poses.json").read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["backend"] == "hmr2" and doc["skeleton"]["name"] == "openpose25+19"
    assert len(doc["skeleton"]["joints"]) == 44
    video = doc["video"]
    assert (video["width"], video["height"], video["frames"]) == (720, 1280, 65)
    assert doc["frames"][2]["people"] == []
    assert {p["track"] for f in doc["frames"] for p in f["people"]} == {1, 2, 4}
    with av.open(str(out / "overlay.mp4")) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (720, 1280)
        assert sum(1 for _ in container.decode(stream)) == 65
    assert sorted(p.name for p in out.iterdir()) == ["overlay.mp4", "poses.json"]


def test_results_shorter_than_the_video_are_imported_with_a_warning(
    tmp_path: Path, videos_dir: Path
) -> None:
    pkl = tmp_path / "demo_squats.pkl"
    write_results(pkl, width=720, height=1280, frames=40)
    result = run(pkl, "--video", videos_dir / SQUATS, "-o", tmp_path / "out", "--no-overlay")
    assert result.returncode == 0, result.stderr
    assert "cover 40 of the video's 65 frames" in result.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["poses.json"]


def test_a_pickle_that_would_run_a_command_is_refused(tmp_path: Path, videos_dir: Path) -> None:
    marker = tmp_path / "pwned"
    results = build_results(width=720, height=1280, frames=10)
    results["outputs//_DEMO/clip/img/000003.jpg"]["extra_data"] = [_RunsACommand(marker)]
    pkl = tmp_path / "evil.pkl"
    joblib.dump(results, pkl, compress=3)
    out = tmp_path / "out"
    result = run(pkl, "--video", videos_dir / SQUATS, "-o", out)
    assert result.returncode == 2
    assert "refusing to load it" in result.stderr
    assert not marker.exists()
    assert not out.exists()  # nothing written, not even the folder


@pytest.mark.parametrize("case", ["wrong size", "not results", "no pkl", "not a video"])
def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path, videos_dir: Path, case: str) -> None:
    pkl = tmp_path / "demo.pkl"
    video = videos_dir / SQUATS
    if case == "wrong size":
        write_results(pkl, width=1920, height=1080, frames=10)
    elif case == "not results":
        joblib.dump({"weights": [1.0, 2.0]}, pkl, compress=3)
    elif case == "not a video":
        write_results(pkl, width=720, height=1280, frames=10)
        video = pkl
    out = tmp_path / "out"
    result = run(pkl, "--video", video, "-o", out)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("posepipe: ")
    assert not out.exists()
