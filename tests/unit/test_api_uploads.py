"""POST /api/videos: streamed to disk, limited, sanitised, probed before a job exists."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import redis
from pymongo.database import Database

from posepipe.config import Settings
from posepipe.jobs.keys import QUEUE_KEY
from tests import media_factory as make

SQUATS = "single_person_squats_portrait.mp4"


def _files_in(media: Path) -> list[str]:
    """Every file kept in the media folder (the staging folder included)."""
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def _upload(api: httpx.Client, path: Path, name: str | None = None) -> Any:
    with path.open("rb") as f:
        return api.post("/api/videos", files={"file": (name or path.name, f, "video/mp4")})


def test_upload_queues_a_job_and_keeps_the_file_under_its_hash(
    api: httpx.Client,
    videos_dir: Path,
    service_settings: Settings,
    sync_db: Database[Any],
    redis_client: redis.Redis,
) -> None:
    source = videos_dir / SQUATS
    response = _upload(api, source)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"job_id", "video_id", "status"}
    assert body["status"] == "queued"
    assert body["video_id"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert response.headers["location"] == f"/api/jobs/{body['job_id']}"

    stored = service_settings.media_dir / f"{body['video_id']}.mp4"
    assert stored.read_bytes() == source.read_bytes()
    assert _files_in(service_settings.media_dir) == [stored.name]
    doc = sync_db.jobs.find_one({"_id": body["job_id"]})
    assert doc is not None and doc["status"] == "queued"
    assert doc["video"]["frames"] == 65 and doc["video"]["width"] == 720
    assert redis_client.llen(QUEUE_KEY) == 1

    job = api.get(f"/api/jobs/{body['job_id']}").json()
    assert job["status"] == "queued" and job["attempts"] == 0
    assert job["progress"] == {"frames_done": 0, "frames_total": 65}
    assert job["video"]["filename"] == SQUATS


def test_same_file_twice_is_kept_once(
    api: httpx.Client, videos_dir: Path, service_settings: Settings
) -> None:
    first = _upload(api, videos_dir / SQUATS).json()
    second = _upload(api, videos_dir / SQUATS, "again.mp4").json()
    assert first["video_id"] == second["video_id"]
    assert first["job_id"] != second["job_id"]
    assert len(_files_in(service_settings.media_dir)) == 1


def test_a_path_in_the_file_name_never_leaves_the_media_folder(
    api: httpx.Client, videos_dir: Path, service_settings: Settings, tmp_path: Path
) -> None:
    for name in ("../../escape.mp4", "..\\..\\escape.mp4", "/etc/escape.mp4"):
        response = _upload(api, videos_dir / SQUATS, name)
        assert response.status_code == 201, response.text
        job = api.get(f"/api/jobs/{response.json()['job_id']}").json()
        assert job["video"]["filename"] == "escape.mp4"
    assert not list(tmp_path.parent.rglob("escape.mp4"))
    assert all(not p.startswith("..") for p in _files_in(service_settings.media_dir))


def test_not_a_video_is_415_and_leaves_nothing(
    api: httpx.Client, tmp_path: Path, service_settings: Settings, sync_db: Database[Any]
) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all\n" * 100)
    for path in (text, make.write_png(tmp_path / "still.mp4")):
        response = _upload(api, path)
        assert response.status_code == 415, response.text
        assert response.json()["error"]["code"] == "not_a_video"
    assert _files_in(service_settings.media_dir) == []
    assert sync_db.jobs.count_documents({}) == 0


def test_refusals_name_the_uploaded_file_not_the_server_path(
    api: httpx.Client, tmp_path: Path, videos_dir: Path, service_settings: Settings
) -> None:
    text = tmp_path / "notes.txt"
    # Short: FFmpeg's tty demuxer plays a longer .txt file as ANSI art, frames and all.
    text.write_text("shopping list\n")
    response = _upload(api, text, "../private/notes.txt")
    assert response.status_code == 415, response.text
    message = response.json()["error"]["message"]
    assert message == "notes.txt: not a video file (no known container format)"

    full = make.write_moov_at_end(videos_dir / SQUATS, tmp_path / "full.mp4")
    response = _upload(api, make.cut_short(full, tmp_path / "cut.mp4"), "holiday clip.mp4")
    assert response.status_code == 422, response.text
    message = response.json()["error"]["message"]
    assert message.startswith("holiday clip.mp4: "), message
    for server_detail in (str(service_settings.media_dir), ".staging", str(tmp_path)):
        assert server_detail not in message


def test_undecodable_video_is_422_and_leaves_nothing(
    api: httpx.Client, videos_dir: Path, tmp_path: Path, service_settings: Settings
) -> None:
    full = make.write_moov_at_end(videos_dir / SQUATS, tmp_path / "full.mp4")
    broken = make.cut_short(full, tmp_path / "cut.mp4")
    response = _upload(api, broken)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "undecodable_video"
    assert _files_in(service_settings.media_dir) == []


def test_no_file_is_400(api: httpx.Client) -> None:
    for response in (
        api.post("/api/videos", data={"other": "field"}, files={"x": ("a.txt", b"abc")}),
        api.post("/api/videos", content=b"raw bytes", headers={"content-type": "video/mp4"}),
        api.post("/api/videos"),
    ):
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "no_file"


def test_over_the_limit_is_413_and_leaves_nothing(
    api: httpx.Client, tmp_path: Path, service_settings: Settings, sync_db: Database[Any]
) -> None:
    big = make.write_random_bytes(tmp_path / "big.mp4", size=3 * 1024 * 1024)
    response = _upload(api, big)  # Content-Length says it: refused before reading
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "upload_too_large"
    assert "MAX_UPLOAD_MB" in response.json()["error"]["message"]

    def chunks() -> Any:  # no Content-Length: refused while streaming
        boundary = b"xyz"
        yield b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.mp4\"\r\n\r\n"
        for _ in range(48):
            yield b"\0" * 65536
        yield b"\r\n--" + boundary + b"--\r\n"

    headers = {"content-type": "multipart/form-data; boundary=xyz"}
    response = api.post("/api/videos", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert _files_in(service_settings.media_dir) == []
    assert sync_db.jobs.count_documents({}) == 0


def test_malformed_multipart_is_400(api: httpx.Client, service_settings: Settings) -> None:
    response = api.post(
        "/api/videos",
        content=b"--abc\r\nthis is not a header block",
        headers={"content-type": "multipart/form-data; boundary=abc"},
    )
    assert response.status_code == 400, response.text
    assert _files_in(service_settings.media_dir) == []
