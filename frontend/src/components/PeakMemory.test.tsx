import { act, render, screen, waitFor } from "@testing-library/react";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import createClient from "openapi-fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { paths } from "../api/schema";
import type { Job, JobMemory } from "../api/types";
import { useJobMemory } from "../jobs/useJobMemory";
import { makeJob } from "../test/fixtures";
import { PeakMemory } from "./PeakMemory";

const memory = (change: Partial<JobMemory>): JobMemory => ({
  final: true,
  peak_rss_bytes: 528_000_000,
  peak_gpu_bytes: null,
  limit_bytes: 16_000_000_000,
  limit_source: "cgroup",
  ...change,
});

describe("PeakMemory", () => {
  it("shows the worker's peak, and the GPU's where there was one", () => {
    const { rerender } = render(
      <dl>
        <PeakMemory job={makeJob({ status: "succeeded", memory: memory({}) })} />
      </dl>,
    );
    const fact = screen.getByTestId("job-peak-memory");
    expect(fact).toHaveTextContent("Peak memory528 MB");
    expect(fact.dataset.bytes).toBe("528000000");
    expect(fact).toHaveAttribute("title", "The worker's peak resident memory of 16 GB (container limit)");
    rerender(
      <dl>
        <PeakMemory job={makeJob({ status: "succeeded", memory: memory({ peak_gpu_bytes: 3_100_000_000 }) })} />
      </dl>,
    );
    expect(screen.getByTestId("job-peak-memory")).toHaveTextContent("528 MB · GPU 3.1 GB");
  });

  it("shows a dash before any attempt has ended", () => {
    render(
      <dl>
        <PeakMemory job={makeJob({ status: "running" })} />
      </dl>,
    );
    const fact = screen.getByTestId("job-peak-memory");
    expect(fact).toHaveTextContent("Peak memory–");
    expect(fact.dataset.bytes).toBe("");
  });
});

// The figure a succeeded job shows first is raised when its overlay is rendered: followed
// against a real HTTP server that answers the job as the API would.
let server: Server;
let stored: Job;
let client: ReturnType<typeof createClient<paths>>;
let requests = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    requests += 1;
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(stored));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  client = createClient<paths>({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function Follow({ job }: { job: Job }) {
  const m = useJobMemory(job, 20, client);
  return <span data-testid="followed">{m ? `${m.peak_rss_bytes} ${m.final}` : "none"}</span>;
}

describe("useJobMemory", () => {
  it("re-reads a succeeded job until its figure is final, then stops", async () => {
    const first = makeJob({ status: "succeeded", memory: memory({ final: false, peak_rss_bytes: 452 }) });
    stored = { ...first, memory: memory({ final: false, peak_rss_bytes: 452 }) };
    render(<Follow job={first} />);
    expect(screen.getByTestId("followed")).toHaveTextContent("452 false");
    await waitFor(() => expect(requests).toBeGreaterThan(1));
    stored = { ...first, memory: memory({ final: true, peak_rss_bytes: 528 }) };
    await waitFor(() => expect(screen.getByTestId("followed")).toHaveTextContent("528 true"));
    const after = requests;
    await act(() => new Promise((resolve) => setTimeout(resolve, 120)));
    expect(requests).toBe(after);
  });

  it("does not poll a job whose figure is final", async () => {
    const before = requests;
    render(<Follow job={makeJob({ status: "failed", memory: memory({ final: true, peak_rss_bytes: 7 }) })} />);
    await act(() => new Promise((resolve) => setTimeout(resolve, 100)));
    expect(screen.getByTestId("followed")).toHaveTextContent("7 true");
    expect(requests).toBe(before);
  });
});
