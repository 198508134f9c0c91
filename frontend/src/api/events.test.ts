import { describe, expect, it } from "vitest";
import { makeJob } from "../test/fixtures";
import { applyJobPatch, parseJobEvent } from "./events";

describe("parseJobEvent", () => {
  it("reads status events", () => {
    expect(parseJobEvent("status", '{"status": "running"}')).toEqual({ status: "running" });
    expect(
      parseJobEvent("status", '{"status": "failed", "error": {"code": "x", "message": "bad"}}'),
    ).toEqual({ status: "failed", error: { code: "x", message: "bad" } });
  });

  it("reads progress events, flat or nested", () => {
    expect(parseJobEvent("progress", '{"frames_done": 5, "frames_total": 65}')).toEqual({
      progress: { frames_done: 5, frames_total: 65 },
    });
    expect(
      parseJobEvent("progress", '{"status": "running", "progress": {"frames_done": 7, "frames_total": 65}}'),
    ).toEqual({ status: "running", progress: { frames_done: 7, frames_total: 65 } });
  });

  it("reads a whole job sent as one event", () => {
    const job = makeJob({ status: "succeeded", progress: { frames_done: 65, frames_total: 65 } });
    expect(parseJobEvent("status", JSON.stringify(job))).toEqual({
      status: "succeeded",
      progress: { frames_done: 65, frames_total: 65 },
      error: null,
    });
  });

  it("ignores what it cannot read", () => {
    expect(parseJobEvent("status", "not json")).toBeNull();
    expect(parseJobEvent("status", '{"status": "exploded"}')).toBeNull();
    expect(parseJobEvent("ping", '{"frames_done": 1}')).toBeNull();
    expect(parseJobEvent("status", "null")).toBeNull();
  });
});

describe("applyJobPatch", () => {
  it("changes only the fields the event carries", () => {
    const job = makeJob({ status: "queued" });
    const next = applyJobPatch(job, { status: "running", progress: { frames_done: 3, frames_total: 65 } });
    expect(next).not.toBe(job);
    expect(next.status).toBe("running");
    expect(next.progress).toEqual({ frames_done: 3, frames_total: 65 });
    expect(next.video).toBe(job.video);
    expect(job.status).toBe("queued");
  });
});
