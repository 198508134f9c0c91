// Every service's memory, as GET /api/system/memory reports it, and what the page makes of it.
import type { Client } from "openapi-fetch";
import { api } from "../api/client";
import type { paths } from "../api/schema";
import type { ServiceMemory } from "../api/types";
import { formatBytes } from "../format";
import { pushSample } from "./chart";
import { readOptionalRoute } from "./optionalRoute";

export type MemoryReading =
  | { kind: "ok"; services: ServiceMemory[] }
  | { kind: "unsupported" }
  | { kind: "error"; message: string };

/** Fetch every service's memory; an API without the route says so instead of failing. */
export async function readMemory(client: Client<paths> = api): Promise<MemoryReading> {
  const reading = await readOptionalRoute(() => client.GET("/api/system/memory"));
  return reading.kind === "ok" ? { kind: "ok", services: reading.data.services } : reading;
}

/** One key per row: a service, and which of its instances (each worker has its own). */
export function memoryKey(row: ServiceMemory): string {
  return `${row.service}/${row.instance ?? ""}`;
}

/** Each row's history of resident bytes (null: unknown), the newest last, `keep` at most. */
export function pushMemory(
  history: Record<string, (number | null)[]>,
  services: ServiceMemory[],
  keep: number,
): Record<string, (number | null)[]> {
  const next: Record<string, (number | null)[]> = {};
  for (const row of services) {
    const key = memoryKey(row);
    next[key] = pushSample(history[key] ?? [], row.rss_bytes, keep);
  }
  return next;
}

/** "of 16 GB (container limit)", "of 25 GB (machine)", or "" without a limit. */
export function limitText(row: Pick<ServiceMemory, "limit_bytes" | "limit_source">): string {
  if (row.limit_bytes === null) return "";
  const where =
    row.limit_source === "cgroup"
      ? "container limit"
      : row.limit_source === "maxmemory"
        ? "maxmemory"
        : "machine";
  return `of ${formatBytes(row.limit_bytes)} (${where})`;
}

/** The top of a row's chart: its limit when the samples come near it, else room above them. */
export function chartMax(samples: readonly (number | null)[], limit: number | null): number {
  const highest = Math.max(0, ...samples.filter((v): v is number => v !== null));
  if (limit !== null && highest > limit / 2) return limit;
  return highest > 0 ? highest * 1.25 : 1;
}
