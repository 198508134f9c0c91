import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { fraction, ProgressBar } from "./ProgressBar";

describe("ProgressBar", () => {
  it("reports percent done", () => {
    render(<ProgressBar value={13} max={65} label="Job progress" testId="p" />);
    const bar = screen.getByTestId("p");
    expect(bar).toHaveAttribute("aria-valuenow", "20");
    expect(bar).toHaveAccessibleName("Job progress");
  });

  it("is indeterminate without a total", () => {
    render(<ProgressBar value={5} max={null} label="x" testId="p" />);
    expect(screen.getByTestId("p")).not.toHaveAttribute("aria-valuenow");
    expect(screen.getByTestId("p")).toHaveClass("progress-unknown");
  });

  it("clamps the fraction", () => {
    expect(fraction(70, 65)).toBe(1);
    expect(fraction(-1, 65)).toBe(0);
    expect(fraction(1, 0)).toBeNull();
  });
});
