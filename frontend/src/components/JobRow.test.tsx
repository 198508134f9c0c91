import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it, vi } from "vitest";
import type { Job } from "../api/types";
import { makeJob } from "../test/fixtures";
import { JobRow } from "./JobRow";

function renderRow(job: Job, onRemove = vi.fn(async () => {})) {
  render(
    <MemoryRouter>
      <table>
        <tbody>
          <JobRow job={job} now={Date.parse("2025-01-01T12:01:00Z")} onRemove={onRemove} />
        </tbody>
      </table>
    </MemoryRouter>,
  );
  return { row: screen.getByTestId("job-row"), onRemove };
}

describe("JobRow", () => {
  it("shows a running job's status, progress, backend, attempts and time so far", () => {
    const job = makeJob({
      status: "running",
      progress: { frames_done: 13, frames_total: 65 },
      backend: "mediapipe",
      attempts: 2,
      started_at: "2025-01-01T12:00:18Z",
    });
    const { row } = renderRow(job);
    expect(row).toHaveAttribute("data-status", "running");
    expect(within(row).getByTestId("job-status")).toHaveTextContent("running");
    expect(within(row).getByTestId("job-progress")).toHaveAttribute("aria-valuenow", "20");
    expect(row).toHaveTextContent("13 / 65 frames");
    expect(row).toHaveTextContent("mediapipe");
    expect(row).toHaveTextContent("42 s");
    expect(within(row).getByRole("link")).toHaveAttribute("href", `/jobs/${job.id}`);
    expect(within(row).getByRole("link")).toHaveTextContent(job.video.filename);
  });

  it("cancels an active job in one click", async () => {
    const job = makeJob({ status: "queued" });
    const { row, onRemove } = renderRow(job);
    await userEvent.click(within(row).getByRole("button", { name: /cancel/i }));
    expect(onRemove).toHaveBeenCalledWith(job);
  });

  it("asks once more before deleting a finished job", async () => {
    const job = makeJob({ status: "succeeded", progress: { frames_done: 65, frames_total: 65 } });
    const { row, onRemove } = renderRow(job);
    await userEvent.click(within(row).getByRole("button", { name: /^delete/i }));
    expect(onRemove).not.toHaveBeenCalled();
    await userEvent.click(within(row).getByRole("button", { name: /confirm delete/i }));
    expect(onRemove).toHaveBeenCalledWith(job);
  });

  it("shows a failed job's error and a failed delete's message", async () => {
    const job = makeJob({
      status: "failed",
      error: { code: "worker_crashed", message: "The worker died 3 times on this video." },
    });
    const onRemove = vi.fn(async () => {
      throw new Error("The API did not answer (HTTP 502). Is backend-api running?");
    });
    const { row } = renderRow(job, onRemove);
    expect(row).toHaveTextContent("The worker died 3 times on this video.");
    await userEvent.click(within(row).getByRole("button", { name: /^delete/i }));
    await userEvent.click(within(row).getByRole("button", { name: /confirm delete/i }));
    expect(await within(row).findByRole("alert")).toHaveTextContent("HTTP 502");
  });
});
