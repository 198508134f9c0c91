// A job's status as a coloured word.
import type { JobStatus } from "../api/types";

const LABELS: Record<JobStatus, string> = {
  queued: "queued",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  canceled: "canceled",
};

export function StatusBadge({ status, testId }: { status: JobStatus; testId?: string }) {
  return (
    <span className={`badge badge-${status}`} data-testid={testId} data-status={status}>
      {LABELS[status] ?? status}
    </span>
  );
}
