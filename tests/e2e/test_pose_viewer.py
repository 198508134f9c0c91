"""Upload a clip in the browser, watch its job succeed live, and check the pose viewer
draws each person where they are in the picture, in step with the video."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import VIDEOS
from tests.e2e.conftest import artifact
from tests.e2e.ui import (
    TRACK_1,
    canvas_patches,
    has_colour,
    is_empty,
    job_row,
    open_jobs_page,
    upload_in_browser,
    viewer_geometry,
)
from tests.stack import NativeStack

pytestmark = pytest.mark.e2e

CLIP = VIDEOS / "single_person_squats_portrait.mp4"  # 65 frames, 720x1280 portrait, 5 fps


def _poses(stack: NativeStack, job_id: str) -> dict[str, Any]:
    with stack.client() as client:
        response = client.get(f"/api/jobs/{job_id}/poses")
    response.raise_for_status()
    doc: dict[str, Any] = response.json()
    return doc


def _wait_for_drawn_frame(page: Page, frame: int) -> None:
    page.wait_for_function(
        "f => document.querySelector('[data-testid=pose-canvas]').dataset.frame === String(f)",
        arg=frame,
    )


def _settled_time(page: Page) -> float:
    """currentTime once the paused video has no seek pending."""
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=pose-video]');"
        " return v.paused && !v.seeking && v.readyState >= 2; }"
    )
    return float(page.evaluate("document.querySelector('[data-testid=pose-video]').currentTime"))


def _check_skeleton_pixels(page: Page, doc: dict[str, Any]) -> int:
    """The drawn frame's visible joints have track-coloured pixels; the bars stay empty."""
    geometry = viewer_geometry(page)
    assert geometry.frame is not None, "the canvas drew no frame"
    frame = next(f for f in doc["frames"] if f["i"] == geometry.frame)
    assert geometry.people == len(frame["people"]) == 1
    person = frame["people"][0]
    assert person["track"] == 1
    width, height = doc["video"]["width"], doc["video"]["height"]
    joints = [geometry.to_canvas(x, y, width, height) for x, y, v in person["kp2d"] if v >= 0.6]
    assert len(joints) >= 10
    coloured = [has_colour(p, TRACK_1) for p in canvas_patches(page, joints, radius=2)]
    assert sum(coloured) >= 0.9 * len(joints), f"{sum(coloured)}/{len(joints)} joints drawn"
    # A portrait video in a landscape box: the pillarbox bars left and right stay clear,
    # and so does the picture far from the person (top corners of the picture).
    x_left, _ = geometry.to_canvas(0, 0, width, height)
    empty = [(max(2, x_left // 2), geometry.canvas_height // 2)]
    empty.append(geometry.to_canvas(10, 10, width, height))
    empty.append(geometry.to_canvas(width - 10, 10, width, height))
    assert all(is_empty(p) for p in canvas_patches(page, empty, radius=2))
    return len(joints)


@pytest.mark.screenshots
def test_upload_watch_and_view_poses(
    page: Page, ui_url: str, stack: NativeStack, doc_screenshot: Callable[..., Path]
) -> None:
    job_id = upload_in_browser(page, ui_url, CLIP)
    page.screenshot(path=str(artifact("upload.png")))

    # Jobs: the row follows the job's event stream to the end.
    open_jobs_page(page)
    row = job_row(page, job_id, "succeeded", timeout_ms=120_000)
    expect(row.get_by_test_id("job-status")).to_have_text("succeeded")
    expect(row.get_by_test_id("job-progress")).to_have_attribute("aria-valuenow", "100")
    expect(row).to_contain_text("mediapipe")
    expect(row).to_contain_text("65 frames")
    doc_screenshot("jobs.png")

    # Job: the viewer opens with the video, the canvas, the people and the 3D view.
    row.get_by_role("link").click()
    page.wait_for_url(f"**/jobs/{job_id}")
    video = page.get_by_test_id("pose-video")
    page.wait_for_function("document.querySelector('[data-testid=pose-video]')?.readyState >= 2")
    expect(page.get_by_test_id("track-list")).to_contain_text("Person #1")
    expect(page.get_by_test_id("pose-3d")).to_have_attribute("data-state", "ok")
    doc = _poses(stack, job_id)
    fps = doc["video"]["fps"]
    # The uploaded video plays (not the overlay fallback), served in ranges for seeking.
    assert video.evaluate("v => v.currentSrc").endswith(f"/api/jobs/{job_id}/video")
    expect(page.get_by_role("note")).to_have_count(0)
    ranged = httpx.get(f"{ui_url}/api/jobs/{job_id}/video", headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100

    # Paused at the start, frame 0 is drawn.
    _wait_for_drawn_frame(page, 0)
    _check_skeleton_pixels(page, doc)

    # Seeking: the drawing and the 3D view follow to the frame on screen.
    video.evaluate("(v, t) => { v.currentTime = t; }", 30.5 / fps)
    _wait_for_drawn_frame(page, 30)
    _check_skeleton_pixels(page, doc)
    expect(page.get_by_test_id("pose-3d")).to_have_attribute("data-frame", "30")
    expect(page.get_by_test_id("pose-3d")).to_have_attribute("data-joints", "33")

    # Playing at double speed: drawn frames advance with the video, and when it stops the
    # picture settles on the middle of currentTime's frame (a seek, so the browser shows
    # exactly that frame whatever its load) and the canvas draws that frame.
    page.get_by_label("Speed").select_option("2")
    assert video.evaluate("v => v.playbackRate") == 2
    video.evaluate("v => { v.currentTime = 0; return v.play(); }")
    seen: set[str] = set()
    deadline = time.monotonic() + 3  # 6 s of a 13 s clip
    while time.monotonic() < deadline:
        seen.add(page.get_by_test_id("pose-canvas").get_attribute("data-frame") or "")
        page.wait_for_timeout(50)
    video.evaluate("v => v.pause()")
    assert len(seen) >= 8, f"only frames {sorted(seen)} were drawn in 3 s of playback at 2x"
    now = _settled_time(page)
    shown = max(f["i"] for f in doc["frames"] if f["t"] <= now + 1e-3)
    assert abs(now - (doc["frames"][shown]["t"] + 0.5 / fps)) < 1e-3, (now, shown)
    _wait_for_drawn_frame(page, shown)
    _check_skeleton_pixels(page, doc)

    # Frame stepping: one frame per click, either way; hiding the only person clears it.
    forward = page.get_by_role("button", name="Frame ▶")
    back = page.get_by_role("button", name="◀ Frame")
    for button, frame in ((forward, shown + 1), (forward, shown + 2), (back, shown + 1)):
        button.click()
        _wait_for_drawn_frame(page, frame)
    page.get_by_test_id("track-list").get_by_role("checkbox").uncheck()
    page.wait_for_function(
        "document.querySelector('[data-testid=pose-canvas]').dataset.people === '0'"
    )
    page.get_by_test_id("track-list").get_by_role("checkbox").check()
    page.wait_for_function(
        "document.querySelector('[data-testid=pose-canvas]').dataset.people === '1'"
    )

    # Downloads answer with the files they promise.
    for name, kind in (("Poses (JSON)", "application/json"), ("Poses (CSV)", "text/csv"),
                       ("Overlay video (MP4)", "video/mp4")):
        href = page.get_by_role("link", name=name).get_attribute("href")
        response = httpx.get(f"{ui_url}{href}", timeout=60)
        assert response.status_code == 200, (name, response.status_code)
        assert response.headers["content-type"].startswith(kind)
    doc_screenshot("job.png")
