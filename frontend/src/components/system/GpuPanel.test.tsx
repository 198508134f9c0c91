import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { WorkerHealth } from "../../system/worker";
import { GpuPanel } from "./GpuPanel";

const worker = (change: Partial<WorkerHealth>): WorkerHealth => ({
  worker_id: "w1",
  host: "box",
  backend: "mediapipe",
  device: "cpu",
  model_loaded: true,
  current_job: null,
  uptime_s: 12,
  gpu: null,
  ...change,
});

describe("GpuPanel", () => {
  it("says a worker without a GPU runs on the CPU", () => {
    render(<GpuPanel workers={{ kind: "ok", workers: [worker({})] }} history={{}} />);
    expect(screen.getByTestId("system-gpu")).toHaveTextContent("Running on CPU");
    expect(screen.getByTestId("system-gpu")).toHaveTextContent("mediapipe backend on cpu");
  });

  it("shows a GPU's name, memory and a live chart of its use", () => {
    const gpu = {
      name: "NVIDIA H100 80GB HBM3",
      memory_used_mb: 20480,
      memory_total_mb: 81559,
      utilization_pct: 87,
      temperature_c: 54,
    };
    const { container } = render(
      <GpuPanel
        workers={{ kind: "ok", workers: [worker({ backend: "hmr2", device: "cuda:0", gpu })] }}
        history={{ w1: [{ utilization: 40, memoryPct: 20 }, { utilization: 87, memoryPct: 25 }] }}
      />,
    );
    const panel = screen.getByTestId("system-gpu");
    expect(panel).toHaveTextContent("NVIDIA H100 80GB HBM3");
    expect(panel).toHaveTextContent("54 °C");
    expect(panel).toHaveTextContent(/Memory 20,480 \/ 81,559 MB/);
    expect(screen.getByRole("progressbar", { name: "GPU memory used" })).toHaveAttribute("aria-valuenow", "25");
    expect(panel).toHaveTextContent("Utilisation 87 %");
    expect(container.querySelectorAll("path.chart-line")[0]!.getAttribute("d")).toMatch(/^M[\d.]+,[\d.]+L/);
  });

  it("says when the API does not relay workers' reports", () => {
    render(<GpuPanel workers={{ kind: "unsupported" }} history={{}} />);
    expect(screen.getByTestId("system-gpu")).toHaveTextContent("does not relay GPU readings");
  });
});
