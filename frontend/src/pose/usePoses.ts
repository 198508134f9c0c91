// A succeeded job's result document, fetched once.
import { useEffect, useState } from "react";
import { api, unwrap } from "../api/client";
import type { PoseDocument } from "./types";

export function usePoses(jobId: string, ready: boolean) {
  const [doc, setDoc] = useState<PoseDocument | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!ready) return;
    const abort = new AbortController();
    setDoc(null);
    setError(null);
    unwrap(
      api.GET("/api/jobs/{job_id}/poses", {
        params: { path: { job_id: jobId } },
        signal: abort.signal,
      }),
    ).then(
      (body) => setDoc(body as unknown as PoseDocument),
      (e: unknown) => {
        if (!abort.signal.aborted) setError(e);
      },
    );
    return () => abort.abort();
  }, [jobId, ready, attempt]);

  return { doc, error, retry: () => setAttempt((n) => n + 1) };
}
