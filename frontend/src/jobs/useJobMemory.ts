// A job's peak memory, followed until it is final: a succeeded job's figure is raised once
// its overlay video is rendered, after the job's own event stream has ended.
import type { Client } from "openapi-fetch";
import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { paths } from "../api/schema";
import type { Job, JobMemory } from "../api/types";

export const MEMORY_POLL_MS = 2000;
const MEMORY_POLLS = 90; // three minutes: overlays of long videos take a while

/** The job's memory as it was given, re-read until the worker says it is final. */
export function useJobMemory(
  job: Job,
  pollMs: number = MEMORY_POLL_MS,
  client: Client<paths> = api,
): JobMemory | null {
  const given = job.memory ?? null;
  const [memory, setMemory] = useState<JobMemory | null>(given);
  const pending = job.status === "succeeded" && given !== null && !given.final;

  useEffect(() => setMemory(given), [given]);

  useEffect(() => {
    if (!pending) return;
    let polls = 0;
    let stopped = false;
    let timer: number | undefined;
    // One request at a time: the next is planned when this one has answered.
    const poll = async () => {
      polls += 1;
      try {
        const { data } = await client.GET("/api/jobs/{job_id}", { params: { path: { job_id: job.id } } });
        const next = data?.memory ?? null;
        if (stopped) return;
        if (next !== null) setMemory(next);
        if (next?.final) return;
      } catch {
        // The API is away for a moment: the next poll tries again.
      }
      if (!stopped && polls < MEMORY_POLLS) timer = window.setTimeout(poll, pollMs);
    };
    timer = window.setTimeout(poll, pollMs);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [pending, job.id, pollMs, client]);

  return memory;
}
