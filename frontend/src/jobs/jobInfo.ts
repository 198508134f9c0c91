// What the jobs list and job page show about a job, in one place.
import type { Attempt, Job } from "../api/types";
import { secondsBetween } from "../format";

/** The name people know a job by: its video's file name, else its id. */
export function jobTitle(job: Job): string {
  const video = job.video as { filename?: unknown } | null | undefined;
  return typeof video?.filename === "string" && video.filename ? video.filename : job.id;
}

/** Seconds the job has been processing, or took: null while queued. */
export function jobSeconds(job: Job, now: number = Date.now()): number | null {
  return secondsBetween(job.started_at, job.finished_at, now);
}

/** "12 / 65 frames", "65 frames", or "" before the total is known. */
export function framesText(job: Job): string {
  const { frames_done, frames_total } = job.progress;
  if (job.status === "succeeded" && frames_total) return `${frames_total} frames`;
  if (frames_total) return `${frames_done} / ${frames_total} frames`;
  return frames_done ? `${frames_done} frames` : "";
}

/** "resumed at frame 1,186 of 1,976", or "from the start" for an attempt that began at 0. */
export function attemptStart(attempt: Attempt): string {
  if (!attempt.resumed_from) return "from the start";
  const total = attempt.frames_total ? ` of ${attempt.frames_total.toLocaleString("en")}` : "";
  return `resumed at frame ${attempt.resumed_from.toLocaleString("en")}${total}`;
}

/** The attempt now running or last run, if the worker has recorded one. */
export function latestAttempt(job: Job): Attempt | null {
  return job.attempt_log.length ? job.attempt_log[job.attempt_log.length - 1]! : null;
}
