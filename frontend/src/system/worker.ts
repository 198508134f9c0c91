// The pose-service workers' own reports (DESIGN.md: pose-service health fields), as the
// API relays them from their heartbeats at GET /api/workers. Types: src/api/schema.d.ts.
import type { Client } from "openapi-fetch";
import { api, toApiError } from "../api/client";
import type { paths } from "../api/schema";
import type { Worker } from "../api/types";

export type WorkersReading =
  | { kind: "ok"; workers: Worker[] }
  | { kind: "unsupported" }
  | { kind: "error"; message: string };

/** Fetch the live workers; an API without the route says so instead of failing. */
export async function readWorkers(client: Client<paths> = api): Promise<WorkersReading> {
  let result;
  try {
    result = await client.GET("/api/workers");
  } catch {
    return { kind: "error", message: toApiError(0, null).message };
  }
  const { data, error, response } = result;
  // An API from before the route: the System page says the GPU is unknown.
  if (response.status === 404 || response.status === 405) return { kind: "unsupported" };
  if (!response.ok || !data) {
    return { kind: "error", message: toApiError(response.status, error, response.statusText).message };
  }
  return { kind: "ok", workers: data.items };
}

/** Whether any live worker reports a GPU (NVML reading in its heartbeat). */
export function anyGpu(workers: Worker[]): boolean {
  return workers.some((w) => w.gpu !== null);
}
