"""POST /api/imports on real MongoDB/Redis, and the worker converting the import job."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import joblib
import pytest
import redis
from pymongo.database import Database

from posepipe.config import Settings
from posepipe.jobs.keys import QUEUE_KEY
from posepipe.pose.mediapipe_backend import MediaPipeBackend
from posepipe.store.frames import FrameStore
from posepipe.store.job_updates import JobStore
from posepipe.store.media import LocalMediaStore
from posepipe.worker.runner import JobRunner
from posepipe.worker.state import WorkerState
from posepipe.worker.telemetry import WorkerMetrics
from tests.unit.phalp_fixture import build_results, write_results
from tests.unit.test_safe_pickle import _RunsACommand

SQUATS = "single_person_squats_portrait.mp4"  # 720x1280, 65 frames


def _files_in(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def _post(api: httpx.Client, results: bytes, video: Path, name: str = "demo_squats.pkl") -> Any:
    with video.open("rb") as f:
        return api.post("/api/imports", files={
            "results": (name, io.BytesIO(results), "application/octet-stream"),
            "video": (video.name, f, "video/mp4"),
        })


def _runner(settings: Settings, db: Database[Any], client: redis.Redis) -> JobRunner:
    state = WorkerState(backend="mediapipe")

    def no_exit(code: int) -> None:
        raise AssertionError(f"the worker tried to exit ({code})")

    return JobRunner(
        settings=settings, backend=MediaPipeBackend(), jobs=JobStore(db), frames=FrameStore(db),
        media=LocalMediaStore(settings.media_dir), client=client, state=state,
        metrics=WorkerMetrics(state, settings), exit_process=no_exit,
    )


@pytest.fixture
def squats_results(tmp_path: Path) -> bytes:
    path = tmp_path / "demo_squats.pkl"
    write_results(path, width=720, height=1280, frames=65)
    return path.read_bytes()


def test_an_import_is_stored_queued_and_converted_by_the_worker(
    api: httpx.Client, videos_dir: Path, squats_results: bytes, service_settings: Settings,
    sync_db: Database[Any], redis_client: redis.Redis,
) -> None:
    response = _post(api, squats_results, videos_dir / SQUATS)
    assert response.status_code == 201, response.text
    job_id = response.json()["job_id"]
    assert response.json()["status"] == "queued"
    media = service_settings.media_dir
    assert f"imports/{job_id}.pkl" in _files_in(media)
    assert (media / f"imports/{job_id}.pkl").read_bytes() == squats_results
    assert redis_client.llen(QUEUE_KEY) == 1
    doc = sync_db.jobs.find_one({"_id": job_id})
    assert doc is not None and doc["import"]["filename"] == "demo_squats.pkl"

    _runner(service_settings, sync_db, redis_client).run(job_id, 1)

    job = api.get(f"/api/jobs/{job_id}").json()
    assert job["status"] == "succeeded", job
    assert job["backend"] == "hmr2" and job["progress"]["frames_done"] == 65
    poses = api.get(f"/api/jobs/{job_id}/poses").json()
    assert poses["skeleton"]["name"] == "openpose25+19" and len(poses["frames"]) == 65
    assert {p["track"] for f in poses["frames"] for p in f["people"]} == {1, 2, 4}
    overlay = api.get(f"/api/jobs/{job_id}/overlay.mp4")
    assert overlay.status_code == 200 and overlay.content[4:8] == b"ftyp"

    assert api.delete(f"/api/jobs/{job_id}").status_code == 204
    assert _files_in(media) == []  # video, overlay and results file all gone


def test_a_results_file_that_would_run_a_command_fails_the_job_without_running_it(
    api: httpx.Client, videos_dir: Path, tmp_path: Path, service_settings: Settings,
    sync_db: Database[Any], redis_client: redis.Redis,
) -> None:
    marker = tmp_path / "pwned"
    results = build_results(width=720, height=1280, frames=10)
    results["outputs//_DEMO/clip/img/000002.jpg"]["extra_data"] = [_RunsACommand(marker)]
    path = tmp_path / "evil.pkl"
    joblib.dump(results, path, compress=3)
    response = _post(api, path.read_bytes(), videos_dir / SQUATS, name="evil.pkl")
    assert response.status_code == 201  # a pickle all the same: the API never unpickles
    job_id = response.json()["job_id"]

    _runner(service_settings, sync_db, redis_client).run(job_id, 1)

    job = api.get(f"/api/jobs/{job_id}").json()
    assert job["status"] == "failed" and job["attempts"] == 1
    assert job["error"]["code"] == "unsafe_pickle"
    assert not marker.exists()


@pytest.mark.parametrize("case", ["no video", "not a pickle", "not a video"])
def test_bad_imports_are_refused_and_leave_nothing(
    api: httpx.Client, videos_dir: Path, squats_results: bytes, service_settings: Settings,
    redis_client: redis.Redis, case: str,
) -> None:
    if case == "no video":
        response = api.post("/api/imports", files={"results": ("r.pkl", squats_results)})
        expected = (400, "no_file")
    elif case == "not a pickle":
        response = _post(api, b"frame,track,x,y\n0,1,2,3\n", videos_dir / SQUATS)
        expected = (400, "invalid_input")
    else:
        not_video = service_settings.media_dir.parent / "notes.txt"
        not_video.write_text("not a video\n")
        response = _post(api, squats_results, not_video)
        expected = (415, "not_a_video")
        # The client's name for the file, never the server's staging path.
        message = response.json()["error"]["message"]
        assert message == "notes.txt: not a video file (no known container format)"
    assert (response.status_code, response.json()["error"]["code"]) == expected, response.text
    assert _files_in(service_settings.media_dir) == []
    assert redis_client.llen(QUEUE_KEY) == 0
