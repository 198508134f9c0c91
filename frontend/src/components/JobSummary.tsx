// A job's status, progress and facts in one strip.
import type { Job } from "../api/types";
import { formatDuration, formatWhen } from "../format";
import { useNow } from "../hooks/useNow";
import { attemptStart, framesText, jobSeconds, latestAttempt } from "../jobs/jobInfo";
import { PeakMemory } from "./PeakMemory";
import { ProgressBar } from "./ProgressBar";
import { StatusBadge } from "./StatusBadge";

export function JobSummary({ job }: { job: Job }) {
  const now = useNow(job.status === "running");
  const latest = latestAttempt(job);
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
          <dd data-testid="job-attempts">
            {job.attempts}
            {latest && latest.resumed_from > 0 && (
              <span className="muted small"> · {attemptStart(latest)}</span>
            )}
          </dd>
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
