// System: each service's health and readiness, the queue, the workers and their GPUs, every
// service's memory, live.
import { Loading } from "../components/States";
import { GpuPanel } from "../components/system/GpuPanel";
import { MemoryPanel } from "../components/system/MemoryPanel";
import { QueuePanel } from "../components/system/QueuePanel";
import { ServicesPanel } from "../components/system/ServicesPanel";
import { WorkersPanel } from "../components/system/WorkersPanel";
import { SYSTEM_REFRESH_MS, useSystem } from "../system/useSystem";

export function SystemPage() {
  const { readings, gpuHistory, memoryHistory } = useSystem();
  return (
    <section className="page" aria-labelledby="system-title">
      <div className="section-head">
        <h1 id="system-title">System</h1>
        {readings && (
          <span className="muted small" aria-live="off">
            Checked {new Date(readings.checkedAt).toLocaleTimeString()}, every{" "}
            {SYSTEM_REFRESH_MS / 1000} s
          </span>
        )}
      </div>
      {!readings && <Loading what="service status" />}
      {readings && (
        <div className="cards">
          <ServicesPanel readings={readings} />
          <QueuePanel readings={readings} />
          <WorkersPanel readings={readings} />
          <GpuPanel workers={readings.workers} history={gpuHistory} />
          <MemoryPanel memory={readings.memory} history={memoryHistory} />
        </div>
      )}
    </section>
  );
}
