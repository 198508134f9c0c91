import { describe, expect, it } from "vitest";
import { backendLabel, formatBytes, formatClock, formatDuration, secondsBetween } from "./format";

describe("format", () => {
  it("formats bytes", () => {
    expect(formatBytes(12)).toBe("12 B");
    expect(formatBytes(508341)).toBe("508 kB");
    expect(formatBytes(2380401)).toBe("2.4 MB");
    expect(formatBytes(-1)).toBe("–");
  });

  it("formats durations", () => {
    expect(formatDuration(0.42)).toBe("0.4 s");
    expect(formatDuration(42.4)).toBe("42 s");
    expect(formatDuration(185)).toBe("3 min 05 s");
    expect(formatDuration(3720)).toBe("1 h 02 min");
    expect(formatDuration(null)).toBe("–");
  });

  it("measures time between timestamps, to now while running", () => {
    expect(secondsBetween("2025-01-01T00:00:00Z", "2025-01-01T00:00:12.5Z")).toBe(12.5);
    expect(secondsBetween("2025-01-01T00:00:00Z", null, Date.parse("2025-01-01T00:01:00Z"))).toBe(60);
    expect(secondsBetween(null, null)).toBeNull();
  });

  it("formats a media clock", () => {
    expect(formatClock(7.44)).toBe("0:07.4");
    expect(formatClock(65)).toBe("1:05.0");
  });
});

describe("backendLabel", () => {
  it("does not repeat a backend name the version already starts with", () => {
    expect(backendLabel("mediapipe", "mediapipe 0.10.21 pose_landmarker_full")).toBe(
      "mediapipe 0.10.21 pose_landmarker_full",
    );
  });
  it("names the backend before a bare version", () => {
    expect(backendLabel("hmr2", "4D-Humans 6ec7965")).toBe("hmr2 4D-Humans 6ec7965");
  });
});
