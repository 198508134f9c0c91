// Which jobs to follow live, and a hook that keeps one event stream open per followed job.
import { useEffect, useRef, useState } from "react";
import { followJob, type JobPatch, type StreamEnd } from "../api/events";
import { jobUrls } from "../api/client";
import type { Job } from "../api/types";
import { isTerminal } from "../api/types";

const RETRY_MS = 3000;

/**
 * Browsers allow about six HTTP/1.1 connections per host, and each event stream holds one
 * for as long as its job lasts. So at most `max` jobs are followed: the running ones, then
 * the oldest queued (the next to run). The rest are picked up as those end.
 */
export function jobsToFollow(jobs: readonly Job[], max: number): string[] {
  const active = jobs.filter((j) => !isTerminal(j.status));
  const running = active.filter((j) => j.status === "running");
  const queued = active
    .filter((j) => j.status === "queued")
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  return [...running, ...queued].slice(0, max).map((j) => j.id);
}

/**
 * Keep event streams open for `ids`, opening and closing them as the set changes. A
 * stream that is lost while its job is still wanted is opened again a little later.
 */
export function useJobStreams(
  ids: readonly string[],
  onPatch: (id: string, patch: JobPatch) => void,
  onEnd: (id: string, how: StreamEnd) => void,
): void {
  const open = useRef(new Map<string, () => void>());
  const handlers = useRef({ onPatch, onEnd });
  handlers.current = { onPatch, onEnd };
  const [retry, setRetry] = useState(0);
  const key = [...ids].sort().join(",");

  useEffect(() => {
    const wanted = new Set(key ? key.split(",") : []);
    for (const [id, close] of open.current) {
      if (!wanted.has(id)) {
        close();
        open.current.delete(id);
      }
    }
    for (const id of wanted) {
      if (open.current.has(id)) continue;
      const close = followJob(
        jobUrls(id).events,
        (patch) => handlers.current.onPatch(id, patch),
        (how) => {
          open.current.delete(id);
          handlers.current.onEnd(id, how);
          if (how === "lost") window.setTimeout(() => setRetry((n) => n + 1), RETRY_MS);
        },
      );
      open.current.set(id, close);
    }
  }, [key, retry]);

  useEffect(() => {
    const streams = open.current;
    return () => {
      for (const close of streams.values()) close();
      streams.clear();
    };
  }, []);
}
