"""The jobs endpoints: list, status, events, results (JSON, CSV), overlay, cancel/delete."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from pymongo.database import Database

from posepipe.config import Settings
from posepipe.jobs.keys import events_channel
from posepipe.jobs.progress import progress_event, status_event
from posepipe.schema import FramePoses, PersonPose, PoseDocument, SkeletonInfo, VideoMeta
from posepipe.skeletons import MEDIAPIPE33
from posepipe.store.codec import header_to_document
from posepipe.store.frames import FrameStore
from posepipe.store.media import LocalMediaStore, overlay_key
from posepipe.store.models import new_job_document, utc_now, video_document
from tests import media_factory as make


def seed_job(
    db: Database[Any],
    media_dir: Path,
    *,
    status: str = "queued",
    frames: int = 0,
    overlay: Path | None = None,
    video_id: str = "v" * 64,
    extension: str = "mp4",
) -> str:
    """A job document in a given state, with `frames` stored frames of one person."""
    media = LocalMediaStore(media_dir)
    key = f"{video_id}.{extension}"
    (media_dir / key).write_bytes(b"video bytes")
    job_id = f"job{time.monotonic_ns()}"
    video = video_document(
        video_id=video_id, media_key=key, filename="clip.mp4", size_bytes=11, width=64,
        height=48, fps=10.0, frames=frames, duration_s=frames / 10, codec="h264",
        rotation=0, container="mov,mp4",
    )
    doc = new_job_document(job_id=job_id, video=video)
    doc["status"] = status
    if status in ("succeeded", "failed", "canceled"):
        doc["finished_at"] = utc_now()
    if frames:
        skeleton = SkeletonInfo(
            name="mediapipe33", joints=list(MEDIAPIPE33.joints), edges=list(MEDIAPIPE33.edges)
        )
        meta = VideoMeta(width=64, height=48, fps=10.0, frames=frames, duration_s=frames / 10)
        header = header_to_document(
            backend="mediapipe", backend_version="test", skeleton=skeleton, video=meta
        )
        db.results.insert_one({"_id": job_id, **header})
        doc["backend"] = "mediapipe"
        doc["progress"] = {"frames_done": frames, "frames_total": frames}
    if overlay is not None:
        doc["overlay_key"] = overlay_key(job_id)
        doc["overlay_state"] = "ready"
        media.commit(overlay, doc["overlay_key"])
    db.jobs.insert_one(doc)
    FrameStore(db).write(job_id, [_frame(i) for i in range(frames)])
    return job_id


def _frame(i: int) -> FramePoses:
    person = PersonPose(
        track=1, bbox=(1.0, 2.0, 30.0, 40.0), score=0.9,
        kp2d=[(float(j), float(i), 0.5) for j in range(33)],
        kp3d=[(0.1 * j, -0.1, 0.01 * i) for j in range(33)],
    )
    return FramePoses(i=i, t=i / 10, people=[person] if i % 4 else [])


def test_unknown_job_is_404_with_the_error_body(api: httpx.Client) -> None:
    for path in ("", "/events", "/poses", "/overlay.mp4"):
        response = api.get(f"/api/jobs/nope{path}")
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "job_not_found"
    response = api.delete("/api/jobs/nope")
    assert response.status_code == 404
    assert set(response.json()["error"]) == {"code", "message"}


def test_list_is_newest_first_with_limit_and_offset(
    api: httpx.Client, sync_db: Database[Any], service_settings: Settings
) -> None:
    ids = [seed_job(sync_db, service_settings.media_dir) for _ in range(5)]
    for n, job_id in enumerate(ids):  # distinct creation times, oldest first
        sync_db.jobs.update_one({"_id": job_id}, {"$set": {"created_at": utc_now().replace(
            year=2020 + n)}})
    body = api.get("/api/jobs", params={"limit": 2, "offset": 1}).json()
    assert body["total"] == 5
    assert [j["id"] for j in body["items"]] == [ids[3], ids[2]]
    assert api.get("/api/jobs", params={"limit": 0}).status_code == 422


def test_job_document_has_exactly_the_contract_fields(
    api: httpx.Client, sync_db: Database[Any], service_settings: Settings
) -> None:
    job_id = seed_job(sync_db, service_settings.media_dir, status="succeeded", frames=3)
    job = api.get(f"/api/jobs/{job_id}").json()
    assert set(job) == {
        "id", "status", "progress", "error", "backend", "attempts", "video",
        "created_at", "started_at", "finished_at", "memory",
        "attempt_log",  # added for issue 11: where each attempt started (resume)
    }
    assert job["progress"] == {"frames_done": 3, "frames_total": 3}
    assert job["backend"] == "mediapipe" and job["error"] is None


def test_poses_json_is_the_result_document(
    api: httpx.Client, sync_db: Database[Any], service_settings: Settings
) -> None:
    job_id = seed_job(sync_db, service_settings.media_dir, status="succeeded", frames=12)
    response = api.get(f"/api/jobs/{job_id}/poses")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = PoseDocument.model_validate(response.json())
    assert [f.i for f in document.frames] == list(range(12))
    assert document.frames[1].people[0].kp2d[2] == (2.0, 1.0, 0.5)
    assert document.frames[0].people == []
    assert document.skeleton.edges == [tuple(e) for e in MEDIAPIPE33.edges]


def test_poses_csv_has_one_row_per_frame_track_joint(
    api: httpx.Client, sync_db: Database[Any], service_settings: Settings
) -> None:
    job_id = seed_job(sync_db, service_settings.media_dir, status="succeeded", frames=12)
    response = api.get(f"/api/jobs/{job_id}/poses", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    people_frames = [i for i in range(12) if i % 4]
    assert len(rows) == len(people_frames) * 33
    assert {int(r["frame"]) for r in rows} == set(people_frames)
    first = rows[0]
    assert first["joint_name"] == "nose" and first["track"] == "1"
    assert float(first["x3d"]) == 0.0 and float(first["z3d"]) == pytest.approx(0.01)
    assert api.get(f"/api/jobs/{job_id}/poses", params={"format": "xml"}).status_code == 422


def test_results_are_409_until_the_job_succeeds(
    api: httpx.Client, sync_db: Database[Any], service_settings: Settings
) -> None:
    for status in ("queued", "running", "failed", "canceled"):
        job_id = seed_job(sync_db, service_settings.media_dir, status=status)
        for path in ("/poses", "/poses?format=csv", "/overlay.mp4"):
            response = api.get(f"/api/jobs/{job_id}{path}")
            assert response.status_code == 409, (status, path)
            assert response.json()["error"]["code"] == "job_not_ready"


def test_overlay_serves_ranges(
    api: httpx.Client, sync_db: Database[Any], service_settings: Settings, tmp_path: Path
) -> None:
    video = make.write_video(tmp_path / "overlay.mp4", frames=20)
    job_id = seed_job(
        sync_db, service_settings.media_dir, status="succeeded", frames=2, overlay=video
    )
    whole = api.get(f"/api/jobs/{job_id}/overlay.mp4")
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    size = len(whole.content)
    part = api.get(f"/api/jobs/{job_id}/overlay.mp4", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.content == whole.content[100:200]
    tail = api.get(f"/api/jobs/{job_id}/overlay.mp4", headers={"Range": f"bytes={size}-"})
    assert tail.status_code == 416


def test_overlay_waits_while_it_is_rendered(
    api: httpx.Client, sync_db: Database[Any], service_settings: Settings, tmp_path: Path
) -> None:
    job_id = seed_job(sync_db, service_settings.media_dir, status="succeeded", frames=2)
    sync_db.jobs.update_one({"_id": job_id}, {"$set": {"overlay_state": "pending"}})
    video = make.write_video(tmp_path / "overlay.mp4", frames=5)

    def finish_rendering() -> None:
        time.sleep(0.6)
        key = overlay_key(job_id)
        LocalMediaStore(service_settings.media_dir).commit(video, key)
        sync_db.jobs.update_one(
            {"_id": job_id}, {"$set": {"overlay_state": "ready", "overlay_key": key}}
        )

    threading.Thread(target=finish_rendering).start()
    started = time.monotonic()
    response = api.get(f"/api/jobs/{job_id}/overlay.mp4")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.5

    sync_db.jobs.update_one({"_id": job_id}, {"$set": {"overlay_state": "failed"}})
    response = api.get(f"/api/jobs/{job_id}/overlay.mp4")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "overlay_not_found"


def test_delete_cancels_an_active_job_then_removes_it_with_its_files(
    api: httpx.Client,
    sync_db: Database[Any],
    service_settings: Settings,
    redis_client: redis.Redis,
) -> None:
    job_id = seed_job(sync_db, service_settings.media_dir, status="running", frames=4)
    pubsub = redis_client.pubsub()
    pubsub.subscribe(events_channel(job_id))
    response = api.delete(f"/api/jobs/{job_id}")
    assert response.status_code == 200
    assert response.json()["status"] == "canceled"
    assert response.json()["error"]["code"] == "job_canceled"
    messages = [pubsub.get_message(timeout=1.0) for _ in range(2)]
    assert any(m and m["type"] == "message" and b"canceled" in m["data"] for m in messages)
    pubsub.close()

    files_before = sorted(service_settings.media_dir.glob("*.mp4"))
    assert files_before
    response = api.delete(f"/api/jobs/{job_id}")
    assert response.status_code == 204
    assert api.get(f"/api/jobs/{job_id}").status_code == 404
    assert sync_db.frames.count_documents({"job_id": job_id}) == 0
    assert not list(service_settings.media_dir.glob("*.mp4"))


def test_deleting_a_job_keeps_a_video_another_job_uses(
    api: httpx.Client, sync_db: Database[Any], service_settings: Settings, tmp_path: Path
) -> None:
    video = make.write_video(tmp_path / "o.mp4")
    first = seed_job(sync_db, service_settings.media_dir, status="succeeded", frames=2,
                     overlay=video)
    second = seed_job(sync_db, service_settings.media_dir, status="failed")
    assert api.delete(f"/api/jobs/{first}").status_code == 204
    assert (service_settings.media_dir / ("v" * 64 + ".mp4")).exists()
    assert not (service_settings.media_dir / overlay_key(first)).exists()
    assert api.delete(f"/api/jobs/{second}").status_code == 204
    assert not (service_settings.media_dir / ("v" * 64 + ".mp4")).exists()


def test_the_same_bytes_under_two_names_are_two_files_each_deleted_with_its_job(
    api: httpx.Client, sync_db: Database[Any], service_settings: Settings
) -> None:
    as_mp4 = seed_job(sync_db, service_settings.media_dir, status="succeeded", video_id="w" * 64)
    as_mov = seed_job(
        sync_db, service_settings.media_dir, status="failed", video_id="w" * 64, extension="mov"
    )
    assert api.delete(f"/api/jobs/{as_mp4}").status_code == 204
    assert not (service_settings.media_dir / ("w" * 64 + ".mp4")).exists()
    assert (service_settings.media_dir / ("w" * 64 + ".mov")).exists()
    assert api.delete(f"/api/jobs/{as_mov}").status_code == 204
    assert not (service_settings.media_dir / ("w" * 64 + ".mov")).exists()


def _events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    events, name = [], ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[len("data: "):])))
    return events


def test_events_of_a_finished_job_end_at_once(
    api: httpx.Client, sync_db: Database[Any], service_settings: Settings
) -> None:
    job_id = seed_job(sync_db, service_settings.media_dir, status="succeeded", frames=3)
    with api.stream("GET", f"/api/jobs/{job_id}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(response)
    assert [name for name, _ in events] == ["progress", "status"]
    assert events[0][1] == {"frames_done": 3, "frames_total": 3}
    assert events[1][1]["status"] == "succeeded" and events[1][1]["id"] == job_id


def test_events_follow_progress_until_the_job_ends(
    api: httpx.Client,
    sync_db: Database[Any],
    service_settings: Settings,
    redis_client: redis.Redis,
) -> None:
    job_id = seed_job(sync_db, service_settings.media_dir, status="running")
    channel = events_channel(job_id)

    def worker() -> None:
        time.sleep(0.5)
        for done in (10, 20):
            redis_client.publish(channel, progress_event(job_id, done, 30))
            time.sleep(0.1)
        sync_db.jobs.update_one(
            {"_id": job_id},
            {"$set": {"status": "succeeded", "progress": {"frames_done": 30, "frames_total": 30}}},
        )
        redis_client.publish(channel, status_event(job_id, "succeeded"))

    threading.Thread(target=worker).start()
    with api.stream("GET", f"/api/jobs/{job_id}/events", timeout=20) as response:
        events = _events(response)
    names = [name for name, _ in events]
    assert names[:2] == ["progress", "status"]  # the state on connection
    assert events[1][1]["status"] == "running"
    progress = [data["frames_done"] for name, data in events if name == "progress"]
    assert progress == [0, 10, 20, 30]
    assert events[-1][0] == "status" and events[-1][1]["status"] == "succeeded"


def test_a_client_that_leaves_the_event_stream_leaves_no_subscription(
    api: httpx.Client,
    api_server: Any,
    sync_db: Database[Any],
    service_settings: Settings,
    redis_client: redis.Redis,
) -> None:
    job_id = seed_job(sync_db, service_settings.media_dir, status="running")
    channel = events_channel(job_id)
    pool = api_server.server.config.app.state.redis.connection_pool
    in_use_before = len(pool._in_use_connections)
    with api.stream("GET", f"/api/jobs/{job_id}/events", timeout=20) as response:
        lines = response.iter_lines()
        while not next(lines).startswith("event: status"):
            pass
        assert redis_client.pubsub_numsub(channel) == [(channel.encode(), 1)]
    # The browser tab closed: the API must unsubscribe and close its connection.
    deadline = time.monotonic() + 10
    while redis_client.pubsub_numsub(channel)[0][1] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert redis_client.pubsub_numsub(channel) == [(channel.encode(), 0)]
    # ...and hand its connection back to the pool (a cancelled clean-up leaked it there).
    while len(pool._in_use_connections) > in_use_before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(pool._in_use_connections) == in_use_before
