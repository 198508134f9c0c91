// Live job updates from the API's Server-Sent Events stream (no polling).
import type { Job, JobError, JobProgress, JobStatus } from "./types";
import { isTerminal } from "./types";

export interface JobPatch {
  status?: JobStatus;
  progress?: JobProgress;
  error?: JobError | null;
}

const STATUSES: readonly string[] = ["queued", "running", "succeeded", "failed", "canceled"];

/** Read one SSE message (`status` or `progress`) into the fields it changes. */
export function parseJobEvent(type: string, data: string): JobPatch | null {
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return null;
  }
  if (!body || typeof body !== "object") return null;
  const b = body as Record<string, unknown>;
  const patch: JobPatch = {};
  if (typeof b.status === "string" && STATUSES.includes(b.status)) {
    patch.status = b.status as JobStatus;
  }
  const progress = (typeof b.progress === "object" && b.progress) || b;
  const p = progress as Record<string, unknown>;
  if (typeof p.frames_done === "number") {
    patch.progress = {
      frames_done: p.frames_done,
      frames_total: typeof p.frames_total === "number" ? p.frames_total : 0,
    } as JobProgress;
  }
  if ("error" in b) patch.error = (b.error as JobError | null) ?? null;
  if (type !== "status" && type !== "progress" && type !== "message" && !patch.status) {
    return null;
  }
  return Object.keys(patch).length ? patch : null;
}

/** The job with a patch applied; progress never moves backwards within one attempt. */
export function applyJobPatch(job: Job, patch: JobPatch): Job {
  const next: Job = { ...job };
  if (patch.status) next.status = patch.status;
  if (patch.progress) next.progress = patch.progress;
  if (patch.error !== undefined) next.error = patch.error;
  return next;
}

export type StreamEnd = "ended" | "lost";

/**
 * Follow one job's event stream until it ends. `onPatch` gets every change; `onEnd` is
 * called once: "ended" when the job reached a final status, "lost" when the stream was
 * refused (the job is gone, or the API or its proxy is down). Returns a closer.
 */
export function followJob(
  url: string,
  onPatch: (patch: JobPatch) => void,
  onEnd: (how: StreamEnd) => void,
): () => void {
  const source = new EventSource(url);
  let ended = false;
  const end = (how: StreamEnd) => {
    if (ended) return;
    ended = true;
    source.close();
    onEnd(how);
  };
  const handle = (e: MessageEvent<string>) => {
    const patch = parseJobEvent(e.type, e.data);
    if (!patch) return;
    onPatch(patch);
    // The server closes the stream when the job ends; EventSource would reconnect.
    if (patch.status && isTerminal(patch.status)) end("ended");
  };
  source.addEventListener("status", handle);
  source.addEventListener("progress", handle);
  source.addEventListener("message", handle);
  source.onerror = (e: Event) => {
    // An `error` event the server sent (the job vanished) ends the stream; otherwise
    // CLOSED means the server refused it, and CONNECTING that it retries by itself.
    if (e instanceof MessageEvent || source.readyState === EventSource.CLOSED) end("lost");
  };
  return () => {
    ended = true;
    source.close();
  };
}
