// Job: its status while it runs; once done, the video with skeletons, people, 3D and files.
import { useMemo } from "react";
import { Link, useParams } from "react-router-dom";
import { isTerminal } from "../api/types";
import { AttemptHistory } from "../components/AttemptHistory";
import { JobSummary } from "../components/JobSummary";
import { PoseWorkspace } from "../components/PoseWorkspace";
import { ErrorNote, Loading } from "../components/States";
import { jobTitle } from "../jobs/jobInfo";
import { useJob } from "../jobs/useJob";
import { usePoses } from "../pose/usePoses";

export function JobPage() {
  const { id = "" } = useParams();
  const { job, error, reload } = useJob(id);
  const succeeded = job?.status === "succeeded";
  const poses = usePoses(id, succeeded);
  const title = useMemo(() => (job ? jobTitle(job) : id), [job, id]);

  return (
    <section className="page page-wide" aria-labelledby="job-title">
      <div className="job-head">
        <nav className="crumbs" aria-label="Breadcrumb">
          <Link to="/jobs">← Jobs</Link>
        </nav>
        <h1 id="job-title" className="ellipsis" title={title}>
          {title}
        </h1>
      </div>
      {error !== null && <ErrorNote error={error} onRetry={() => void reload()} />}
      {!job && error === null && <Loading what="the job" />}
      {job && <JobSummary job={job} />}
      {job && <AttemptHistory attempts={job.attempt_log} />}
      {job && job.status === "failed" && (
        <div className="state state-error state-block" role="alert" data-testid="job-error">
          <strong>The job failed{job.error ? ` (${job.error.code})` : ""}.</strong>{" "}
          {job.error?.message ?? "The worker gave no reason."}
        </div>
      )}
      {job && job.status === "canceled" && <p className="state">This job was canceled.</p>}
      {job && !isTerminal(job.status) && (
        <p className="muted">The viewer opens here when the job has finished.</p>
      )}
      {succeeded && poses.error !== null && (
        <ErrorNote error={poses.error} onRetry={poses.retry} />
      )}
      {succeeded && !poses.doc && poses.error === null && <Loading what="poses" />}
      {succeeded && poses.doc && <PoseWorkspace jobId={id} doc={poses.doc} />}
    </section>
  );
}
