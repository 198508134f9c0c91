// A job's status, progress and facts in one strip.
import type { Job } from "../api/types";
import { formatDuration, formatWhen } from "../format";
import { useNow } from "../hooks/useNow";
import { framesText, jobSeconds } from "../jobs/jobInfo";
import { PeakMemory } from "./PeakMemory";
import { ProgressBar } from "./ProgressBar";
import { StatusBadge } from "./StatusBadge";

export function JobSummary({ job }: { job: Job }) {
  const now = useNow(job.status === "running");
  const tone = job.status === "failed" ? "bad" : job.status === "succeeded" ? "ok" : "normal";
  return (
    <div className="summary panel">
      <div className="summary-status">
        <StatusBadge status={job.status} testId="job-status" />
        <ProgressBar
          value={job.progress.frames_done}
          max={job.progress.frames_total || null}
          label="Job progress"
          testId="job-progress"
          tone={tone}
        />
        <span className="muted small nowrap">{framesText(job)}</span>
      </div>
      <dl className="facts">
        <div>
          <dt>Backend</dt>
          <dd>{job.backend ?? "–"}</dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>{job.attempts}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatWhen(job.created_at)}</dd>
        </div>
        <div>
          <dt>Time taken</dt>
          <dd>{formatDuration(jobSeconds(job, now))}</dd>
        </div>
        <PeakMemory job={job} />
      </dl>
    </div>
  );
}
