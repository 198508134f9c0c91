"""A job's peak memory in GET /api/jobs/{id}, the jobs list and its status events."""

from __future__ import annotations

from typing import Any

import httpx
from pymongo.database import Database

from posepipe.config import Settings
from posepipe.store.job_updates import JobStore
from tests.unit.test_api_jobs import seed_job

PEAK = {
    "final": True, "peak_rss_bytes": 528_261_120, "peak_gpu_bytes": 3_100_000_000,
    "limit_bytes": 17_179_869_184, "limit_source": "cgroup",
}


def test_a_finished_job_shows_its_peak(
    api: httpx.Client, sync_db: Database[Any], service_settings: Settings
) -> None:
    service_settings.media_dir.mkdir(parents=True, exist_ok=True)
    job_id = seed_job(sync_db, service_settings.media_dir, status="running")
    sync_db.jobs.update_one({"_id": job_id}, {"$set": {"attempts": 2}})
    assert api.get(f"/api/jobs/{job_id}").json()["memory"] is None  # nothing recorded yet

    jobs = JobStore(sync_db)
    assert not jobs.set_memory(job_id, 1, PEAK)  # an older attempt cannot write it
    assert jobs.set_memory(job_id, 2, PEAK)
    sync_db.jobs.update_one({"_id": job_id}, {"$set": {"status": "succeeded"}})

    assert api.get(f"/api/jobs/{job_id}").json()["memory"] == PEAK
    listed = [j for j in api.get("/api/jobs").json()["items"] if j["id"] == job_id]
    assert listed[0]["memory"] == PEAK
    with api.stream("GET", f"/api/jobs/{job_id}/events") as events:
        body = "".join(events.iter_text())
    assert '"peak_rss_bytes":528261120' in body


def test_memory_in_the_openapi_document(api: httpx.Client) -> None:
    schemas = api.get("/api/openapi.json").json()["components"]["schemas"]
    assert set(schemas["JobMemory"]["properties"]) == set(PEAK)
    assert "memory" in schemas["JobPublic"]["properties"]
    assert "/api/system/memory" in api.get("/api/openapi.json").json()["paths"]
