// Each worker's GPU: name, memory and utilisation over time; or that it runs on the CPU.
import { HISTORY, type GpuSample } from "../../system/useSystem";
import type { WorkersReading } from "../../system/worker";
import { LiveChart } from "../LiveChart";
import { ProgressBar } from "../ProgressBar";

export function GpuPanel({
  workers,
  history,
}: {
  workers: WorkersReading;
  history: Record<string, GpuSample[]>;
}) {
  return (
    <div className="panel card card-wide" data-testid="system-gpu">
      <h2>GPU</h2>
      {workers.kind === "unsupported" && (
        <p className="muted">
          Unknown: this API does not relay GPU readings. Each pose-service reports them at its own
          :8001/health.
        </p>
      )}
      {workers.kind === "error" && <p className="error-text">{workers.message}</p>}
      {workers.kind === "ok" && workers.workers.length === 0 && (
        <p className="muted">No worker is running.</p>
      )}
      {workers.kind === "ok" &&
        workers.workers.map((w) => {
          const gpu = w.gpu;
          if (!gpu) {
            return (
              <p key={w.worker_id} data-gpu="none">
                <strong>Running on CPU</strong>
                <span className="muted">
                  {" "}
                  · {w.host ?? w.worker_id}: the {w.backend ?? "pose"} backend on {w.device}, no GPU in use.
                </span>
              </p>
            );
          }
          const samples = history[w.worker_id] ?? [];
          return (
            <div key={w.worker_id} className="gpu" data-gpu={gpu.name}>
              <p>
                <strong>{gpu.name}</strong>
                <span className="muted">
                  {" "}
                  · {w.host ?? w.worker_id} · {w.device}
                  {gpu.temperature_c !== null ? ` · ${gpu.temperature_c} °C` : ""}
                </span>
              </p>
              <div className="gpu-memory">
                <span>
                  Memory {Math.round(gpu.memory_used_mb).toLocaleString()} /{" "}
                  {Math.round(gpu.memory_total_mb).toLocaleString()} MB
                </span>
                <ProgressBar value={gpu.memory_used_mb} max={gpu.memory_total_mb} label="GPU memory used" />
              </div>
              <LiveChart
                title={`GPU utilisation and memory of ${gpu.name} over the last three minutes`}
                slots={HISTORY}
                series={[
                  { label: "Utilisation", values: samples.map((s) => s.utilization), className: "series-util" },
                  { label: "Memory", values: samples.map((s) => s.memoryPct), className: "series-mem" },
                ]}
              />
            </div>
          );
        })}
    </div>
  );
}
