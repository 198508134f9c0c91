"""Jobs through a worker crash, a job that fails for good, cancel and delete: what the
Jobs and Job pages show, live, while it happens."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import VIDEOS
from tests.e2e.conftest import artifact
from tests.e2e.ui import job_row, open_jobs_page, upload_in_browser
from tests.stack import NativeStack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# 200 frames with several people: about 8 s of work here, time to kill the worker mid-job.
LONG_CLIP = VIDEOS / "multi_person_kids_jumping_on_bed.mp4"
SHORT_CLIP = VIDEOS / "single_person_squats_portrait.mp4"


def _kill_worker_mid_job(page: Page, stack: NativeStack, job_id: str) -> None:
    """Once the Jobs page shows the job a tenth done, SIGKILL its worker."""
    row = job_row(page, job_id, "running")
    row.locator("[data-testid=job-progress]").wait_for()
    page.wait_for_function(
        """id => {
            const bar = document.querySelector(
                `[data-testid=job-row][data-job-id='${id}'] [data-testid=job-progress]`);
            const pct = Number(bar?.getAttribute('aria-valuenow') ?? 0);
            return pct >= 10 && pct < 80;
        }""",
        arg=job_id,
        polling=50,
    )
    stack.kill_worker()


def test_a_job_finishes_after_its_worker_is_killed_and_restarted(
    page: Page, ui_url: str, stack: NativeStack
) -> None:
    job_id = upload_in_browser(page, ui_url, LONG_CLIP)
    open_jobs_page(page)
    _kill_worker_mid_job(page, stack, job_id)
    page.screenshot(path=str(artifact("jobs-worker-killed.png")))
    stack.start_worker()

    # The restarted worker takes the job back at once and goes on from its last stored
    # batch; the row follows it live.
    row = job_row(page, job_id, "succeeded", timeout_ms=150_000)
    expect(row.get_by_test_id("job-attempts")).to_have_text("2")
    expect(row.get_by_test_id("job-progress")).to_have_attribute("aria-valuenow", "100")
    page.screenshot(path=str(artifact("jobs-after-restart.png")))

    # The job page says what happened: the second attempt resumed where the first stopped.
    row.get_by_role("link").first.click()
    expect(page.get_by_test_id("job-attempts")).to_contain_text(
        re.compile(r"^2 · resumed at frame \d+ of 200$"))
    history = page.get_by_test_id("attempt-history")
    history.locator("summary").click()
    expect(history.locator("li")).to_have_count(2)
    expect(history.locator("li").nth(0)).to_contain_text("Attempt 1, from the start")
    expect(history.locator("li").nth(1)).to_contain_text(re.compile(r"Attempt 2, resumed at"))
    page.screenshot(path=str(artifact("job-resumed.png")))


def test_a_job_that_fails_for_good_shows_why(page: Page, ui_url: str, stack: NativeStack) -> None:
    job_id = upload_in_browser(page, ui_url, LONG_CLIP)
    open_jobs_page(page)
    _kill_worker_mid_job(page, stack, job_id)
    # A worker allowed one attempt per job gives the redelivered job up.
    stack.start_worker(env={"POSE_MAX_ATTEMPTS": "1"})
    try:
        row = job_row(page, job_id, "failed", timeout_ms=150_000)
        reason = stack.job(job_id)["error"]["message"]
        expect(row).to_contain_text(reason)
        row.get_by_role("link").first.click()
        # The jobs list (with its own status badges) can still be on screen for a moment.
        expect(page).to_have_url(re.compile(f"/jobs/{job_id}$"))
        expect(page.get_by_test_id("job-row")).to_have_count(0)
        expect(page.get_by_test_id("job-status")).to_have_text("failed")
        expect(page.get_by_test_id("job-error")).to_contain_text(reason)
        expect(page.get_by_test_id("pose-video")).to_have_count(0)
        page.screenshot(path=str(artifact("job-failed.png")))
    finally:
        stack.stop_worker()
        stack.start_worker()


def test_cancel_a_queued_job_then_delete_it(page: Page, ui_url: str, stack: NativeStack) -> None:
    stack.stop_worker()  # nothing takes the job: it stays queued
    try:
        job_id = upload_in_browser(page, ui_url, SHORT_CLIP)
        open_jobs_page(page)
        row = job_row(page, job_id, "queued")
        row.get_by_role("button", name="Cancel").click()
        row = job_row(page, job_id, "canceled")
        expect(row.get_by_test_id("job-status")).to_have_text("canceled")

        row.get_by_role("button", name="Delete").click()
        row.get_by_role("button", name="Confirm delete").click()
        expect(page.locator(f"[data-job-id='{job_id}']")).to_have_count(0)
        with stack.client() as client:
            assert client.get(f"/api/jobs/{job_id}").status_code == 404
    finally:
        stack.start_worker()
