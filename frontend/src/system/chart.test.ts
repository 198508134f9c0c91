import { describe, expect, it } from "vitest";
import { linePath, pushSample } from "./chart";

describe("linePath", () => {
  it("spreads samples across the width with 0 at the bottom and max at the top", () => {
    expect(linePath([0, 50, 100], 200, 100, 100)).toBe("M0,100L100,50L200,0");
  });

  it("puts a short history at the right edge of its slots", () => {
    expect(linePath([10, 20], 300, 100, 100, 4)).toBe("M200,90L300,80");
  });

  it("breaks the line at gaps and clamps values out of range", () => {
    expect(linePath([0, null, 150, -5], 300, 100, 100)).toBe("M0,100M200,0L300,100");
  });

  it("draws nothing without room for a line", () => {
    expect(linePath([5], 100, 100, 100)).toBe("");
    expect(linePath([1, 2], 100, 100, 0)).toBe("");
  });
});

describe("pushSample", () => {
  it("keeps the newest samples", () => {
    expect(pushSample([1, 2, 3], 4, 3)).toEqual([2, 3, 4]);
    expect(pushSample([], 1, 3)).toEqual([1]);
  });
});
