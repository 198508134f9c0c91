import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { makeJob } from "../test/fixtures";
import { AttemptHistory } from "./AttemptHistory";
import { JobSummary } from "./JobSummary";

const attempts = [
  { attempt: 1, worker: "gpu-a-7-1f2e3d", started_at: "2025-01-01T12:00:00Z",
    resumed_from: 0, frames_total: 1976 },
  { attempt: 2, worker: "gpu-a-9-4c5b6a", started_at: "2025-01-01T12:01:05Z",
    resumed_from: 1184, frames_total: 1976 },
];

describe("AttemptHistory", () => {
  it("says which attempt resumed where, and on which worker", () => {
    render(<AttemptHistory attempts={attempts} />);
    const history = screen.getByTestId("attempt-history");
    expect(history).toHaveTextContent("2 attempts");
    const items = history.querySelectorAll("li");
    expect(items[0]).toHaveTextContent("Attempt 1, from the start on gpu-a-7-1f2e3d");
    expect(items[1]).toHaveTextContent("Attempt 2, resumed at frame 1,184 of 1,976 on gpu-a-9");
  });

  it("shows nothing for a job that took one attempt", () => {
    const { container } = render(<AttemptHistory attempts={attempts.slice(0, 1)} />);
    expect(container).toBeEmptyDOMElement();
  });
});

describe("JobSummary", () => {
  it("puts the resume point next to the attempts", () => {
    render(<JobSummary job={makeJob({ status: "running", attempts: 2, attempt_log: attempts })} />);
    expect(screen.getByTestId("job-attempts")).toHaveTextContent(
      "2 · resumed at frame 1,184 of 1,976",
    );
  });

  it("says nothing more for a job that started from frame 0", () => {
    render(<JobSummary job={makeJob({ attempts: 1, attempt_log: attempts.slice(0, 1) })} />);
    expect(screen.getByTestId("job-attempts")).toHaveTextContent(/^1$/);
  });
});
