"""The main job through the containers: upload at the published API port, `succeeded`,
poses (JSON and CSV) and the overlay downloaded, the job drawn in the UI in Chromium."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.compose.harness import ComposeStack
from tests.e2e.conftest import artifact
from tests.e2e.ui import TRACK_1, canvas_patches, has_colour, viewer_geometry

pytestmark = pytest.mark.compose


def test_the_clip_ends_succeeded_with_every_frame(main_job: dict[str, Any]) -> None:
    assert main_job["status"] == "succeeded"
    assert main_job["backend"] == "mediapipe"
    assert main_job["progress"] == {"frames_done": 65, "frames_total": 65}
    assert main_job["attempts"] == 1


def test_poses_download_as_json_and_csv(stack: ComposeStack, main_job: dict[str, Any]) -> None:
    with stack.client() as client:
        doc = client.get(f"/api/jobs/{main_job['id']}/poses").json()
        table = client.get(f"/api/jobs/{main_job['id']}/poses", params={"format": "csv"})
    assert doc["schema"] == "posepipe.poses/1"
    assert [frame["i"] for frame in doc["frames"]] == list(range(65))
    assert sum(1 for frame in doc["frames"] if frame["people"]) >= 62
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    people = sum(len(frame["people"]) for frame in doc["frames"])
    assert len(rows) == people * 33  # one row per (frame, track, joint)


def test_the_overlay_answers_a_range_request(stack: ComposeStack, main_job: dict[str, Any]) -> None:
    with stack.client() as client:
        response = client.get(
            f"/api/jobs/{main_job['id']}/overlay.mp4", headers={"Range": "bytes=0-1023"}, timeout=90
        )
    assert response.status_code == 206, response.text
    assert len(response.content) == 1024 and response.content[4:8] == b"ftyp"
    assert response.headers["content-range"].startswith("bytes 0-1023/")


def test_the_ui_draws_the_job_on_the_video(
    page: Page, stack: ComposeStack, main_job: dict[str, Any]
) -> None:
    page.goto(f"{stack.frontend_url}/jobs/{main_job['id']}")
    page.wait_for_function("document.querySelector('[data-testid=pose-video]')?.readyState >= 2")
    expect(page.get_by_test_id("track-list")).to_contain_text("Person #1")
    page.wait_for_function(
        "document.querySelector('[data-testid=pose-canvas]').dataset.frame === '0'"
    )
    page.screenshot(path=str(artifact("compose-job.png")))
    with stack.client() as client:
        doc = client.get(f"/api/jobs/{main_job['id']}/poses").json()
    geometry = viewer_geometry(page)
    person = doc["frames"][0]["people"][0]
    width, height = doc["video"]["width"], doc["video"]["height"]
    joints = [geometry.to_canvas(x, y, width, height) for x, y, v in person["kp2d"] if v >= 0.6]
    coloured = [has_colour(p, TRACK_1) for p in canvas_patches(page, joints, radius=2)]
    assert len(joints) >= 10 and sum(coloured) >= 0.9 * len(joints), (
        f"{sum(coloured)}/{len(joints)} joints drawn in the track's colour"
    )
