import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Worker } from "../../api/types";
import { GpuPanel } from "./GpuPanel";

const worker = (change: Partial<Worker>): Worker => ({
  worker_id: "w1",
  host: "box",
  pid: 41,
  backend: "mediapipe",
  device: "cpu",
  gpu: null,
  model_loaded: true,
  current_job: null,
  fps: 0,
  uptime_s: 12,
  started_at: "2025-01-01T10:00:00Z",
  heartbeat_at: "2025-01-01T10:00:12Z",
  ...change,
});

const h100 = {
  name: "NVIDIA H100 80GB HBM3",
  memory_used_mb: 20480,
  memory_total_mb: 81559,
  utilization_pct: 87,
  temperature_c: 54,
};

describe("GpuPanel", () => {
  it("says the workers run on the CPU when none reports a GPU", () => {
    render(
      <GpuPanel
        workers={{ kind: "ok", workers: [worker({}), worker({ worker_id: "w2", host: "other" })] }}
        history={{}}
      />,
    );
    const panel = screen.getByTestId("system-gpu");
    expect(panel).toHaveTextContent("Running on CPU");
    expect(screen.getAllByText("Running on CPU")).toHaveLength(1);
    expect(panel).toHaveTextContent("box: the mediapipe backend on cpu");
    expect(panel).toHaveTextContent("other: the mediapipe backend on cpu");
    expect(screen.queryByRole("progressbar")).toBeNull();
  });

  it("shows a GPU's name, memory and a live chart of its use", () => {
    const { container } = render(
      <GpuPanel
        workers={{ kind: "ok", workers: [worker({ backend: "hmr2", device: "cuda:0", gpu: h100 })] }}
        history={{ w1: [{ utilization: 40, memoryPct: 20 }, { utilization: 87, memoryPct: 25 }] }}
      />,
    );
    const panel = screen.getByTestId("system-gpu");
    expect(panel).toHaveTextContent("NVIDIA H100 80GB HBM3");
    expect(panel).toHaveTextContent("54 °C");
    expect(panel).toHaveTextContent(/Memory 20,480 \/ 81,559 MB/);
    expect(screen.getByRole("progressbar", { name: "GPU memory used" })).toHaveAttribute("aria-valuenow", "25");
    expect(panel).toHaveTextContent("Utilisation 87 %");
    expect(panel).not.toHaveTextContent("Running on CPU");
    expect(container.querySelectorAll("path.chart-line")[0]!.getAttribute("d")).toMatch(/^M[\d.]+,[\d.]+L/);
  });

  it("charts the GPU worker and lists a CPU one beside it", () => {
    render(
      <GpuPanel
        workers={{
          kind: "ok",
          workers: [
            worker({ worker_id: "w2", host: "laptop" }),
            worker({ backend: "hmr2", device: "cuda:0", gpu: { ...h100, utilization_pct: null, temperature_c: null } }),
          ],
        }}
        history={{}}
      />,
    );
    const panel = screen.getByTestId("system-gpu");
    expect(panel).toHaveTextContent("NVIDIA H100 80GB HBM3");
    expect(panel).not.toHaveTextContent("°C");
    expect(panel).toHaveTextContent("laptop: the mediapipe backend on cpu, no GPU.");
    expect(panel).not.toHaveTextContent("Running on CPU");
  });

  it("says when no worker is running", () => {
    render(<GpuPanel workers={{ kind: "ok", workers: [] }} history={{}} />);
    expect(screen.getByTestId("system-gpu")).toHaveTextContent("No worker is running.");
  });

  it("says when the API does not relay workers' reports", () => {
    render(<GpuPanel workers={{ kind: "unsupported" }} history={{}} />);
    expect(screen.getByTestId("system-gpu")).toHaveTextContent("does not relay GPU readings");
  });
});
