import { render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it } from "vitest";
import type { UploadItem } from "../uploads/useUploadQueue";
import { UploadRow } from "./UploadRow";

const item = (change: Partial<UploadItem>): UploadItem => ({
  key: 1,
  name: "squats.mp4",
  size: 1_000_000,
  loaded: 0,
  state: "waiting",
  ...change,
});

function renderItem(it: UploadItem) {
  render(
    <MemoryRouter>
      <ul>
        <UploadRow item={it} onCancel={() => {}} />
      </ul>
    </MemoryRouter>,
  );
}

describe("UploadRow", () => {
  it("shows bytes sent while uploading", () => {
    renderItem(item({ state: "uploading", loaded: 250_000 }));
    expect(screen.getByTestId("upload-progress")).toHaveAttribute("aria-valuenow", "25");
    expect(screen.getByText("250 kB of 1.0 MB")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Cancel" })).toBeInTheDocument();
  });

  it("links to the job once queued", () => {
    renderItem(item({ state: "done", loaded: 1_000_000, jobId: "abc123" }));
    expect(screen.getByTestId("upload-progress")).toHaveAttribute("aria-valuenow", "100");
    expect(screen.getByRole("link", { name: "abc123" })).toHaveAttribute("href", "/jobs/abc123");
    expect(screen.queryByTestId("upload-error")).toBeNull();
  });

  it("shows the server's message as it is", () => {
    renderItem(item({ state: "error", error: "notes.txt is not a video." }));
    expect(screen.getByTestId("upload-error")).toHaveTextContent(/^notes\.txt is not a video\.$/);
    expect(screen.queryByTestId("upload-progress")).toBeNull();
  });
});
