"""The worker's memory: the near-limit warning, the heartbeat's reading, each job's peak on
its document (real MongoDB, Redis and videos, the pipeline in-process)."""

from __future__ import annotations

import logging
import mmap
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import redis
from pymongo.database import Database

from posepipe.config import Settings
from posepipe.logs import bound_fields
from posepipe.memory import MemoryLimit, PeakMemory, rss_bytes
from posepipe.pose.backend import Observation
from posepipe.skeletons import MEDIAPIPE33
from posepipe.video.decode import DecodedFrame
from posepipe.video.probe import VideoInfo
from posepipe.worker.memory_guard import MemoryGuard
from posepipe.worker.state import WorkerState
from tests.unit.test_worker_runner import SQUATS, RaisingBackend, _job, _runner

MB = 1_000_000
GUARD_LOG = "posepipe.worker.memory_guard"


def _guard(state: WorkerState, rss: list[int], limit: int, **kwargs: Any) -> MemoryGuard:
    """A guard that reads `rss[-1]` as this process's memory under a `limit` cgroup."""
    return MemoryGuard(
        state, 90, read_rss=lambda: rss[-1],
        read_limit=lambda: MemoryLimit(limit, "cgroup"), **kwargs,
    )


def _record_bound_fields(caplog: pytest.LogCaptureFixture) -> list[dict[str, str]]:
    """The fields `bind` had set when each record was logged (what the JSON lines carry)."""
    seen: list[dict[str, str]] = []

    def keep(record: logging.LogRecord) -> bool:
        seen.append(bound_fields())
        return True

    caplog.handler.addFilter(keep)
    return seen


def test_near_the_limit_the_worker_warns_with_the_job_id(caplog: pytest.LogCaptureFixture) -> None:
    state = WorkerState()
    rss = [800 * MB]
    guard = _guard(state, rss, 1000 * MB)
    state.begin_job("job-7")
    bound = _record_bound_fields(caplog)
    with caplog.at_level(logging.INFO, logger=GUARD_LOG):
        guard.check()  # 80 %: quiet
        assert not caplog.records
        rss.append(950 * MB)
        guard.check()
        guard.check()  # still high a second later: said once a minute, not every second
    assert len(caplog.records) == 1
    record = caplog.records[0]
    assert record.levelno == logging.WARNING
    assert bound == [{"job_id": "job-7"}]  # every JSON line of it carries the job id
    message = record.getMessage()
    assert "95% of its container's limit" in message and "job job-7" in message
    assert "OOM killer" in message


def test_the_warning_comes_back_after_its_interval(caplog: pytest.LogCaptureFixture) -> None:
    state = WorkerState()
    guard = _guard(state, [990 * MB], 1000 * MB, warn_every_s=0.0)
    bound = _record_bound_fields(caplog)
    with caplog.at_level(logging.WARNING, logger=GUARD_LOG):
        guard.check()
        guard.check()
    assert len(caplog.records) == 2
    assert bound == [{}, {}]  # idle: no job to name
    assert "of its container's limit" in caplog.records[0].getMessage()


def test_the_guard_thread_samples_the_job_peak() -> None:
    state = WorkerState()
    rss = [300 * MB]
    sampled = threading.Event()

    def read_rss() -> int:
        if rss[-1] >= 700 * MB:
            sampled.set()
        return rss[-1]

    # No kernel peak to reset: what the thread samples is all there is.
    peak = PeakMemory(read_rss=read_rss, read_peak=lambda: None, reset_peak=lambda: False)
    guard = MemoryGuard(state, 90, read_rss=read_rss, read_limit=lambda: MemoryLimit(None, None),
                        peak=peak, check_s=0.01)
    state.begin_job("job-1")
    guard.begin_job()
    guard.start()
    try:
        rss.append(700 * MB)  # a spike between two of the job's own readings ...
        assert sampled.wait(5)
        time.sleep(0.05)
        rss.append(400 * MB)  # ... stays its peak after it passed
        memory = guard.job_memory(final=True)
    finally:
        guard.stop()
    assert memory["peak_rss_bytes"] == 700 * MB
    assert memory["final"] is True and memory["limit_bytes"] is None


def test_the_heartbeat_reading_is_this_process() -> None:
    reading = MemoryGuard(WorkerState(), 90).reading()
    assert reading["rss_bytes"] == pytest.approx(rss_bytes(), rel=0.05)
    assert reading["limit_source"] in ("cgroup", "machine") and reading["limit_bytes"] > 0
    assert set(WorkerState().heartbeat_record(gpu=None, memory=reading)["memory"]) == {
        "rss_bytes", "limit_bytes", "limit_source",
    }


class AllocatingBackend:
    """Finds nobody, but holds `size` bytes while it looks: a job with a known appetite."""

    name = "mediapipe"
    skeleton = MEDIAPIPE33
    version = "allocating"
    device = "cpu"

    def __init__(self, size: int) -> None:
        self.size = size

    def load(self) -> None: ...

    def start_video(self, info: VideoInfo) -> None: ...

    def infer(self, frames: Sequence[DecodedFrame]) -> list[list[Observation]]:
        # A mapping of its own: malloc may serve a bytearray from a free chunk that earlier
        # tests in this process left resident, and then the peak does not move (seen once).
        block = mmap.mmap(-1, self.size)
        for i in range(0, self.size, mmap.PAGESIZE):
            block[i] = 1
        block.close()
        return [[] for _ in frames]

    def close(self) -> None: ...


def test_a_job_keeps_its_own_peak(
    service_settings: Settings, sync_db: Database[Any], redis_client: redis.Redis,
    videos_dir: Path,
) -> None:
    hungry = _job(sync_db, service_settings, videos_dir / SQUATS, "hungry")
    before = rss_bytes() or 0
    _runner(service_settings, sync_db, redis_client, AllocatingBackend(400 * MB), []).run(
        hungry, 1
    )
    doc = sync_db.jobs.find_one({"_id": hungry})
    assert doc is not None and doc["status"] == "succeeded"
    memory = doc["memory"]
    assert memory["final"] is True  # raised again after the overlay
    assert memory["peak_rss_bytes"] - before > 380 * MB
    assert memory["peak_gpu_bytes"] is None  # no GPU here
    assert memory["limit_source"] in ("cgroup", "machine") and memory["limit_bytes"] > 0

    # The next job's peak is its own, not the largest since the worker started.
    light = _job(sync_db, service_settings, videos_dir / SQUATS, "light")
    _runner(service_settings, sync_db, redis_client, AllocatingBackend(4 * MB), []).run(light, 1)
    light_doc = sync_db.jobs.find_one({"_id": light})
    assert light_doc is not None
    assert light_doc["memory"]["peak_rss_bytes"] < memory["peak_rss_bytes"] - 200 * MB


def test_a_failed_attempt_records_its_peak(
    service_settings: Settings, sync_db: Database[Any], redis_client: redis.Redis,
    videos_dir: Path,
) -> None:
    job_id = _job(sync_db, service_settings, videos_dir / SQUATS, "flaky-memory")
    runner = _runner(service_settings, sync_db, redis_client, RaisingBackend(ValueError("x")), [])
    with pytest.raises(ValueError):
        runner.run(job_id, 1)
    doc = sync_db.jobs.find_one({"_id": job_id})
    assert doc is not None and doc["status"] == "queued"
    assert doc["memory"]["final"] is False and doc["memory"]["peak_rss_bytes"] > 0
    runner.run(job_id, service_settings.pose_max_attempts)
    doc = sync_db.jobs.find_one({"_id": job_id})
    assert doc is not None and doc["status"] == "failed" and doc["memory"]["final"] is True
