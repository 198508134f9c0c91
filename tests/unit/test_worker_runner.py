"""JobRunner's outcomes per error type, in-process, on the real servers and real videos.

The GPU failures are produced by a backend that raises what torch raises on a broken CUDA
context; there is no GPU here to break for real.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis
from pymongo.database import Database

from posepipe.config import Settings
from posepipe.jobs.keys import events_channel
from posepipe.jobs.progress import parse_event
from posepipe.pose.backend import Observation
from posepipe.skeletons import MEDIAPIPE33
from posepipe.store.frames import FrameStore
from posepipe.store.job_updates import JobStore
from posepipe.store.media import LocalMediaStore
from posepipe.store.models import new_job_document, video_document
from posepipe.video.decode import DecodedFrame
from posepipe.video.probe import VideoInfo, probe_video
from posepipe.worker.runner import JobRunner
from posepipe.worker.state import WorkerState
from posepipe.worker.telemetry import WorkerMetrics
from posepipe.worker.watchdog import EXIT_DEVICE_ERROR

SQUATS = "single_person_squats_portrait.mp4"


class RaisingBackend:
    """A pose backend whose inference raises `error` (what a broken library or GPU does)."""

    name = "mediapipe"
    skeleton = MEDIAPIPE33
    version = "raising"
    device = "cuda:0"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def load(self) -> None: ...

    def start_video(self, info: VideoInfo) -> None: ...

    def infer(self, frames: Sequence[DecodedFrame]) -> list[list[Observation]]:
        raise self.error

    def close(self) -> None: ...


class _Exited(Exception):
    pass


def _runner(settings: Settings, db: Database[Any], client: redis.Redis, backend: Any,
            exits: list[int]) -> JobRunner:
    def exit_process(code: int) -> None:
        exits.append(code)
        raise _Exited()

    state = WorkerState()
    return JobRunner(
        settings=settings, backend=backend, jobs=JobStore(db), frames=FrameStore(db),
        media=LocalMediaStore(settings.media_dir), client=client, state=state,
        metrics=WorkerMetrics(state, settings), exit_process=exit_process,
    )


def _job(db: Database[Any], settings: Settings, source: Path, job_id: str) -> str:
    media = LocalMediaStore(settings.media_dir)
    key = f"{job_id}.mp4"
    shutil.copy(source, media.local_path(key))
    video = video_document(
        video_id=job_id, media_key=key, filename=source.name, size_bytes=1, width=1, height=1,
        fps=1.0, frames=65, duration_s=1.0, codec="h264", rotation=0, container="mp4",
    )
    db.jobs.insert_one(new_job_document(job_id=job_id, video=video))
    return job_id


def test_bad_input_fails_at_once(
    service_settings: Settings, sync_db: Database[Any], redis_client: redis.Redis,
    tmp_path: Path,
) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"no video here" * 100)
    job_id = _job(sync_db, service_settings, junk, "bad")
    runner = _runner(service_settings, sync_db, redis_client, RaisingBackend(ValueError()), [])
    runner.run(job_id, 1)  # no exception: nothing to retry
    doc = sync_db.jobs.find_one({"_id": job_id})
    assert doc is not None and doc["status"] == "failed"
    assert doc["error"]["code"] == "not_a_video"


def test_an_error_is_retried_then_fails_with_its_reason(
    service_settings: Settings, sync_db: Database[Any], redis_client: redis.Redis,
    videos_dir: Path,
) -> None:
    job_id = _job(sync_db, service_settings, videos_dir / SQUATS, "flaky")
    runner = _runner(service_settings, sync_db, redis_client,
                     RaisingBackend(ValueError("model output has the wrong shape")), [])
    with pytest.raises(ValueError):  # Dramatiq's Retries takes it from here
        runner.run(job_id, 1)
    doc = sync_db.jobs.find_one({"_id": job_id})
    assert doc is not None and doc["status"] == "queued"
    assert "wrong shape" in doc["error"]["message"]
    runner.run(job_id, service_settings.pose_max_attempts)  # the last attempt: no raise
    doc = sync_db.jobs.find_one({"_id": job_id})
    assert doc is not None and doc["status"] == "failed"
    assert doc["error"]["message"].startswith("gave up after 3 attempts: ValueError")


def test_a_cuda_error_exits_the_process(
    service_settings: Settings, sync_db: Database[Any], redis_client: redis.Redis,
    videos_dir: Path,
) -> None:
    job_id = _job(sync_db, service_settings, videos_dir / SQUATS, "gpu")
    exits: list[int] = []
    error = RuntimeError("CUDA error: an illegal memory access was encountered")
    runner = _runner(service_settings, sync_db, redis_client, RaisingBackend(error), exits)
    with pytest.raises(_Exited):
        runner.run(job_id, 1)
    assert exits == [EXIT_DEVICE_ERROR]
    assert runner.state.fatal == "device error"
    doc = sync_db.jobs.find_one({"_id": job_id})
    assert doc is not None and doc["status"] == "running"  # left for redelivery


def test_a_redelivered_succeeded_job_gets_its_missing_overlay(
    service_settings: Settings, sync_db: Database[Any], redis_client: redis.Redis,
    videos_dir: Path,
) -> None:
    from posepipe.pose.select import build_backend

    backend = build_backend(service_settings).backend
    job_id = _job(sync_db, service_settings, videos_dir / SQUATS, "ok")
    runner = _runner(service_settings, sync_db, redis_client, backend, [])
    runner.run(job_id, 1)
    doc = sync_db.jobs.find_one({"_id": job_id})
    assert doc is not None and doc["status"] == "succeeded" and doc["overlay_state"] == "ready"
    overlay = service_settings.media_dir / doc["overlay_key"]
    assert probe_video(overlay).frames == 65

    # The worker died after "succeeded" but before the overlay: the message comes back.
    overlay.unlink()
    sync_db.jobs.update_one({"_id": job_id}, {"$set": {"overlay_state": "pending"}})
    runner.run(job_id, 2)
    doc = sync_db.jobs.find_one({"_id": job_id})
    assert doc is not None and doc["overlay_state"] == "ready" and doc["attempts"] == 1
    assert probe_video(overlay).frames == 65


def test_an_overlay_that_keeps_stopping_the_worker_is_given_up(
    service_settings: Settings, sync_db: Database[Any], redis_client: redis.Redis,
    videos_dir: Path,
) -> None:
    job_id = _job(sync_db, service_settings, videos_dir / SQUATS, "overlay-poison")
    sync_db.jobs.update_one(
        {"_id": job_id}, {"$set": {"status": "succeeded", "overlay_state": "pending"}}
    )
    runner = _runner(service_settings, sync_db, redis_client, RaisingBackend(ValueError()), [])

    class Message:
        args = (job_id,)

    runner.give_up(Message(), service_settings.pose_max_attempts + 1)
    doc = sync_db.jobs.find_one({"_id": job_id})
    assert doc is not None and doc["status"] == "succeeded"  # the poses stay
    assert doc["overlay_state"] == "failed"


class _Killed(BaseException):
    """The worker process dying mid-batch: nothing in the runner may catch it."""


class DiesAtFrame:
    """A real backend that "kills the worker" when it is handed frame `index`."""

    def __init__(self, backend: Any, index: int) -> None:
        self._backend, self._index = backend, index
        self.name, self.skeleton = backend.name, backend.skeleton
        self.version, self.device = backend.version, backend.device

    def load(self) -> None:
        self._backend.load()

    def start_video(self, info: VideoInfo) -> None:
        self._backend.start_video(info)

    def infer(self, frames: Sequence[DecodedFrame]) -> list[list[Observation]]:
        if any(f.index >= self._index for f in frames):
            raise _Killed()
        result: list[list[Observation]] = self._backend.infer(frames)
        return result

    def close(self) -> None: ...


def _progress_events(events: Any) -> list[int]:
    """The frames_done of every progress event the subscription has received."""
    done = []
    while (message := events.get_message(timeout=0.5)) is not None:
        event = parse_event(message["data"]) if message["type"] == "message" else None
        if event is not None and event["type"] == "progress":
            done.append(int(event["frames_done"]))
    return done


def _frames(db: Database[Any], job_id: str) -> list[dict[str, Any]]:
    return list(db.frames.find({"job_id": job_id}, {"_id": 0, "job_id": 0}).sort("i", 1))


@pytest.mark.parametrize("max_people", [4, 1])
def test_a_redelivered_job_resumes_after_its_last_stored_batch(
    service_settings: Settings, sync_db: Database[Any], redis_client: redis.Redis,
    videos_dir: Path, caplog: pytest.LogCaptureFixture, max_people: int,
) -> None:
    from posepipe.pose.select import build_backend

    # 4: MediaPipe Tasks (the default); 1: the legacy single-person solution.
    service_settings = service_settings.model_copy(update={"pose_max_people": max_people})
    backend = build_backend(service_settings).backend
    reference = _job(sync_db, service_settings, videos_dir / SQUATS, "whole")
    _runner(service_settings, sync_db, redis_client, backend, []).run(reference, 1)

    job_id = _job(sync_db, service_settings, videos_dir / SQUATS, "crashed")
    dying = _runner(service_settings, sync_db, redis_client, DiesAtFrame(backend, 30), [])
    with pytest.raises(_Killed):
        dying.run(job_id, 1)
    doc = sync_db.jobs.find_one({"_id": job_id})
    assert doc is not None and doc["status"] == "running"
    saved = FrameStore(sync_db).resume_point(job_id)
    assert saved is not None and saved["next_frame"] == 24  # batches of 8: 0-23 stored
    assert saved["attempt"] == 1 and saved["tracker"]["next_id"] == 2  # one person so far
    assert [f["i"] for f in _frames(sync_db, job_id)] == list(range(24))
    shown_at_crash = doc["progress"]["frames_done"]
    assert shown_at_crash <= saved["next_frame"]  # never ahead of what is stored

    events = redis_client.pubsub()
    events.subscribe(events_channel(job_id))
    with caplog.at_level("INFO"):
        _runner(service_settings, sync_db, redis_client, backend, []).run(job_id, 2)
    assert f"resumed job {job_id} at frame 24 of 65" in caplog.text
    # What the job page follows live: from where the crash left it, never backwards.
    shown = [shown_at_crash, *_progress_events(events)]
    events.close()
    assert shown == sorted(shown) and shown[-1] == 65, shown
    doc = sync_db.jobs.find_one({"_id": job_id})
    assert doc is not None and doc["status"] == "succeeded" and doc["attempts"] == 2
    assert [(a["attempt"], a["resumed_from"]) for a in doc["attempt_log"]] == [(1, 0), (2, 24)]
    assert FrameStore(sync_db).resume_point(job_id) is None  # finished: nothing to go on from

    whole, resumed = _frames(sync_db, reference), _frames(sync_db, job_id)
    assert [f["i"] for f in resumed] == list(range(65))
    assert resumed[:24] == whole[:24]  # stored by the first attempt, never recomputed
    assert [[p["track"] for p in f["people"]] for f in resumed] == [
        [p["track"] for p in f["people"]] for f in whole]
    if max_people > 1:
        # The Tasks landmarker looks for people while fewer than max_people are followed:
        # nothing it carries from frame to frame changes a frame's poses here.
        assert resumed == whole
        return
    # The legacy solution's temporal smoothing starts afresh: close, not equal (measured:
    # at most 0.4 % of the body's height, on the frame just after the resume point).
    for a, b in zip(resumed[24:], whole[24:], strict=True):
        for p, q in zip(a["people"], b["people"], strict=True):
            diff = np.abs(np.array(p["kp2d"]) - np.array(q["kp2d"])).reshape(-1, 3)[:, :2]
            height = q["bbox"][3] - q["bbox"][1]
            assert diff.mean() < 0.02 * height, (a["i"], diff.mean(), height)


def test_frames_of_another_backend_are_not_resumed(
    service_settings: Settings, sync_db: Database[Any], redis_client: redis.Redis,
    videos_dir: Path,
) -> None:
    from posepipe.pose.select import build_backend

    backend = build_backend(service_settings).backend
    job_id = _job(sync_db, service_settings, videos_dir / SQUATS, "switched")
    with pytest.raises(_Killed):
        _runner(service_settings, sync_db, redis_client, DiesAtFrame(backend, 30), []).run(
            job_id, 1)
    sync_db.resume_points.update_one({"_id": job_id}, {"$set": {"backend": "hmr2 on a GPU"}})
    _runner(service_settings, sync_db, redis_client, backend, []).run(job_id, 2)
    doc = sync_db.jobs.find_one({"_id": job_id})
    assert doc is not None and doc["status"] == "succeeded"
    assert doc["attempt_log"][-1]["resumed_from"] == 0
    assert [f["i"] for f in _frames(sync_db, job_id)] == list(range(65))


def test_a_job_given_up_after_crashes_keeps_no_resume_point(
    service_settings: Settings, sync_db: Database[Any], redis_client: redis.Redis,
    videos_dir: Path,
) -> None:
    from posepipe.pose.select import build_backend

    backend = build_backend(service_settings).backend
    job_id = _job(sync_db, service_settings, videos_dir / SQUATS, "crashes")
    runner = _runner(service_settings, sync_db, redis_client, DiesAtFrame(backend, 30), [])
    with pytest.raises(_Killed):
        runner.run(job_id, 1)
    assert FrameStore(sync_db).resume_point(job_id) is not None

    class Message:
        args = (job_id,)

    # AttemptLimit's verdict after the worker died during every delivery.
    runner.give_up(Message(), service_settings.pose_max_attempts + 1)
    doc = sync_db.jobs.find_one({"_id": job_id})
    assert doc is not None and doc["status"] == "failed"
    assert doc["error"]["message"].startswith("gave up after 4 attempts: the worker stopped")
    assert "last progress: frame 24 of 65" in doc["error"]["message"]
    assert FrameStore(sync_db).resume_point(job_id) is None
