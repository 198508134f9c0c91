"""Several people on the CPU backend, as a user sees them: the kids clip uploaded in the
browser, two people in the track list, both skeletons drawn on one frame in their own
colours, and the 3D view switched from one child to the other."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from posepipe.video.overlay import track_colour
from tests.conftest import VIDEOS
from tests.e2e.ui import (
    canvas_patches,
    has_colour,
    job_row,
    open_jobs_page,
    upload_in_browser,
    viewer_geometry,
)
from tests.stack import NativeStack

pytestmark = pytest.mark.e2e

CLIP = VIDEOS / "multi_person_kids_jumping_on_bed.mp4"  # 200 frames, 960x540, 30 fps
VISIBLE = 0.6  # joints at least this visible are drawn for sure (the viewer's floor is 0.3)


def _poses(stack: NativeStack, job_id: str) -> dict[str, Any]:
    with stack.client() as client:
        response = client.get(f"/api/jobs/{job_id}/poses")
    response.raise_for_status()
    doc: dict[str, Any] = response.json()
    return doc


def _lasting_tracks(doc: dict[str, Any]) -> list[int]:
    """Tracks in at least half a second of frames: the people the list should show."""
    counts: dict[int, int] = {}
    for frame in doc["frames"]:
        for person in frame["people"]:
            counts[person["track"]] = counts.get(person["track"], 0) + 1
    least = round(0.5 * doc["video"]["fps"])
    return sorted(track for track, n in counts.items() if n >= least)


def _frame_with_both_apart(doc: dict[str, Any], people: list[int]) -> dict[str, Any]:
    """The frame showing exactly the two people, side by side, with the most visible joints."""

    def apart(frame: dict[str, Any]) -> bool:
        left, right = sorted(frame["people"], key=lambda p: p["bbox"][0])
        return bool(left["bbox"][2] < right["bbox"][0])

    candidates = [
        f
        for f in doc["frames"]
        if sorted(p["track"] for p in f["people"]) == people and apart(f)
    ]
    assert candidates, "no frame shows both children apart"
    return max(
        candidates,
        key=lambda f: min(sum(v >= VISIBLE for _, _, v in p["kp2d"]) for p in f["people"]),
    )


@pytest.mark.screenshots
def test_two_children_are_listed_drawn_and_shown_in_3d(
    page: Page, ui_url: str, stack: NativeStack, doc_screenshot: Callable[..., Path]
) -> None:
    job_id = upload_in_browser(page, ui_url, CLIP)
    open_jobs_page(page)
    row = job_row(page, job_id, "succeeded", timeout_ms=300_000)
    expect(row).to_contain_text("mediapipe")
    expect(row).to_contain_text("200 frames")
    row.get_by_role("link").click()
    page.wait_for_url(f"**/jobs/{job_id}")
    page.wait_for_function("document.querySelector('[data-testid=pose-video]')?.readyState >= 2")

    doc = _poses(stack, job_id)
    assert doc["backend_version"].endswith("up to 4 people")
    people = _lasting_tracks(doc)
    assert len(people) == 2, f"tracks seen for half a second or more: {people}"

    # The track list: two people, in their colours; brief detections folded apart.
    track_list = page.get_by_test_id("track-list")
    expect(track_list).to_contain_text("People (2)")
    listed = page.get_by_test_id("people").locator("li")
    expect(listed).to_have_count(2)
    assert [int(li.get_attribute("data-track") or 0) for li in listed.all()] == people
    for track in people:
        expect(track_list).to_contain_text(f"Person #{track}")

    # One frame with both children apart: both skeletons drawn, each in its own colour.
    frame = _frame_with_both_apart(doc, people)
    video = page.get_by_test_id("pose-video")
    video.evaluate("(v, t) => { v.currentTime = t; }", frame["t"] + 0.5 / doc["video"]["fps"])
    page.wait_for_function(
        "f => document.querySelector('[data-testid=pose-canvas]').dataset.frame === String(f)",
        arg=frame["i"],
    )
    geometry = viewer_geometry(page)
    assert geometry.people == 2
    width, height = doc["video"]["width"], doc["video"]["height"]
    for person in frame["people"]:
        joints = [
            geometry.to_canvas(x, y, width, height) for x, y, v in person["kp2d"] if v >= VISIBLE
        ]
        assert len(joints) >= 10, (person["track"], len(joints))
        colour = track_colour(person["track"])
        drawn = [has_colour(p, colour) for p in canvas_patches(page, joints, radius=2)]
        assert sum(drawn) >= 0.9 * len(joints), (person["track"], f"{sum(drawn)}/{len(joints)}")
    doc_screenshot("job-people.png")

    # The 3D view follows the person picked in the list.
    pose3d = page.get_by_test_id("pose-3d")
    expect(pose3d).to_have_attribute("data-track", str(people[0]))
    page.locator(f"[data-testid=people] li[data-track='{people[1]}']").get_by_role(
        "radio"
    ).check()
    expect(pose3d).to_have_attribute("data-track", str(people[1]))
    expect(pose3d).to_have_attribute("data-frame", str(frame["i"]))
    expect(pose3d).to_have_attribute("data-joints", "33")

    # Hiding one child leaves the other drawn.
    page.locator(f"[data-testid=people] li[data-track='{people[0]}']").get_by_role(
        "checkbox"
    ).uncheck()
    page.wait_for_function(
        "document.querySelector('[data-testid=pose-canvas]').dataset.people === '1'"
    )

    # The CSV export has rows for both children.
    csv = httpx.get(f"{ui_url}/api/jobs/{job_id}/poses?format=csv", timeout=60).text
    tracks_in_csv = {line.split(",")[2] for line in csv.splitlines()[1:]}
    assert {str(t) for t in people} <= tracks_in_csv
