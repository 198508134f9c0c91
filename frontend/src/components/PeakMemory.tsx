// The most memory the worker used for a job: resident, and on the GPU where it ran on one.
import type { Job } from "../api/types";
import { formatBytes } from "../format";
import { useJobMemory } from "../jobs/useJobMemory";
import { limitText } from "../system/memory";

export function PeakMemory({ job }: { job: Job }) {
  const memory = useJobMemory(job);
  const rss = memory?.peak_rss_bytes ?? null;
  const gpu = memory?.peak_gpu_bytes ?? null;
  return (
    <div
      data-testid="job-peak-memory"
      data-bytes={rss ?? ""}
      data-gpu-bytes={gpu ?? ""}
      data-final={memory ? String(memory.final) : ""}
      title={memory ? `The worker's peak resident memory ${limitText(memory)}` : undefined}
    >
      <dt>Peak memory</dt>
      <dd>
        {rss === null ? "–" : formatBytes(rss)}
        {gpu !== null && <span> · GPU {formatBytes(gpu)}</span>}
        {memory && !memory.final && job.status === "succeeded" && (
          <span className="muted small"> (overlay rendering)</span>
        )}
      </dd>
    </div>
  );
}
