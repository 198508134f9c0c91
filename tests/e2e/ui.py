"""What the e2e tests read off the page: the overlay canvas's pixels, mapped independently
of the app's own geometry code, and job rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

# overlay.py's TRACK_COLOURS[0]: the colour of track 1, the same in the web viewer.
TRACK_1 = (230, 25, 75)


@dataclass(frozen=True)
class ViewerGeometry:
    """The canvas over the video: CSS box, backing store, the video's picture size."""

    css_width: float
    css_height: float
    canvas_width: int
    canvas_height: int
    video_width: int
    video_height: int
    frame: int | None
    people: int

    def to_canvas(self, x: float, y: float, doc_width: int, doc_height: int) -> tuple[int, int]:
        """Result pixels to canvas pixels, as object-fit: contain places the picture."""
        scale = min(self.css_width / self.video_width, self.css_height / self.video_height)
        shown_w, shown_h = self.video_width * scale, self.video_height * scale
        left, top = (self.css_width - shown_w) / 2, (self.css_height - shown_h) / 2
        css_x = left + x * shown_w / doc_width
        css_y = top + y * shown_h / doc_height
        return (
            round(css_x * self.canvas_width / self.css_width),
            round(css_y * self.canvas_height / self.css_height),
        )


def viewer_geometry(page: Page) -> ViewerGeometry:
    """Read the canvas and video as the browser lays them out now."""
    raw: dict[str, Any] = page.evaluate(
        """() => {
            const c = document.querySelector('[data-testid=pose-canvas]');
            const v = document.querySelector('[data-testid=pose-video]');
            const box = c.getBoundingClientRect();
            return {css_width: box.width, css_height: box.height, canvas_width: c.width,
                    canvas_height: c.height, video_width: v.videoWidth,
                    video_height: v.videoHeight, frame: c.dataset.frame || null,
                    people: Number(c.dataset.people || 0)};
        }"""
    )
    frame = raw.pop("frame")
    return ViewerGeometry(**raw, frame=int(frame) if frame else None)


def canvas_patches(page: Page, points: list[tuple[int, int]], radius: int) -> list[list[int]]:
    """RGBA bytes of the (2r+1)^2 canvas pixels around each point."""
    patches: list[list[int]] = page.evaluate(
        """([points, r]) => {
            const c = document.querySelector('[data-testid=pose-canvas]');
            const ctx = c.getContext('2d');
            return points.map(([x, y]) =>
                Array.from(ctx.getImageData(x - r, y - r, 2 * r + 1, 2 * r + 1).data));
        }""",
        [points, radius],
    )
    return patches


def has_colour(rgba: list[int], colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    """True when some opaque pixel of the patch is within `tolerance` of `colour`."""
    for k in range(0, len(rgba), 4):
        r, g, b, a = rgba[k : k + 4]
        if a > 200 and all(abs(p - q) <= tolerance for p, q in zip((r, g, b), colour, strict=True)):
            return True
    return False


def is_empty(rgba: list[int]) -> bool:
    """True when every pixel of the patch is fully transparent."""
    return all(rgba[k + 3] == 0 for k in range(0, len(rgba), 4))


def job_row(page: Page, job_id: str, status: str | None = None, timeout_ms: int = 60_000) -> Any:
    """The jobs table row of a job, waiting until it shows `status` when given."""
    selector = f"[data-testid=job-row][data-job-id='{job_id}']"
    if status is not None:
        selector += f"[data-status={status}]"
    page.wait_for_selector(selector, timeout=timeout_ms)
    return page.locator(selector)


def upload_in_browser(page: Page, ui_url: str, clip: Path) -> str:
    """Choose a clip on the Upload page; returns the id of the job the API queued for it."""
    page.goto(f"{ui_url}/")
    page.get_by_test_id("upload-input").set_input_files(clip)
    link = page.get_by_test_id("upload-job-link").first
    expect(link).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("upload-progress").first).to_have_attribute("aria-valuenow", "100")
    return link.inner_text().strip()


def open_jobs_page(page: Page) -> None:
    """Go to the Jobs page through the navigation bar, as a person would."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    page.wait_for_url("**/jobs")
