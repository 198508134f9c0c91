// One row of the jobs table: what the video is, how far it got, and what can be done.
import { useState } from "react";
import { Link } from "react-router-dom";
import type { Job } from "../api/types";
import { isTerminal } from "../api/types";
import { formatDuration, formatWhen } from "../format";
import { framesText, jobSeconds, jobTitle } from "../jobs/jobInfo";
import { ProgressBar } from "./ProgressBar";
import { StatusBadge } from "./StatusBadge";

export interface JobRowProps {
  job: Job;
  now: number;
  onRemove: (job: Job) => Promise<void>;
}

export function JobRow({ job, now, onRemove }: JobRowProps) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ended = isTerminal(job.status);
  const title = jobTitle(job);
  const tone =
    job.status === "failed" ? "bad" : job.status === "succeeded" ? "ok" : ended ? "muted" : "normal";

  const act = async () => {
    if (ended && !confirming) {
      setConfirming(true);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onRemove(job);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <tr data-testid="job-row" data-status={job.status} data-job-id={job.id}>
      <td className="cell-title">
        <Link to={`/jobs/${encodeURIComponent(job.id)}`} title={title}>
          {title}
        </Link>
        {job.error && (
          <div className="error-text small" title={job.error.message}>
            {job.error.message}
          </div>
        )}
        {error && (
          <div className="error-text small" role="alert">
            {error}
          </div>
        )}
      </td>
      <td>
        <StatusBadge status={job.status} testId="job-status" />
      </td>
      <td className="cell-progress">
        <ProgressBar
          value={job.progress.frames_done}
          max={job.progress.frames_total || null}
          label={`Progress of ${title}`}
          testId="job-progress"
          tone={tone}
        />
        <span className="muted small">{framesText(job)}</span>
      </td>
      <td>{job.backend ?? "–"}</td>
      <td className="num" data-testid="job-attempts">
        {job.attempts}
      </td>
      <td className="nowrap">{formatWhen(job.created_at)}</td>
      <td className="nowrap num">{formatDuration(jobSeconds(job, now))}</td>
      <td className="cell-actions">
        <button
          type="button"
          className={`btn btn-small${confirming ? " btn-danger" : ""}`}
          onClick={() => void act()}
          onBlur={() => setConfirming(false)}
          disabled={busy}
          aria-label={`${ended ? (confirming ? "Confirm delete of" : "Delete") : "Cancel"} ${title}`}
        >
          {ended ? (confirming ? "Confirm delete" : "Delete") : "Cancel"}
        </button>
      </td>
    </tr>
  );
}
