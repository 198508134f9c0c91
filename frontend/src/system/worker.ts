// The pose-service workers' own reports (DESIGN.md: pose-service health fields), as the
// API relays them from their heartbeats at GET /api/workers.
import { toApiError } from "../api/client";

export interface GpuHealth {
  name: string;
  memory_used_mb: number;
  memory_total_mb: number;
  utilization_pct: number | null;
  temperature_c: number | null;
}

export interface WorkerHealth {
  worker_id: string;
  host?: string;
  backend: string | null;
  device: string;
  model_loaded: boolean;
  current_job: string | null;
  fps?: number;
  uptime_s: number | null;
  gpu?: GpuHealth | null;
}

export type WorkersReading =
  | { kind: "ok"; workers: WorkerHealth[] }
  | { kind: "unsupported" }
  | { kind: "error"; message: string };

/** Fetch the live workers; an API without the route says so instead of failing. */
export async function readWorkers(url = "/api/workers"): Promise<WorkersReading> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch {
    return { kind: "error", message: toApiError(0, null).message };
  }
  if (response.status === 404 || response.status === 405) return { kind: "unsupported" };
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    return { kind: "error", message: toApiError(response.status, body, response.statusText).message };
  }
  const items = (body as { items?: unknown } | null)?.items;
  return Array.isArray(items) ? { kind: "ok", workers: items as WorkerHealth[] } : { kind: "unsupported" };
}

/** Whether the worker runs its model on a GPU (device "cuda:0" and friends). */
export function onGpu(worker: WorkerHealth): boolean {
  return worker.device.startsWith("cuda") && Boolean(worker.gpu);
}
