// Builders for API objects in tests, shaped as openapi.json says.
import type { Job } from "../api/types";

let n = 0;

export function makeJob(change: Partial<Job> = {}): Job {
  n += 1;
  return {
    id: `job${n}`,
    status: "queued",
    progress: { frames_done: 0, frames_total: 65 },
    error: null,
    backend: null,
    attempts: 0,
    attempt_log: [],
    video: {
      id: `video${n}`,
      filename: `clip${n}.mp4`,
      size_bytes: 508341,
      width: 720,
      height: 1280,
      fps: 5,
      frames: 65,
      duration_s: 13,
      rotation: 0,
      codec: "h264",
    },
    created_at: new Date(Date.UTC(2025, 0, 1, 12, 0, n)).toISOString(),
    started_at: null,
    finished_at: null,
    ...change,
  } as Job;
}
