"""The services end to end through HTTP: upload, live events, results, overlay, cancel, logs."""

from __future__ import annotations

import csv
import io
import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from posepipe.schema import PoseDocument
from posepipe.video.probe import probe_video
from tests.integration.conftest import StackFactory
from tests.stack import NativeStack

pytestmark = pytest.mark.integration

SQUATS = "single_person_squats_portrait.mp4"
JUGGLING = "single_person_soccer_ball_juggling.mp4"


def _events(client: httpx.Client, job_id: str) -> list[tuple[str, dict[str, Any]]]:
    events, name = [], ""
    with client.stream("GET", f"/api/jobs/{job_id}/events", timeout=120) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
    return events


def test_upload_to_results(native_stack: NativeStack, videos_dir: Path, tmp_path: Path) -> None:
    stack = native_stack
    job_id = stack.upload(videos_dir / SQUATS)
    with stack.client() as client:
        events = _events(client, job_id)
        statuses = [data["status"] for name, data in events if name == "status"]
        assert statuses[-1] == "succeeded"
        # Each status at most once and in the life-cycle's order (the stream may join late).
        order = ["queued", "running", "succeeded"]
        deduped = [s for n, s in enumerate(statuses) if n == 0 or s != statuses[n - 1]]
        assert deduped == [s for s in order if s in deduped], statuses
        done = [data["frames_done"] for name, data in events if name == "progress"]
        assert done == sorted(done) and done[-1] == 65

        job = client.get(f"/api/jobs/{job_id}").json()
        assert job["status"] == "succeeded" and job["attempts"] == 1
        assert job["backend"] == "mediapipe"
        assert job["started_at"] and job["finished_at"] >= job["started_at"]

        document = PoseDocument.model_validate(client.get(f"/api/jobs/{job_id}/poses").json())
        assert [f.i for f in document.frames] == list(range(65))
        assert sum(1 for f in document.frames if f.people) >= 60

        rows = list(csv.DictReader(io.StringIO(
            client.get(f"/api/jobs/{job_id}/poses", params={"format": "csv"}).text
        )))
        assert len(rows) == 33 * sum(len(f.people) for f in document.frames)

        overlay = client.get(f"/api/jobs/{job_id}/overlay.mp4")
        assert overlay.status_code == 200
        (tmp_path / "overlay.mp4").write_bytes(overlay.content)
        info = probe_video(tmp_path / "overlay.mp4")
        assert (info.frames, info.width, info.height, info.codec) == (65, 720, 1280, "h264")
        part = client.get(f"/api/jobs/{job_id}/overlay.mp4", headers={"Range": "bytes=0-1023"})
        assert part.status_code == 206 and len(part.content) == 1024

        ready = client.get("/api/ready")
        assert ready.status_code == 200, ready.text
        metrics = client.get("/metrics").text
        assert "posepipe_frames_processed_total 65.0" in metrics
        assert 'posepipe_jobs{status="succeeded"} 1.0' in metrics
        assert "posepipe_worker_frames_total 65.0" in httpx.get(
            stack.worker_health_url.replace("/health", "/metrics")
        ).text

        assert client.delete(f"/api/jobs/{job_id}").status_code == 204
        assert client.get(f"/api/jobs/{job_id}").status_code == 404
    assert [p for p in stack.media_dir.rglob("*") if p.is_file()] == []

    # Every line is JSON with service and level; request lines carry request_id, job lines
    # job_id (process start/stop lines carry neither).
    assert stack.api is not None
    api_lines = stack.api.log_lines()
    assert all(line["service"] == "backend-api" and line["level"] for line in api_lines)
    access = [line for line in api_lines if line["logger"] == "posepipe.api.access"]
    assert access and all("request_id" in line for line in access)
    worker_lines = stack.workers[0].log_lines()
    job_lines = [line for line in worker_lines if line["logger"].startswith("posepipe.worker.run")]
    assert job_lines and all(line.get("job_id") == job_id for line in job_lines)


def test_cancel_a_running_job(native_stack: NativeStack, videos_dir: Path) -> None:
    stack = native_stack
    job_id = stack.upload(videos_dir / JUGGLING)
    deadline = time.monotonic() + 60
    while stack.job(job_id)["progress"]["frames_done"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with stack.client() as client:
        response = client.delete(f"/api/jobs/{job_id}")
        assert response.status_code == 200
        assert response.json()["status"] == "canceled"
    worker = stack.workers[0]
    deadline = time.monotonic() + 30
    while not any("job canceled" in line["message"] for line in worker.log_lines()):
        assert time.monotonic() < deadline, "the worker never stopped the job"
        time.sleep(0.1)
    assert stack.job(job_id)["status"] == "canceled"
    # The worker is free again and the next job runs.
    second = stack.upload(videos_dir / SQUATS)
    assert stack.wait_for_job(second, timeout_s=90)["status"] == "succeeded"


def test_upload_over_the_limit_is_refused_before_the_body_is_read(
    stack_factory: StackFactory,
) -> None:
    # API_LOG_LEVEL over LOG_LEVEL: checked on the way (the API logs nothing below WARNING).
    stack = stack_factory(
        env={"MAX_UPLOAD_MB": "1", "LOG_LEVEL": "DEBUG", "API_LOG_LEVEL": "WARNING"}, workers=0
    )
    assert stack.api is not None
    port = stack.api.port
    total = 64 * 1024 * 1024  # 64 MB announced and offered; the limit is 1 MB

    # Announced by Content-Length: 413 before a byte of the body is sent.
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /api/videos HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n"
            + f"Content-Length: {total}\r\n\r\n".encode()
        )
        assert b" 413 " in sock.recv(4096).split(b"\r\n")[0]

    # Chunked (size unknown): 413 once 1 MB has streamed in, long before the 64 MB.
    head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'
    sent = 0
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /api/videos HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n\r\n"
        )
        sock.sendall(b"%x\r\n%s\r\n" % (len(head), head))
        sock.settimeout(0.05)
        chunk = b"\0" * 65536
        answer = b""
        while sent < total:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                answer = sock.recv(4096)
                if answer:
                    break
            except TimeoutError:
                continue
            except OSError:  # the server closed the connection after answering
                break
        if not answer:
            sock.settimeout(5)
            answer = sock.recv(4096)
    assert b" 413 " in answer.split(b"\r\n")[0]
    assert sent < 8 * 1024 * 1024
    assert [p for p in stack.media_dir.rglob("*") if p.is_file()] == []
    assert stack.api is not None
    assert {line["level"] for line in stack.api.log_lines()} <= {"WARNING", "ERROR"}
