// The jobs list: one page from GET /api/jobs, kept live through event streams.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, unwrap } from "../api/client";
import { applyJobPatch, type JobPatch } from "../api/events";
import type { Job } from "../api/types";
import { jobsToFollow, useJobStreams } from "./liveJobs";

export const PAGE_SIZE = 20;
const MAX_STREAMS = 4;

export function useJobs(offset: number) {
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const request = useRef(0);

  const reload = useCallback(async () => {
    const mine = ++request.current;
    setLoading(true);
    try {
      const page = await unwrap(
        api.GET("/api/jobs", { params: { query: { limit: PAGE_SIZE, offset } } }),
      );
      if (mine !== request.current) return;
      setJobs(page.items);
      setTotal(page.total);
      setError(null);
    } catch (e) {
      if (mine === request.current) setError(e);
    } finally {
      if (mine === request.current) setLoading(false);
    }
  }, [offset]);

  useEffect(() => {
    void reload();
    // New jobs from other tabs or people show up when the page is looked at again.
    const onVisible = () => document.visibilityState === "visible" && void reload();
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, [reload]);

  const replace = useCallback((job: Job) => {
    setJobs((list) => list && list.map((j) => (j.id === job.id ? job : j)));
  }, []);

  const refreshOne = useCallback(
    async (id: string) => {
      try {
        replace(
          await unwrap(api.GET("/api/jobs/{job_id}", { params: { path: { job_id: id } } })),
        );
      } catch (e) {
        // Deleted meanwhile: drop it. The API away: the next reload or retry tells.
        if (e instanceof ApiError && e.status === 404) {
          setJobs((list) => list && list.filter((j) => j.id !== id));
        }
      }
    },
    [replace],
  );

  const onPatch = useCallback((id: string, patch: JobPatch) => {
    setJobs((list) => list && list.map((j) => (j.id === id ? applyJobPatch(j, patch) : j)));
  }, []);

  // When a stream ends the job has ended: fetch it whole for its times, backend and error.
  useJobStreams(jobsToFollow(jobs ?? [], MAX_STREAMS), onPatch, (id) => void refreshOne(id));

  const remove = useCallback(
    async (job: Job) => {
      await unwrap(api.DELETE("/api/jobs/{job_id}", { params: { path: { job_id: job.id } } }));
      if (job.status === "queued" || job.status === "running") await refreshOne(job.id);
      else {
        setJobs((list) => list && list.filter((j) => j.id !== job.id));
        setTotal((t) => Math.max(0, t - 1));
      }
    },
    [refreshOne],
  );

  return { jobs, total, error, loading, reload, remove };
}
