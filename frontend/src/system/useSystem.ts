// The System page's readings, taken every few seconds while the page is open.
import { useEffect, useRef, useState } from "react";
import { api, toApiError, unwrap } from "../api/client";
import type { Readiness } from "../api/types";
import { pushSample } from "./chart";
import { pushMemory, readMemory, type MemoryReading } from "./memory";
import { parsePrometheus, type Sample } from "./prometheus";
import { readWorkers, type WorkersReading } from "./worker";

export const SYSTEM_REFRESH_MS = 2000;
export const HISTORY = 90;

export interface GpuSample {
  utilization: number | null;
  memoryPct: number | null;
}

export interface SystemReadings {
  checkedAt: number;
  health: { ok: boolean; detail: string };
  ready: Readiness | null;
  readyError: string | null;
  metrics: Sample[] | null;
  metricsError: string | null;
  workers: WorkersReading;
  memory: MemoryReading;
}

async function readHealth(): Promise<{ ok: boolean; detail: string }> {
  try {
    const body = await unwrap(api.GET("/api/health"));
    return { ok: body.status === "ok", detail: body.status };
  } catch (e) {
    return { ok: false, detail: e instanceof Error ? e.message : String(e) };
  }
}

async function readReady(): Promise<{ ready: Readiness | null; error: string | null }> {
  try {
    // 503 is an answer here: it says which dependency is down.
    const { data, error, response } = await api.GET("/api/ready");
    const body = (data ?? error) as Readiness | undefined;
    if (body && typeof body === "object" && "checks" in body) return { ready: body, error: null };
    return { ready: null, error: toApiError(response.status, error, response.statusText).message };
  } catch {
    return { ready: null, error: toApiError(0, null).message };
  }
}

async function readMetrics(): Promise<{ samples: Sample[] | null; error: string | null }> {
  try {
    const response = await fetch("/metrics");
    if (!response.ok) {
      return { samples: null, error: toApiError(response.status, null, response.statusText).message };
    }
    return { samples: parsePrometheus(await response.text()), error: null };
  } catch {
    return { samples: null, error: toApiError(0, null).message };
  }
}

/** Readings now and every SYSTEM_REFRESH_MS, with a rolling history of GPU use per worker
 * and of each service's resident memory. */
export function useSystem() {
  const [readings, setReadings] = useState<SystemReadings | null>(null);
  const [gpuHistory, setGpuHistory] = useState<Record<string, GpuSample[]>>({});
  const [memoryHistory, setMemoryHistory] = useState<Record<string, (number | null)[]>>({});
  const busy = useRef(false);

  useEffect(() => {
    let stopped = false;
    const take = async () => {
      if (busy.current) return;
      busy.current = true;
      try {
        const [health, ready, metrics, workers, memory] = await Promise.all([
          readHealth(),
          readReady(),
          readMetrics(),
          readWorkers(),
          readMemory(),
        ]);
        if (stopped) return;
        setReadings({
          checkedAt: Date.now(),
          health,
          ready: ready.ready,
          readyError: ready.error,
          metrics: metrics.samples,
          metricsError: metrics.error,
          workers,
          memory,
        });
        if (memory.kind === "ok") {
          setMemoryHistory((history) => pushMemory(history, memory.services, HISTORY));
        }
        if (workers.kind === "ok") {
          setGpuHistory((history) => {
            const next: Record<string, GpuSample[]> = {};
            for (const w of workers.workers) {
              if (!w.gpu) continue;
              const { utilization_pct, memory_used_mb, memory_total_mb } = w.gpu;
              const memoryPct = memory_total_mb > 0 ? (100 * memory_used_mb) / memory_total_mb : null;
              next[w.worker_id] = pushSample(
                history[w.worker_id] ?? [],
                { utilization: utilization_pct, memoryPct },
                HISTORY,
              );
            }
            return next;
          });
        }
      } finally {
        busy.current = false;
      }
    };
    void take();
    const timer = window.setInterval(() => void take(), SYSTEM_REFRESH_MS);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, []);

  return { readings, gpuHistory, memoryHistory };
}
