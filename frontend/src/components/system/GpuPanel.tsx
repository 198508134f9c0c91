// The workers' GPUs: name, memory and utilisation over time; or that they run on the CPU.
import type { GpuReading, Worker } from "../../api/types";
import { HISTORY, type GpuSample } from "../../system/useSystem";
import { anyGpu, type WorkersReading } from "../../system/worker";
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
      {workers.kind === "ok" && workers.workers.length > 0 && !anyGpu(workers.workers) && (
        <div data-gpu="none">
          <p>
            <strong>Running on CPU</strong>
            <span className="muted"> · no worker reports a GPU.</span>
          </p>
          <ul className="muted small">
            {workers.workers.map((w) => (
              <li key={w.worker_id}>
                {w.host ?? w.worker_id}: the {w.backend ?? "pose"} backend on {w.device}
              </li>
            ))}
          </ul>
        </div>
      )}
      {workers.kind === "ok" &&
        anyGpu(workers.workers) &&
        workers.workers.map((w) =>
          w.gpu ? (
            <GpuReadings key={w.worker_id} worker={w} gpu={w.gpu} samples={history[w.worker_id] ?? []} />
          ) : (
            <p key={w.worker_id} className="muted" data-gpu="none">
              {w.host ?? w.worker_id}: the {w.backend ?? "pose"} backend on {w.device}, no GPU.
            </p>
          ),
        )}
    </div>
  );
}

function GpuReadings({ worker, gpu, samples }: { worker: Worker; gpu: GpuReading; samples: GpuSample[] }) {
  return (
    <div className="gpu" data-gpu={gpu.name}>
      <p>
        <strong>{gpu.name}</strong>
        <span className="muted">
          {" "}
          · {worker.host ?? worker.worker_id} · {worker.device}
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
}
