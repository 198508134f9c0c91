import { describe, expect, it } from "vitest";
import { makeJob } from "../test/fixtures";
import { jobsToFollow } from "./liveJobs";

describe("jobsToFollow", () => {
  it("follows running jobs first, then the oldest queued, up to the limit", () => {
    const done = makeJob({ status: "succeeded" });
    const q1 = makeJob({ status: "queued" });
    const q2 = makeJob({ status: "queued" });
    const q3 = makeJob({ status: "queued" });
    const run = makeJob({ status: "running" });
    // The API lists newest first.
    const list = [run, q3, q2, q1, done];
    expect(jobsToFollow(list, 3)).toEqual([run.id, q1.id, q2.id]);
    expect(jobsToFollow(list, 10)).toEqual([run.id, q1.id, q2.id, q3.id]);
  });

  it("follows nothing when every job has ended", () => {
    expect(jobsToFollow([makeJob({ status: "failed" }), makeJob({ status: "canceled" })], 4)).toEqual([]);
  });
});
