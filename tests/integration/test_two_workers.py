"""Several workers on one queue (one per GPU, on any host): each job is done exactly once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from pymongo import MongoClient

from tests.integration.conftest import StackFactory

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SQUATS = "single_person_squats_portrait.mp4"


def test_two_workers_share_one_queue_and_do_each_job_once(
    stack_factory: StackFactory, videos_dir: Path
) -> None:
    stack = stack_factory(workers=2)
    jobs = [stack.upload(videos_dir / SQUATS, f"clip{n}.mp4") for n in range(4)]
    for job_id in jobs:
        job = stack.wait_for_job(job_id, timeout_s=180)
        assert job["status"] == "succeeded" and job["attempts"] == 1

    starts: Counter[tuple[str, str]] = Counter()
    for worker in stack.workers:
        for line in worker.log_lines():
            if line["message"].startswith("job started"):
                starts[(line["job_id"], worker.name)] += 1
    assert sorted(job for job, _ in starts) == sorted(jobs)  # each job started once, in all
    assert set(starts.values()) == {1}
    assert {name for _, name in starts} == {"worker-1", "worker-2"}  # both took work

    with MongoClient(stack.env["MONGODB_URL"]) as client:
        db = client.get_default_database()
        for job_id in jobs:
            assert db.frames.count_documents({"job_id": job_id}) == 65
            assert len(db.frames.distinct("i", {"job_id": job_id})) == 65
