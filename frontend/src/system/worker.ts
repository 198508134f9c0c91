// The pose-service workers' own reports (DESIGN.md: pose-service health fields), as the
// API relays them from their heartbeats at GET /api/workers. Types: src/api/schema.d.ts.
import type { Client } from "openapi-fetch";
import { api } from "../api/client";
import type { paths } from "../api/schema";
import type { Worker } from "../api/types";
import { readOptionalRoute } from "./optionalRoute";

export type WorkersReading =
  | { kind: "ok"; workers: Worker[] }
  | { kind: "unsupported" }
  | { kind: "error"; message: string };

/** Fetch the live workers; an API from before the route says so (the GPU is then unknown). */
export async function readWorkers(client: Client<paths> = api): Promise<WorkersReading> {
  const reading = await readOptionalRoute(() => client.GET("/api/workers"));
  return reading.kind === "ok" ? { kind: "ok", workers: reading.data.items } : reading;
}

/** Whether any live worker reports a GPU (NVML reading in its heartbeat). */
export function anyGpu(workers: Worker[]): boolean {
  return workers.some((w) => w.gpu !== null);
}
