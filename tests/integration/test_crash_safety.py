"""Crash safety, tested on real servers and real processes (issue 3, 5a-d).

a. kill -9 the worker mid-job, start a worker on another "host": it takes the job over
   after the (default 60 s) heartbeat timeout, resumes after the last stored batch, and is
   done within 2 minutes, one frame document per frame, attempts = 2 (a worker restarted
   in place takes its job back at once: tests/integration/test_resume.py);
b. a video that kills the worker on every try fails after POSE_MAX_ATTEMPTS, with a reason,
   and the job behind it succeeds;
c. Redis restarted (appendonly) with jobs queued: none is lost; restarted without
   persistence (every message lost): every accepted job is sent again and succeeds (issue
   11), the one a live worker was running is not sent twice;
d. MongoDB stopped for 10 s under requests: 503s with a clear error, never a 500, and the
   API recovers by itself.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from posepipe.pose.cpus import available_cpus, default_pose_processes
from tests import media_factory as make
from tests.integration.conftest import StackFactory
from tests.servers import RedisServer
from tests.stack import NativeStack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SQUATS = "single_person_squats_portrait.mp4"
JUGGLING = "single_person_soccer_ball_juggling.mp4"


def _frames_in_mongodb(stack: NativeStack, job_id: str) -> list[int]:
    with MongoClient(stack.env["MONGODB_URL"]) as client:
        frames = client.get_default_database().frames
        return sorted(doc["i"] for doc in frames.find({"job_id": job_id}, {"i": 1}))


def _ended(pid: int) -> bool:
    """No such process, or one that has exited and awaits its parent (a zombie)."""
    try:
        return "State:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True


def _wait_for(predicate: Any, timeout_s: float, poll_s: float = 0.05) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(poll_s)


def test_a_killed_worker_job_is_redelivered_and_finished(
    native_stack: NativeStack, videos_dir: Path
) -> None:
    stack = native_stack  # default settings: the 60 s heartbeat timeout of production
    job_id = stack.upload(videos_dir / JUGGLING)
    total = 247
    _wait_for(lambda: stack.job(job_id)["progress"]["frames_done"] >= total // 3, 120)
    # The worker's pose processes (POSE_CPU_WORKERS=auto), with multiprocessing's tracker.
    pose_processes = stack.workers[-1].child_pids()
    assert len(pose_processes) >= default_pose_processes(available_cpus()) or (
        available_cpus() < 2
    )
    stack.kill_worker()
    killed_at, killed_wall = time.monotonic(), datetime.now(timezone.utc)
    half_done = stack.job(job_id)
    assert half_done["status"] == "running" and half_done["progress"]["frames_done"] < total
    # Its pose processes see their parent gone and leave: nothing keeps a CPU or the video.
    _wait_for(lambda: all(_ended(pid) for pid in pose_processes), 5)
    # Another name: a worker on another host, which cannot know the killed one is dead.
    stack.start_worker(env={"POSE_WORKER_NAME": "another-host"})

    job = stack.wait_for_job(job_id, "succeeded", timeout_s=120)
    recovered_s = time.monotonic() - killed_at
    killed_frame = half_done["progress"]["frames_done"]
    second = job["attempt_log"][-1]
    taken_over_s = (datetime.fromisoformat(second["started_at"]) - killed_wall).total_seconds()
    print(f"killed at frame {killed_frame}; taken over {taken_over_s:.1f} s later at frame "
          f"{second['resumed_from']}; succeeded {recovered_s:.1f} s after the kill")
    assert recovered_s < 120
    assert taken_over_s > 55  # only the heartbeat timeout (60 s) gave it back
    assert killed_frame <= second["resumed_from"] < total
    assert job["attempts"] == 2
    assert _frames_in_mongodb(stack, job_id) == list(range(total))
    with stack.client() as client:
        poses = client.get(f"/api/jobs/{job_id}/poses").json()
        assert [f["i"] for f in poses["frames"]] == list(range(total))
        assert client.get(f"/api/jobs/{job_id}/overlay.mp4").status_code == 200


def test_a_poison_video_fails_after_max_attempts_and_the_next_job_runs(
    stack_factory: StackFactory, videos_dir: Path
) -> None:
    # A short heartbeat timeout keeps this test to a minute; the default is tested above.
    stack = stack_factory(env={"QUEUE_HEARTBEAT_TIMEOUT_S": "4", "POSE_MAX_ATTEMPTS": "3"})
    poison = stack.upload(videos_dir / JUGGLING)
    behind = stack.upload(videos_dir / SQUATS)

    # The test is the poison: it SIGKILLs whichever worker starts the poison job, and, like
    # a restart policy, starts a new worker whenever none runs.
    killed: list[int] = []
    deadline = time.monotonic() + 240
    while stack.job(poison)["status"] not in ("failed", "succeeded"):
        assert time.monotonic() < deadline, f"poison job never gave up: {stack.job(poison)}"
        if not any(w.alive for w in stack.workers):
            stack.start_worker()
        job = stack.job(poison)
        if job["status"] == "running" and job["attempts"] > len(killed):
            stack.kill_worker()
            killed.append(job["attempts"])
        time.sleep(0.05)

    job = stack.job(poison)
    assert killed == [1, 2, 3]
    assert job["status"] == "failed" and job["attempts"] == 3
    assert job["error"]["code"] == "gave_up"
    assert "gave up after 3 attempts" in job["error"]["message"]
    assert stack.wait_for_job(behind, timeout_s=120)["status"] == "succeeded"


def test_jobs_queued_across_a_redis_restart_are_not_lost(
    native_stack: NativeStack, videos_dir: Path
) -> None:
    stack = native_stack
    stack.stop_worker()  # nothing consumes: the jobs stay on the queue
    jobs = [stack.upload(videos_dir / SQUATS, f"clip{n}.mp4") for n in range(3)]
    stack.redis.restart()  # SIGTERM then start: AOF on, as in Compose
    stack.start_worker()
    jobs.append(stack.upload(videos_dir / SQUATS, "after.mp4"))  # the API reconnected
    for job_id in jobs:
        job = stack.wait_for_job(job_id, timeout_s=120)
        assert job["status"] == "succeeded" and job["attempts"] == 1


def test_jobs_whose_messages_redis_lost_are_sent_again_and_succeed(
    videos_dir: Path, tmp_path: Path
) -> None:
    # Redis without persistence: a restart loses every key, the queue's messages included.
    redis = RedisServer(tmp_path / "redis", persistent=False)
    redis.start()
    stack = NativeStack(tmp_path / "stack", redis=redis, env={
        "POSE_SWEEP_INTERVAL_S": "2", "POSE_HEARTBEAT_INTERVAL_S": "1",
    })
    try:
        stack.start()
        running = stack.upload(make.loop_video(videos_dir / JUGGLING, tmp_path / "x3.mp4", 3))
        stack.wait_for_job(running, "running", timeout_s=60)
        # Accepted (201) while the worker is busy: their messages wait in Redis.
        waiting = [stack.upload(videos_dir / SQUATS, f"clip{n}.mp4") for n in range(4)]
        assert stack.job(running)["status"] == "running"
        redis.restart()  # every message is gone, the running job's included
        jobs = [stack.wait_for_job(job_id, timeout_s=300) for job_id in [running, *waiting]]
    finally:
        stack.stop()  # the workers first: the server they talk to goes last
        redis.stop()
    assert [job["status"] for job in jobs] == ["succeeded"] * 5
    # The running job's worker lived on: it was not sent again. The others ran once each.
    assert [job["attempts"] for job in jobs] == [1] * 5
    resent = [line for worker in stack.workers for line in worker.log_lines()
              if "its queue message is gone" in str(line.get("message"))]
    assert sorted(line["job_id"] for line in resent) == sorted(waiting)


def test_mongodb_down_gives_503_never_500_and_the_api_recovers(
    native_stack: NativeStack, videos_dir: Path
) -> None:
    stack = native_stack
    job_id = stack.upload(videos_dir / SQUATS)
    stack.wait_for_job(job_id, timeout_s=90)
    answers: list[tuple[str, int, dict[str, Any]]] = []
    stop = threading.Event()

    def traffic() -> None:
        with httpx.Client(base_url=stack.api_url, timeout=30) as client:
            while not stop.is_set():
                for path in ("/api/jobs", f"/api/jobs/{job_id}", "/api/ready", "/api/health"):
                    response = client.get(path)
                    body = response.json()
                    answers.append((path, response.status_code, body))

    thread = threading.Thread(target=traffic)
    thread.start()
    time.sleep(1)
    stack.mongo.stop()
    down_at = len(answers)
    time.sleep(10)
    stack.mongo.start()
    up_at = len(answers)
    deadline = time.monotonic() + 30
    while True:
        recent = answers[up_at:]
        if any(p == "/api/jobs" and s == 200 for p, s, _ in recent[-8:]):
            break
        assert time.monotonic() < deadline, f"the API did not recover: {recent[-4:]}"
        time.sleep(0.2)
    stop.set()
    thread.join()

    errors = [(path, body) for path, status, body in answers if status == 500]
    assert not errors, f"{len(errors)} answers were 500, first: {errors[:3]}"
    outage = answers[down_at:up_at]
    failed = [(p, s, b) for p, s, b in outage if s == 503]
    assert failed, "no request saw MongoDB down"
    for path, _, body in failed:
        message = body["error"]["message"] if "error" in body else ""
        assert "MongoDB" in message or "mongodb" in message, (path, body)
    assert all(s == 200 for p, s, _ in outage if p == "/api/health")
    # And the whole system works again: a new job goes through.
    second = stack.upload(videos_dir / SQUATS)
    assert stack.wait_for_job(second, timeout_s=90)["status"] == "succeeded"
