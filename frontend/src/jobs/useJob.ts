// One job, live: fetched once, then followed through its event stream until it ends.
import { useCallback, useEffect, useState } from "react";
import { api, unwrap } from "../api/client";
import { applyJobPatch } from "../api/events";
import type { Job } from "../api/types";
import { isTerminal } from "../api/types";
import { useJobStreams } from "./liveJobs";

export function useJob(id: string) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setJob(await unwrap(api.GET("/api/jobs/{job_id}", { params: { path: { job_id: id } } })));
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [id]);

  useEffect(() => {
    setJob(null);
    setError(null);
    void load();
  }, [load]);

  const follow = job && job.id === id && !isTerminal(job.status) ? [id] : [];
  useJobStreams(
    follow,
    (_id, patch) => setJob((j) => j && applyJobPatch(j, patch)),
    () => void load(),
  );

  return { job, error, reload: load };
}
