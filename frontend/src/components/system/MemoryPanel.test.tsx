import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ServiceMemory } from "../../api/types";
import { memoryKey } from "../../system/memory";
import { MemoryPanel } from "./MemoryPanel";

const services: ServiceMemory[] = [
  { service: "backend-api", instance: "box", pid: 10, rss_bytes: 178_000_000, limit_bytes: 2_000_000_000, limit_source: "cgroup", detail: "this process (/proc/self)" },
  { service: "pose-service", instance: "box-11-abc", pid: 11, rss_bytes: 520_000_000, limit_bytes: 16_000_000_000, limit_source: "cgroup", detail: "the worker's heartbeat" },
  { service: "redis", instance: "redis:6379", pid: 1, rss_bytes: 13_000_000, limit_bytes: 25_000_000_000, limit_source: "machine", detail: "INFO memory: used_memory_rss" },
  { service: "mongodb", instance: "db", pid: 7, rss_bytes: null, limit_bytes: null, limit_source: null, detail: "FerretDB v1.24.0 does not report its resident memory" },
  { service: "frontend", instance: "http://frontend:5173", pid: null, rss_bytes: null, limit_bytes: null, limit_source: null, detail: "the dev server does not answer" },
];

describe("MemoryPanel", () => {
  it("shows one row per process with its figure, limit and chart, or unknown", () => {
    const history = { [memoryKey(services[0]!)]: [170_000_000, 178_000_000] };
    render(<MemoryPanel memory={{ kind: "ok", services }} history={history} />);
    const rows = screen.getAllByTestId("memory-row");
    expect(rows.map((r) => r.dataset.service)).toEqual(["backend-api", "pose-service", "redis", "mongodb", "frontend"]);

    const api = rows[0]!;
    expect(api.dataset.bytes).toBe("178000000");
    expect(api.dataset.limit).toBe("2000000000");
    expect(api).toHaveTextContent("178 MB of 2.0 GB (container limit)");
    expect(within(api).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "9");
    expect(within(api).getByRole("img").querySelector("path.chart-line")!.getAttribute("d")).toMatch(/^M[\d.]+,[\d.]+L/);
    expect(api).toHaveTextContent("Resident 178 MB");
    expect(api).toHaveTextContent("top 223 MB"); // room above the highest sample, not the 2 GB limit

    const mongo = rows[3]!;
    expect(mongo.dataset.bytes).toBe("");
    expect(within(mongo).getByTestId("memory-value")).toHaveTextContent("unknown");
    expect(mongo).toHaveTextContent("does not report its resident memory");
    expect(within(mongo).queryByRole("img")).toBeNull();
    expect(within(mongo).queryByRole("progressbar")).toBeNull();
  });

  it("says when the API cannot tell", () => {
    const { rerender } = render(<MemoryPanel memory={{ kind: "unsupported" }} history={{}} />);
    expect(screen.getByTestId("system-memory")).toHaveTextContent("this API does not report memory");
    rerender(<MemoryPanel memory={{ kind: "error", message: "Could not reach the API." }} history={{}} />);
    expect(screen.getByTestId("system-memory")).toHaveTextContent("Could not reach the API.");
    expect(screen.queryAllByTestId("memory-row")).toHaveLength(0);
  });
});
